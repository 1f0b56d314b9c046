package app

import (
	"net/http"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/sim"
	"github.com/shianbao/shianbao/internal/wechat"
)

// mountSimulator serves /dev/simulator when the simulator is on. It talks
// to this app only through its public callback URL, like the platform.
func (a *App) mountSimulator() error {
	if !a.Config.Simulator || a.FakeAPI == nil {
		return nil
	}
	offset, _ := a.Clock.(*clock.Offset)
	callback := a.URL() + "/wechat/oa"
	groups := map[string]string{}
	for name, key := range a.Config.WeCom.Robots {
		groups[key] = name
	}
	s := &sim.Simulator{
		Fake:        a.FakeAPI,
		Platform:    wechat.Platform{AppID: a.Config.WeChat.AppID, Token: a.Config.WeChat.Token, AESKey: a.Config.WeChat.AESKey},
		CallbackURL: func() string { return callback },
		Registry:    a.Registry,
		Query:       a.Query,
		Accounts:    a.Accounts,
		Supervision: a.Supervision,
		Clock:       offset,
		AfterJump:   a.remindNow,
		Groups:      groups,
		Log:         a.Log,
	}
	if err := s.Init(); err != nil {
		return err
	}
	a.Web.MountPrefix("/dev/simulator", s)
	return nil
}

var _ http.Handler = (*sim.Simulator)(nil)
