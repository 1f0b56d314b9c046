package app

import (
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/sim"
	"github.com/shianbao/shianbao/internal/wechat"
)

// simAPIPath is where the simulator's fake WeChat API is served.
const simAPIPath = "/dev/wxapi"

// fakeWeChat decides where the outbound clients call the platform. With
// the simulator on and the API base left at the real platform, calls go to
// a fake API served by this very process on ln, so the embedded default
// needs no WeChat account; it is returned to be mounted.
func fakeWeChat(cfg config.Config, ln net.Listener) (apiBase string, fake *sim.FakeAPI) {
	base := cfg.WeChat.APIBase
	if !cfg.Simulator || strings.TrimRight(base, "/") != wechat.OfficialAPI {
		return base, nil
	}
	fake = sim.NewFakeAPI()
	fake.SetApp(cfg.WeChat.AppID, cfg.WeChat.AppSecret)
	// Photos sent in the simulator outlive a restart, as on the platform
	// (three days), so the service can still fetch them.
	if err := fake.SetMediaDir(filepath.Join(filepath.Dir(filepath.Clean(cfg.Media.Dir)), "simulator-media")); err != nil {
		slog.Default().Warn("simulator photos kept in memory only", "err", err.Error())
	}
	return "http://" + loopback(ln.Addr().String()) + simAPIPath, fake
}

// mountWeChat routes the platform callbacks (and the fake API).
func (a *App) mountWeChat() {
	cfg := a.Config
	var bot wechat.Handler = a.Bot
	if a.wrapBot != nil {
		bot = a.wrapBot(bot)
	}
	var menus wechat.MenuSender
	if cfg.WeChat.Menus {
		menus = a.WeChat
	}
	oa := wechat.NewCallback(wechat.CallbackOptions{
		AppID: cfg.WeChat.AppID, Token: cfg.WeChat.Token, AESKey: cfg.WeChat.AESKey,
		KV: a.KV, Handler: bot,
		// The bot's first question, who is talking, is answered from the
		// identity version read in the turn's first kv call.
		TurnReads:    a.Accounts.TurnReads,
		ReplayWindow: cfg.WeChat.ReplayWindow, Budget: cfg.WeChat.ReplyBudget,
		Late:     wechat.CustomLate{Client: a.WeChat},
		Menus:    menus,
		Receipts: a.Notify,
		Clock:    a.Clock, Log: a.Log,
	})
	oa.Observe(a.Metrics)
	a.Web.Mount("/wechat/oa", oa, http.MethodGet, http.MethodPost)
	a.drains = append(a.drains, oa.Drain)

	if cfg.WeCom.Token != "" {
		var hosts []string
		// The simulator's fake (in this process or `shianbao fakewx`) plays
		// the response_url too.
		if u, err := url.Parse(a.apiBase); err == nil && cfg.Simulator {
			hosts = append(hosts, u.Host)
		}
		wecom := wechat.NewWeComCallback(wechat.WeComOptions{
			Token: cfg.WeCom.Token, AESKey: cfg.WeCom.AESKey, CorpID: cfg.WeCom.CorpID,
			KV: a.KV, Handler: bot, TurnReads: a.Accounts.TurnReads, ReplayWindow: cfg.WeChat.ReplayWindow,
			ResponseHosts: hosts, Clock: a.Clock, Log: a.Log,
		})
		wecom.Observe(a.Metrics)
		a.Web.Mount("/wechat/wecom/bot", wecom, http.MethodGet, http.MethodPost)
		a.drains = append(a.drains, wecom.Drain)
	}
	if a.FakeAPI != nil {
		a.Web.MountPrefix(simAPIPath, a.FakeAPI)
	}
}

// loopback turns a wildcard listen address into one a client can dial.
func loopback(addr string) string {
	for _, wild := range []string{"[::]:", "0.0.0.0:", ":"} {
		if rest, ok := strings.CutPrefix(addr, wild); ok && !strings.Contains(rest, ":") {
			return "127.0.0.1:" + rest
		}
	}
	return addr
}
