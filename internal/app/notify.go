package app

import (
	"context"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/wechat"
)

// newNotify builds the outbox on the services built before it: the
// accounts that resolve people to identities and the WeChat client and
// group robots it sends through.
func newNotify(s *Services) *notify.Service {
	ch := notifyChannels{
		client: s.WeChat,
		robots: s.Config.WeCom.Robots,
		robot:  wechat.NewRobotSender(s.KV, s.apiBase, 0),
	}
	return notify.NewService(s.DB, s.KV, notifyDirectory{s.Accounts}, ch.senders(), NotifyConfig(s.Config), s.Clock, s.Log)
}

// NotifyConfig carries the push settings; config.Validate has already
// checked every value. With the simulator on, kinds without a template get
// a demo one, as the fake API accepts any template id.
func NotifyConfig(cfg config.Config) notify.Config {
	n := cfg.Notify
	out := notify.Config{
		Templates:          templates(n.Templates),
		SubscribeTemplates: templates(n.SubscribeTemplates),
		QuietStart:         n.QuietStart,
		QuietEnd:           n.QuietEnd,
		RatePerSecond: map[notify.Channel]float64{
			notify.ChannelTemplate: n.RateTemplate, notify.ChannelSubscribe: n.RateSubscribe,
			notify.ChannelCustom: n.RateCustom, notify.ChannelRobot: n.RateRobot,
		},
		MaxAttempts: n.MaxAttempts,
		Lease:       n.Lease,
		Workers:     n.Workers,
		Batch:       n.Batch,
	}
	if n.Claim != "auto" {
		out.Claim = notify.ClaimMode(n.Claim)
	}
	if cfg.Simulator {
		out.Fallback = &notify.Template{ID: "tpl-demo", Fields: map[string]string{"thing1": "title"}}
	}
	return out
}

func templates(specs map[string]string) map[string]notify.Template {
	out := make(map[string]notify.Template, len(specs))
	for kind, s := range specs {
		if spec, err := config.ParseTemplate(s); err == nil {
			out[kind] = notify.Template{ID: spec.ID, Fields: spec.Fields}
		}
	}
	return out
}

// The outbox records template-message receipts from the callback.
var _ wechat.ReceiptSink = (*notify.Service)(nil)

// notifyDirectory resolves people to their bound identities.
type notifyDirectory struct{ accounts *account.Service }

var (
	_ notify.Directory         = notifyDirectory{}
	_ notify.UnreachableMarker = notifyDirectory{}
)

func (d notifyDirectory) Addresses(ctx context.Context, kind notify.RecipientKind, id int64) ([]notify.Address, error) {
	ids, err := d.accounts.IdentitiesOfSubject(ctx, account.Role(kind), id)
	if err != nil {
		return nil, err
	}
	out := make([]notify.Address, len(ids))
	for i, x := range ids {
		out[i] = notify.Address{Channel: string(x.Channel), UserID: x.ExternalID, LastMessageAt: x.LastMessageAt, Reachable: x.Reachable}
	}
	return out, nil
}

func (d notifyDirectory) MarkUnreachable(ctx context.Context, channel, userID string) error {
	return d.accounts.MarkUnreachable(ctx, chat.Channel(channel), userID)
}

// notifyChannels sends through the Official Account client and the WeCom
// group robots, translating their errors for the outbox.
type notifyChannels struct {
	client *wechat.Client
	// robots maps a group's short name to its robot key.
	robots map[string]string
	robot  *wechat.RobotSender
}

func (c notifyChannels) senders() notify.Senders {
	return notify.Senders{
		Template: func(ctx context.Context, to, tpl, url string, data map[string]string, clientMsgID string) (int64, error) {
			id, err := c.client.TemplateSend(ctx, wechat.TemplateMessage{
				ToUser: to, TemplateID: tpl, URL: url, Data: data, ClientMsgID: clientMsgID,
			})
			return id, sendError(err)
		},
		Subscribe: func(ctx context.Context, to, tpl, page string, data map[string]string) error {
			return sendError(c.client.SubscribeSend(ctx, wechat.SubscribeMessage{ToUser: to, TemplateID: tpl, Page: page, Data: data}))
		},
		Custom: func(ctx context.Context, to, text, url string) error {
			if url != "" {
				text += "\n" + notify.DetailLink(url)
			}
			return sendError(c.client.CustomSend(ctx, to, chat.Say(text)))
		},
		Robot: func(ctx context.Context, group, markdown string) error {
			key := c.robots[group]
			if key == "" {
				return notify.ErrNoRobot
			}
			return sendError(c.robot.SendMarkdown(ctx, key, markdown))
		},
	}
}

// sendError translates the platform client's error.
func sendError(err error) error {
	e, ok := wechat.AsError(err)
	if !ok {
		return err
	}
	return &notify.SendError{
		Code: e.Code, Msg: e.Op + ": " + wechat.Redact(e.Msg),
		Unreachable: e.Unreachable(), Throttled: e.Throttled(), OutsideWindow: e.OutsideWindow(),
		TokenInvalid: e.TokenInvalid(), Temporary: e.Temporary, RetryAfter: e.RetryAfter,
	}
}
