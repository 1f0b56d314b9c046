package bot

import (
	"context"
	"strings"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/dialog"
)

// 解绑 asks before it unbinds: a tap on the wrong word must not cut a cadre
// off their reminders.

const (
	flowUnbind = "unbind"
	sUnbindOK  = "unbind_ok"

	msgAskUnbind    = "确定要解除本微信的绑定吗？解除后将不再收到提醒、提示函等消息，需要重新获取绑定码才能再次使用。回复 1 解除绑定 / 2 不解除"
	msgHelpUnbind   = "回复“是”解除绑定，回复“否”保持绑定。"
	msgNotUnbound   = "好的，未解除绑定。"
	msgAlreadyBound = "您已经绑定了身份，回复“我是谁”查看。如需换绑，请先回复“解绑”。"
)

func (b *Bot) unbindFlow() *dialog.Flow {
	return &dialog.Flow{
		Name: flowUnbind, Noun: "解绑", Command: "解绑",
		Steps: func(context.Context, *dialog.Session) ([]dialog.Step, error) {
			return []dialog.Step{{
				Key: sUnbindOK, Kind: dialog.KindYesNo, Help: msgHelpUnbind, Menu: []string{"是", "否"},
				Prompt: func(context.Context, *dialog.Session) (string, error) { return msgAskUnbind, nil },
				Validate: func(_ context.Context, _ *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
					if !v.Bool {
						return v, "", dialog.End(msgNotUnbound)
					}
					return v, "", nil
				},
			}}, nil
		},
		Submit: func(ctx context.Context, s *dialog.Session) (dialog.Reply, error) {
			ch, id, _ := strings.Cut(s.User, ":")
			out, err := b.unbind(ctx, user{in: chat.Inbound{Channel: chat.Channel(ch), UserID: id}})
			if err != nil {
				return dialog.Reply{}, err
			}
			return dialog.Reply{Text: out.Text, Done: true}, nil
		},
	}
}
