package app_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/wechat"
)

// phone talks to a running app exactly as the platform does: signed (and
// in safe mode encrypted) callbacks, one per user message.
type phone struct {
	t    testing.TB
	p    wechat.Platform
	url  string
	mode wechat.Mode
}

var msgIDs atomic.Int64

func init() { msgIDs.Store(time.Now().UnixNano() / 1000) }

func newPhone(t testing.TB, a *app.App, mode wechat.Mode) *phone {
	return &phone{t: t, url: a.URL() + "/wechat/oa", mode: mode,
		p: wechat.Platform{AppID: a.Config.WeChat.AppID, Token: a.Config.WeChat.Token, AESKey: a.Config.WeChat.AESKey}}
}

// send delivers m and returns the decoded passive reply.
func (ph *phone) send(m wechat.Message) *wechat.Reply {
	ph.t.Helper()
	req, err := ph.p.Request(ph.url, m, ph.mode)
	if err != nil {
		ph.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ph.t.Fatal(err)
	}
	r, err := ph.p.DecodeReply(resp, ph.mode)
	if err != nil {
		ph.t.Fatal(err)
	}
	return r
}

func (ph *phone) text(openid, s string) string {
	ph.t.Helper()
	return ph.send(wechat.TextMessage(openid, "gh_test", s, msgIDs.Add(1), time.Now())).Content
}

func (ph *phone) photo(openid, mediaID string) string {
	ph.t.Helper()
	return ph.send(wechat.ImageMessage(openid, "gh_test", mediaID, "https://mmbiz.example/"+mediaID, msgIDs.Add(1), time.Now())).Content
}
