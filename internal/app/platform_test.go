package app_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/sim"
	"github.com/shianbao/shianbao/internal/wechat"
)

// phone talks to a running app exactly as the platform does: signed (and
// in safe mode encrypted) callbacks, one per user message.
type phone struct {
	t    testing.TB
	p    wechat.Platform
	url  string
	mode wechat.Mode
	fake *sim.FakeAPI
}

var msgIDs atomic.Int64

func init() { msgIDs.Store(time.Now().UnixNano() / 1000) }

func newPhone(t testing.TB, a *app.App, mode wechat.Mode) *phone {
	return &phone{t: t, url: a.URL() + "/wechat/oa", mode: mode, fake: a.FakeAPI,
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

// say sends m and returns what the user reads: the passive reply, or — when
// the bot took longer than the reply budget, as it may on a busy machine —
// the late reply it then sends as a customer-service message.
func (ph *phone) say(openid string, m wechat.Message) string {
	ph.t.Helper()
	before := ph.customSends(openid)
	if got := ph.send(m).Content; got != "" || ph.fake == nil {
		return got
	}
	deadline := time.Now().Add(lateReplyWait)
	for time.Now().Before(deadline) {
		if sends := ph.customSends(openid); len(sends) > len(before) {
			return sends[len(before)]
		}
		time.Sleep(50 * time.Millisecond)
	}
	return ""
}

// lateReplyWait bounds the wait for a late reply; the budget it follows is
// seconds, this only keeps a broken run from hanging.
const lateReplyWait = 2 * time.Minute

func (ph *phone) customSends(openid string) []string {
	if ph.fake == nil {
		return nil
	}
	var out []string
	for _, c := range ph.fake.CallsTo("/cgi-bin/message/custom/send") {
		if c.ToUser == openid && c.Delivered() {
			out = append(out, c.Content)
		}
	}
	return out
}

func (ph *phone) text(openid, s string) string {
	ph.t.Helper()
	return ph.say(openid, wechat.TextMessage(openid, "gh_test", s, msgIDs.Add(1), time.Now()))
}

func (ph *phone) photo(openid, mediaID string) string {
	ph.t.Helper()
	return ph.say(openid, wechat.ImageMessage(openid, "gh_test", mediaID, "https://mmbiz.example/"+mediaID, msgIDs.Add(1), time.Now()))
}
