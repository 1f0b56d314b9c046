package wechat_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/sim"
	"github.com/shianbao/shianbao/internal/wechat"
)

// The public safe-mode credentials of WECHAT.md: the callbacks below are
// signed and encrypted exactly as the platform does.
const (
	menuAppID  = "wxb11529c136998cb6"
	menuToken  = "pamtest"
	menuAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// askBot asks which mode a visit was and offers the modes as a menu; it
// records what it was sent.
type askBot struct {
	mu      sync.Mutex
	got     []chat.Inbound
	options int
	// hold, when set, keeps the handler until closed (a turn past the budget).
	hold chan struct{}
}

func (b *askBot) Handle(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
	b.mu.Lock()
	b.got = append(b.got, in)
	n := b.options
	b.mu.Unlock()
	if b.hold != nil {
		<-b.hold
	}
	if n == 0 {
		n = 2
	}
	m := &chat.Menu{Head: "这次督导是哪种方式？", Tail: "也可以直接回复序号"}
	text := m.Head
	for i := range n {
		label := []string{"现场督导", "集中督导"}[i%2]
		m.Options = append(m.Options, chat.MenuOption{ID: strconv.Itoa(i + 1), Text: label})
		text += "\n" + strconv.Itoa(i+1) + " " + label
	}
	return chat.Outbound{Text: text, Menu: m}, nil
}

func (b *askBot) last() chat.Inbound {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got[len(b.got)-1]
}

type menuFixture struct {
	fake     *sim.FakeAPI
	bot      *askBot
	url      string
	platform wechat.Platform
	late     *countingLate
}

// countingLate counts late replies that fell back to text.
type countingLate struct{ n atomic.Int32 }

func (l *countingLate) SendLate(context.Context, chat.Inbound, chat.Outbound) error {
	l.n.Add(1)
	return nil
}

func newMenuFixture(t *testing.T, store kv.Store, budget time.Duration) *menuFixture {
	t.Helper()
	fake, base := newFake(t)
	client := newClient(t, base, store, testAppID())
	bot := &askBot{}
	late := &countingLate{}
	cb := wechat.NewCallback(wechat.CallbackOptions{
		AppID: menuAppID, Token: menuToken, AESKey: menuAESKey, KV: store, Handler: bot,
		ReplayWindow: 5 * time.Minute, Budget: budget, Late: late, Menus: client,
	})
	srv := httptest.NewServer(cb)
	t.Cleanup(srv.Close)
	return &menuFixture{fake: fake, bot: bot, url: srv.URL, late: late,
		platform: wechat.Platform{AppID: menuAppID, Token: menuToken, AESKey: menuAESKey}}
}

var menuMsgID atomic.Int64

func (f *menuFixture) say(t *testing.T, m wechat.Message) *wechat.Reply {
	t.Helper()
	req, err := f.platform.Request(f.url, m, wechat.ModeSafe)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.platform.DecodeReply(resp, wechat.ModeSafe)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func text(user, s string) wechat.Message {
	return wechat.TextMessage(user, "gh_test", s, time.Now().UnixNano()/1000+menuMsgID.Add(1), time.Now())
}

func (f *menuFixture) menusTo(user string) []sim.Call {
	var out []sim.Call
	for _, c := range f.fake.CallsTo("/message/custom/send") {
		if c.ToUser == user && c.MsgType == "msgmenu" {
			out = append(out, c)
		}
	}
	return out
}

// TestMsgMenu: inside the window the choices go out once, as a msgmenu,
// and the passive reply is "success"; a retry of the same message gets the
// same outcome without a second menu; a tap comes back with its option id.
func TestMsgMenu(t *testing.T) {
	f := newMenuFixture(t, newMemory(t), 3*time.Second)
	m := text("o-cadre-menu", "上报督导")
	if r := f.say(t, m); !r.Success {
		t.Fatalf("with the menu sent the passive reply should be success, got %+v", r)
	}
	menus := f.menusTo("o-cadre-menu")
	if len(menus) != 1 || !menus[0].Delivered() {
		t.Fatalf("msgmenu calls = %+v, want one delivered", menus)
	}
	got := menus[0].Menu
	if got.Head != "这次督导是哪种方式？" || got.Tail != "也可以直接回复序号" || len(got.Options) != 2 ||
		got.Options[0] != (sim.MenuOption{ID: "1", Content: "现场督导"}) || got.Options[1] != (sim.MenuOption{ID: "2", Content: "集中督导"}) {
		t.Errorf("msgmenu = %+v", got)
	}

	// The platform retries the same message (same MsgId): same answer, no second menu.
	if r := f.say(t, m); !r.Success {
		t.Errorf("retry answered %+v, want success", r)
	}
	if n := len(f.menusTo("o-cadre-menu")); n != 1 {
		t.Errorf("after a retry %d msgmenus were sent, want 1", n)
	}

	tap := wechat.MenuTapMessage("o-cadre-menu", "gh_test", "集中督导", "2", time.Now().UnixNano()/1000+menuMsgID.Add(1), time.Now())
	f.say(t, tap)
	if in := f.bot.last(); in.Kind != chat.KindText || in.Text != "集中督导" || in.MenuID != "2" {
		t.Errorf("tap arrived as %+v, want text 集中督导 with MenuID 2", in)
	}
	f.say(t, text("o-cadre-menu", "现场督导"))
	if in := f.bot.last(); in.MenuID != "" {
		t.Errorf("a typed answer has MenuID %q", in.MenuID)
	}
}

// TestMsgMenuFallsBackToText: a test account refuses msgmenu (40200): the
// reply is the text, and later turns go straight to text; any other
// failure answers with the text too but is not remembered; a menu over the
// platform's ten options is never sent.
func TestMsgMenuFallsBackToText(t *testing.T) {
	t.Run("TestAccount", func(t *testing.T) {
		f := newMenuFixture(t, newMemory(t), 3*time.Second)
		f.fake.SetTestAccount(true)
		for i := range 2 {
			r := f.say(t, text("o-test-account", "上报督导"))
			if r.Success || r.MsgType != "text" || !strings.Contains(r.Content, "1 现场督导") {
				t.Fatalf("turn %d: reply %+v, want the plain-text list", i, r)
			}
		}
		if calls := f.menusTo("o-test-account"); len(calls) != 1 || calls[0].Errcode != 40200 {
			t.Errorf("msgmenu calls = %+v, want one refused with 40200 and none after", calls)
		}
	})
	t.Run("OtherFailure", func(t *testing.T) {
		f := newMenuFixture(t, newMemory(t), 3*time.Second)
		f.fake.FailNext("/message/custom/send", 45015, 1)
		if r := f.say(t, text("o-window", "上报督导")); r.Success || !strings.Contains(r.Content, "2 集中督导") {
			t.Fatalf("reply %+v, want the plain-text list", r)
		}
		if r := f.say(t, text("o-window", "上报督导")); !r.Success {
			t.Errorf("next turn %+v, want the menu tried again", r)
		}
		// The fault is answered before the body is read, so only the second call names the user.
		if calls := f.fake.CallsTo("/message/custom/send"); len(calls) != 2 || calls[0].Errcode != 45015 || calls[1].MsgType != "msgmenu" || !calls[1].Delivered() {
			t.Errorf("msgmenu calls = %+v", calls)
		}
	})
	t.Run("TooManyOptions", func(t *testing.T) {
		f := newMenuFixture(t, newMemory(t), 3*time.Second)
		f.bot.options = chat.MaxMenuOptions + 1
		if r := f.say(t, text("o-long", "上报督导")); r.Success || !strings.Contains(r.Content, "11 现场督导") {
			t.Fatalf("reply %+v, want the plain-text list", r)
		}
		if calls := f.fake.CallsTo("/message/custom/send"); len(calls) != 0 {
			t.Errorf("custom calls = %+v, want none", calls)
		}
	})
}

// TestMsgMenuLate: an answer that missed the reply budget goes out as the
// msgmenu, not as a text message besides it.
func TestMsgMenuLate(t *testing.T) {
	f := newMenuFixture(t, newMemory(t), 50*time.Millisecond)
	f.bot.hold = make(chan struct{})
	if r := f.say(t, text("o-slow", "上报督导")); !r.Success {
		t.Fatalf("past the budget the reply should be success, got %+v", r)
	}
	close(f.bot.hold)
	deadline := time.Now().Add(30 * time.Second)
	for len(f.menusTo("o-slow")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no late msgmenu")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := f.late.n.Load(); n != 0 {
		t.Errorf("%d late text replies besides the msgmenu", n)
	}
}

func TestMenuFits(t *testing.T) {
	opt := func(ids ...string) chat.Menu {
		var m chat.Menu
		for _, id := range ids {
			m.Options = append(m.Options, chat.MenuOption{ID: id, Text: "选项" + id})
		}
		return m
	}
	for name, tc := range map[string]struct {
		m    chat.Menu
		want bool
	}{
		"OK":          {opt("1", "2", "101"), true},
		"Ten":         {opt("1", "2", "3", "4", "5", "6", "7", "8", "9", "10"), true},
		"Eleven":      {opt("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"), false},
		"None":        {chat.Menu{Head: "?"}, false},
		"LeadingZero": {opt("01"), false},
		"NotNumber":   {opt("a"), false},
		"Duplicate":   {opt("1", "1"), false},
		"Zero":        {opt("0"), false},
		"NoText":      {chat.Menu{Options: []chat.MenuOption{{ID: "1"}}}, false},
	} {
		if got := wechat.MenuFits(tc.m); got != tc.want {
			t.Errorf("%s: MenuFits = %v, want %v", name, got, tc.want)
		}
	}
}
