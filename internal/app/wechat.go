package app

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/shianbao/shianbao/internal/sim"
	"github.com/shianbao/shianbao/internal/wechat"
)

// simAPIPath is where the simulator's fake WeChat API is served.
const simAPIPath = "/dev/wxapi"

// buildWeChat creates the outbound client. With the simulator on and the
// API base left at the real platform, calls go to the local fake API served
// by this very process, so the embedded default needs no WeChat account.
func (a *App) buildWeChat() error {
	cfg := a.Config
	base := cfg.WeChat.APIBase
	if cfg.Simulator && strings.TrimRight(base, "/") == wechat.OfficialAPI {
		a.FakeAPI = sim.NewFakeAPI()
		a.FakeAPI.SetApp(cfg.WeChat.AppID, cfg.WeChat.AppSecret)
		base = "http://" + loopback(a.listener.Addr().String()) + simAPIPath
	}
	c, err := wechat.NewClient(wechat.ClientOptions{
		AppID: cfg.WeChat.AppID, AppSecret: cfg.WeChat.AppSecret, APIBase: base, KV: a.KV, Log: a.Log,
	})
	if err != nil {
		return err
	}
	a.WeChat = c
	a.apiBase = base
	return nil
}

// mountWeChat routes the platform callbacks (and the fake API).
func (a *App) mountWeChat() {
	cfg := a.Config
	var bot wechat.Handler = a.Bot
	if a.wrapBot != nil {
		bot = a.wrapBot(bot)
	}
	oa := wechat.NewCallback(wechat.CallbackOptions{
		AppID: cfg.WeChat.AppID, Token: cfg.WeChat.Token, AESKey: cfg.WeChat.AESKey,
		KV: a.KV, Handler: bot,
		ReplayWindow: cfg.WeChat.ReplayWindow, Budget: cfg.WeChat.ReplyBudget,
		Late:     wechat.CustomLate{Client: a.WeChat},
		Receipts: a.Notify,
		Clock:    a.Clock, Log: a.Log,
	})
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
			KV: a.KV, Handler: bot, ReplayWindow: cfg.WeChat.ReplayWindow,
			ResponseHosts: hosts, Clock: a.Clock, Log: a.Log,
		})
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
