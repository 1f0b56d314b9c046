package app

import (
	"context"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/sim"
	"github.com/shianbao/shianbao/internal/web/h5"
	"github.com/shianbao/shianbao/internal/wechat"
)

// formLockTTL bounds how long the visit form holds a user's chat lock
// (one save or submit).
const formLockTTL = 30 * time.Second

// visitForm is the visit report's H5 form on the bot's visit flow,
// signed for the JS-SDK with the shared jsapi_ticket. With the
// simulator's fake API in this process, a plain browser gets the fake's
// stand-in `wx`.
func (a *App) visitForm() *h5.VisitForm {
	lock := func(ctx context.Context, ch chat.Channel, userID string) (func(), error) {
		l, err := wechat.LockUser(ctx, a.KV, ch, userID, formLockTTL)
		if err != nil {
			return nil, err
		}
		return func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := l.Release(rctx); err != nil {
				a.Log.Warn("visit form: release user lock", "err", err.Error())
			}
		}, nil
	}
	f := &h5.VisitForm{
		Forms: a.Bot.VisitForms(lock),
		JS: func(ctx context.Context, pageURL string, now time.Time) (any, error) {
			return a.WeChat.JSConfig(ctx, pageURL, now)
		},
	}
	if a.FakeAPI != nil {
		f.FakeWX = simAPIPath + sim.FakeWXScriptPath
	}
	return f
}
