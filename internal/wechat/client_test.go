package wechat_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/sim"
	"github.com/shianbao/shianbao/internal/wechat"
)

// The SDK's URI modifier is a process global pointed at the latest client's
// base, so none of these tests runs in parallel.

const testSecret = "SECRET-XYZ"

// newFake serves a fresh fake WeChat API and returns it with its base URL.
func newFake(t *testing.T) (*sim.FakeAPI, string) {
	t.Helper()
	f := sim.NewFakeAPI()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func newMemory(t *testing.T) kv.Store {
	t.Helper()
	m := kv.NewMemory()
	t.Cleanup(func() { m.Close() })
	return m
}

// testAppID is unique per test, so tests sharing a Redis never share a token.
func testAppID() string { return "wxtest" + strings.ToLower(rand.Text()[:10]) }

func newClient(t *testing.T, base string, store kv.Store, appID string) *wechat.Client {
	t.Helper()
	c, err := wechat.NewClient(wechat.ClientOptions{
		AppID: appID, AppSecret: testSecret, APIBase: base, KV: store, HTTPTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// setup is the common case: a fake and one client on an in-process store.
func setup(t *testing.T) (*sim.FakeAPI, *wechat.Client) {
	t.Helper()
	f, base := newFake(t)
	return f, newClient(t, base, newMemory(t), testAppID())
}

func sendTemplate(t *testing.T, c *wechat.Client, to string) (int64, error) {
	t.Helper()
	return c.TemplateSend(t.Context(), wechat.TemplateMessage{
		ToUser: to, TemplateID: "tpl-reminder", URL: "https://example.org/h5/tasks",
		Data: map[string]string{"thing1": "督导提醒", "time2": "2026-11-28"},
	})
}

func wantError(t *testing.T, err error) *wechat.Error {
	t.Helper()
	if err == nil {
		t.Fatal("want error, got nil")
	}
	e, ok := wechat.AsError(err)
	if !ok {
		t.Fatalf("error %T (%v) is not *wechat.Error", err, err)
	}
	return e
}

func TestNewClientOptions(t *testing.T) {
	store := newMemory(t)
	tests := []struct {
		name string
		opts wechat.ClientOptions
	}{
		{"NoAppID", wechat.ClientOptions{AppSecret: "s", KV: store}},
		{"NoSecret", wechat.ClientOptions{AppID: "a", KV: store}},
		{"NoKV", wechat.ClientOptions{AppID: "a", AppSecret: "s"}},
		{"BadBase", wechat.ClientOptions{AppID: "a", AppSecret: "s", KV: store, APIBase: "ftp://x"}},
		{"RelativeBase", wechat.ClientOptions{AppID: "a", AppSecret: "s", KV: store, APIBase: "/api"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := wechat.NewClient(tt.opts); err == nil {
				t.Fatal("want error")
			}
		})
	}
}

func TestTemplateSend(t *testing.T) {
	f, c := setup(t)
	m := wechat.TemplateMessage{
		ToUser: "o-cadre-1", TemplateID: "tpl-reminder", URL: "https://example.org/h5/v/1",
		Data:        map[string]string{"thing1": "滨湖区食安督导", "time2": "2026-11-28 09:00"},
		ClientMsgID: "outbox-42",
	}
	id, err := c.TemplateSend(t.Context(), m)
	if err != nil {
		t.Fatalf("TemplateSend: %v", err)
	}
	calls := f.CallsTo("/message/template/send")
	if len(calls) != 1 {
		t.Fatalf("template calls = %d, want 1", len(calls))
	}
	got := calls[0]
	if got.ToUser != "o-cadre-1" || got.ClientMsgID != "outbox-42" || got.MsgID != id || id == 0 {
		t.Errorf("call = to %q, client_msg_id %q, msgid %d; returned msgid %d", got.ToUser, got.ClientMsgID, got.MsgID, id)
	}
	if want := "thing1: 滨湖区食安督导\ntime2: 2026-11-28 09:00"; got.Content != want {
		t.Errorf("content = %q, want %q", got.Content, want)
	}
	if !bytes.Contains(got.Body, []byte(`"url":"https://example.org/h5/v/1"`)) || bytes.Contains(got.Body, []byte("miniprogram")) {
		t.Errorf("body = %s", got.Body)
	}

	// The same client_msg_id is the same message to the platform.
	again, err := c.TemplateSend(t.Context(), m)
	if err != nil || again != id {
		t.Fatalf("repeat TemplateSend = %d, %v; want %d", again, err, id)
	}
	if calls := f.CallsTo("/message/template/send"); len(calls) != 2 || !calls[1].Duplicate {
		t.Errorf("repeat not marked duplicate: %+v", calls)
	}

	if _, err := c.TemplateSend(t.Context(), wechat.TemplateMessage{TemplateID: "x"}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("no recipient: err = %v, want Invalid", err)
	}
}

func TestSubscribeSend(t *testing.T) {
	f, c := setup(t)
	err := c.SubscribeSend(t.Context(), wechat.SubscribeMessage{
		ToUser: "o-boss-1", TemplateID: "sub-letter", Page: "https://example.org/h5/letters/7",
		Data: map[string]string{"thing1": "督导提示函"},
	})
	if err != nil {
		t.Fatalf("SubscribeSend: %v", err)
	}
	calls := f.CallsTo("/message/subscribe/bizsend")
	if len(calls) != 1 || calls[0].ToUser != "o-boss-1" || calls[0].Content != "thing1: 督导提示函" ||
		!bytes.Contains(calls[0].Body, []byte(`"page":"https://example.org/h5/letters/7"`)) {
		t.Fatalf("calls = %+v", calls)
	}
}

func TestCustomSend(t *testing.T) {
	f, c := setup(t)
	if err := c.CustomSend(t.Context(), "o-cadre-1", chat.Say("您有 3 家包保主体待督导。")); err != nil {
		t.Fatalf("CustomSend text: %v", err)
	}
	news := chat.Outbound{Text: "ignored", Articles: []chat.Article{
		{Title: "督导回执", Description: "点击查看", URL: "https://example.org/h5/v/9", PicURL: "https://example.org/p.png"},
		{Title: "second"},
	}}
	if err := c.CustomSend(t.Context(), "o-cadre-1", news); err != nil {
		t.Fatalf("CustomSend news: %v", err)
	}
	calls := f.CallsTo("/message/custom/send")
	if len(calls) != 2 {
		t.Fatalf("custom calls = %d, want 2", len(calls))
	}
	if c0 := calls[0]; c0.ToUser != "o-cadre-1" || c0.MsgType != "text" || c0.Content != "您有 3 家包保主体待督导。" {
		t.Errorf("text call = %+v", c0)
	}
	if c1 := calls[1]; c1.MsgType != "news" || c1.Content != "督导回执" || bytes.Contains(c1.Body, []byte("second")) {
		t.Errorf("news call = %+v, body %s", c1, c1.Body)
	}
	if err := c.CustomSend(t.Context(), "o-cadre-1", chat.Outbound{}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("empty outbound: err = %v, want Invalid", err)
	}
}

func TestErrorCodes(t *testing.T) {
	tests := []struct {
		name      string
		code      int // errcode, or a sim fault
		check     func(*wechat.Error) bool
		temporary bool
		kind      errs.Kind
	}{
		{"Throttled", 45009, (*wechat.Error).Throttled, false, errs.Unavailable},
		{"NotFollowing", 43004, (*wechat.Error).Unreachable, false, errs.Internal},
		{"Refused", 43101, (*wechat.Error).Unreachable, false, errs.Internal},
		{"OutsideWindow", 45015, (*wechat.Error).OutsideWindow, false, errs.Internal},
		{"ReplyCount", 45047, (*wechat.Error).OutsideWindow, false, errs.Internal},
		{"HTTP500", sim.FaultHTTP500, func(e *wechat.Error) bool { return e.Code == 0 }, true, errs.Unavailable},
		{"Dropped", sim.FaultDrop, func(e *wechat.Error) bool { return e.Code == 0 }, true, errs.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := setup(t)
			f.FailNext("/message/custom/send", tt.code, 1)
			err := c.CustomSend(t.Context(), "o-1", chat.Say("hi"))
			e := wantError(t, err)
			if !tt.check(e) || e.Temporary != tt.temporary || errs.KindOf(err) != tt.kind {
				t.Errorf("err = %v (code %d, temporary %v, kind %s)", err, e.Code, e.Temporary, errs.KindOf(err))
			}
			if e.Throttled() && e.RetryAfter <= 0 {
				t.Errorf("throttled without RetryAfter: %v", err)
			}
			// The failure is not retried: only token errors are.
			if n := len(f.CallsTo("/message/custom/send")); n != 1 {
				t.Errorf("custom calls = %d, want 1", n)
			}
		})
	}

	t.Run("UnfollowedUser", func(t *testing.T) {
		f, c := setup(t)
		f.SetUser("o-gone", false)
		_, err := sendTemplate(t, c, "o-gone")
		if e := wantError(t, err); !e.Unreachable() || e.Code != 43004 {
			t.Fatalf("err = %v, want 43004 unreachable", err)
		}
	})
}

func TestSecretsNeverInErrors(t *testing.T) {
	type provoke struct {
		name string
		// arrange sets up the fake; it may be nil.
		arrange func(f *sim.FakeAPI)
		// base overrides the fake's URL (an unreachable server).
		base string
		// cold skips fetching a token before the failure.
		cold bool
		call func(ctx context.Context, c *wechat.Client) error
	}
	template := func(ctx context.Context, c *wechat.Client) error {
		_, err := c.TemplateSend(ctx, wechat.TemplateMessage{ToUser: "o-1", TemplateID: "t"})
		return err
	}
	oauth := func(ctx context.Context, c *wechat.Client) error {
		_, err := c.OAuthOpenID(ctx, "CODE-SECRET-1")
		return err
	}
	media := func(ctx context.Context, c *wechat.Client) error {
		_, _, err := c.DownloadMedia(ctx, "m-1")
		return err
	}
	tests := []provoke{
		{name: "UnreachableTemplate", base: "http://127.0.0.1:1", call: template},
		{name: "UnreachableOAuth", base: "http://127.0.0.1:1", call: oauth},
		{name: "HTTP500Template", arrange: func(f *sim.FakeAPI) { f.FailNext("/template/send", sim.FaultHTTP500, 1) }, call: template},
		{name: "DroppedTemplate", arrange: func(f *sim.FakeAPI) { f.FailNext("/template/send", sim.FaultDrop, 1) }, call: template},
		{name: "DroppedMedia", arrange: func(f *sim.FakeAPI) { f.FailNext("/media/get", sim.FaultDrop, 1) }, call: media},
		{name: "HTTP500Media", arrange: func(f *sim.FakeAPI) { f.FailNext("/media/get", sim.FaultHTTP500, 1) }, call: media},
		{name: "DroppedToken", cold: true, arrange: func(f *sim.FakeAPI) { f.FailNext("/stable_token", sim.FaultDrop, 1) }, call: template},
		{name: "BadSecret", cold: true, arrange: func(f *sim.FakeAPI) { f.SetApp("", "other") }, call: template},
		{name: "DroppedOAuth", arrange: func(f *sim.FakeAPI) { f.FailNext("/sns/oauth2/access_token", sim.FaultDrop, 1) }, call: oauth},
		{name: "HTTP500OAuth", arrange: func(f *sim.FakeAPI) { f.FailNext("/sns/oauth2/access_token", sim.FaultHTTP500, 1) }, call: oauth},
		{name: "UnknownOAuthCode", call: oauth},
		{name: "Errcode", arrange: func(f *sim.FakeAPI) { f.FailNext("/template/send", 45009, 1) }, call: template},
		{name: "TokenRejectedTwice", arrange: func(f *sim.FakeAPI) { f.FailNext("/template/send", 40001, 2) }, call: template},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, base := newFake(t)
			if tt.base != "" {
				base = tt.base
			}
			c := newClient(t, base, newMemory(t), testAppID())
			// A token is in the cache (and so in the URL) before the failure.
			if tt.base == "" && !tt.cold {
				if _, err := c.AccessToken(t.Context()); err != nil {
					t.Fatalf("AccessToken: %v", err)
				}
			}
			if tt.arrange != nil {
				tt.arrange(f)
			}
			err := tt.call(t.Context(), c)
			if err == nil {
				t.Fatal("want error")
			}
			text := err.Error()
			t.Logf("error: %s", text)
			secrets := append([]string{testSecret, "CODE-SECRET-1"}, f.IssuedTokens()...)
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("error %q contains secret %q", text, s)
				}
			}
			if _, ok := wechat.AsError(err); !ok {
				t.Errorf("error %T is not *wechat.Error", err)
			}
		})
	}
}

func TestContextDeadline(t *testing.T) {
	f, c := setup(t)
	if _, err := c.AccessToken(t.Context()); err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	f.SetLatency(time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.CustomSend(ctx, "o-1", chat.Say("hi"))
	if e := wantError(t, err); !e.Temporary || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want temporary deadline exceeded", err)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("call took %s: the context's deadline was not honoured", d)
	}
}

func TestDownloadMedia(t *testing.T) {
	f, c := setup(t)
	photo := append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte{7}, 4096)...)
	f.PutMedia("m-photo", photo, "image/jpeg")
	data, ctype, err := c.DownloadMedia(t.Context(), "m-photo")
	if err != nil {
		t.Fatalf("DownloadMedia: %v", err)
	}
	if !bytes.Equal(data, photo) || ctype != "image/jpeg" {
		t.Errorf("got %d bytes of %q, want %d bytes of image/jpeg", len(data), ctype, len(photo))
	}

	_, _, err = c.DownloadMedia(t.Context(), "m-absent")
	if e := wantError(t, err); e.Code != 40007 {
		t.Errorf("unknown media: err = %v, want errcode 40007", err)
	}

	f.PutMedia("m-huge", make([]byte, wechat.MaxMediaSize+1), "image/jpeg")
	if _, _, err := c.DownloadMedia(t.Context(), "m-huge"); err == nil {
		t.Error("oversized media: want error")
	}
}

func TestOAuth(t *testing.T) {
	f, base := newFake(t)
	c := newClient(t, base, newMemory(t), testAppID())

	t.Run("Code", func(t *testing.T) {
		f.MapOAuthCode("code-1", "o-boss-1")
		openid, err := c.OAuthOpenID(t.Context(), "code-1")
		if err != nil || openid != "o-boss-1" {
			t.Fatalf("OAuthOpenID = %q, %v; want o-boss-1", openid, err)
		}
		_, err = c.OAuthOpenID(t.Context(), "code-1")
		if e := wantError(t, err); e.Code != 40163 || errs.KindOf(err) != errs.Unauthorized {
			t.Errorf("reused code: err = %v, want 40163 Unauthorized", err)
		}
		_, err = c.OAuthOpenID(t.Context(), "code-unknown")
		if e := wantError(t, err); e.Code != 40029 {
			t.Errorf("unknown code: err = %v, want 40029", err)
		}
	})

	t.Run("AuthorizePage", func(t *testing.T) {
		u := c.OAuthURL("https://example.org/h5/card?id=7", "st-1")
		if !strings.HasPrefix(u, base+"/connect/oauth2/authorize?") || !strings.Contains(u, "scope=snsapi_base") {
			t.Fatalf("OAuthURL = %s", u)
		}
		u = strings.TrimSuffix(u, "#wechat_redirect") + "&persona=o-visitor"
		hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatalf("GET authorize: %v", err)
		}
		resp.Body.Close()
		back, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil || back.Host != "example.org" || back.Query().Get("id") != "7" ||
			back.Query().Get("state") != "st-1" {
			t.Fatalf("authorize answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		openid, err := c.OAuthOpenID(t.Context(), back.Query().Get("code"))
		if err != nil || openid != "o-visitor" {
			t.Fatalf("OAuthOpenID = %q, %v; want o-visitor", openid, err)
		}
	})

	t.Run("OfficialURL", func(t *testing.T) {
		c := newClient(t, "", newMemory(t), "wxofficial")
		want := "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wxofficial&redirect_uri=https%3A%2F%2Fexample.org%2Fh5&response_type=code&scope=snsapi_base&state=s#wechat_redirect"
		if got := c.OAuthURL("https://example.org/h5", "s"); got != want {
			t.Errorf("OAuthURL = %s\nwant       %s", got, want)
		}
	})
}

func TestSetMenu(t *testing.T) {
	file, err := os.ReadFile("../../configs/menu.json")
	if err != nil {
		t.Fatalf("read menu: %v", err)
	}
	for _, key := range []string{"MY_TASKS", "REPORT_VISIT", "RECTIFICATIONS", "KNOWLEDGE_CARD", "BIND", "HELP"} {
		if !bytes.Contains(file, []byte(`"`+key+`"`)) {
			t.Errorf("menu has no key %s", key)
		}
	}
	var menus struct {
		Roles map[string]json.RawMessage `json:"roles"`
	}
	if err := json.Unmarshal(file, &menus); err != nil {
		t.Fatal(err)
	}
	menu := []byte(menus.Roles["cadre"])
	if err := wechat.ValidateMenu(menu); err != nil {
		t.Fatalf("configs/menu.json: %v", err)
	}
	f, c := setup(t)
	if err := c.SetMenu(t.Context(), menu); err != nil {
		t.Fatalf("SetMenu: %v", err)
	}
	if !bytes.Equal(f.Menu(), menu) {
		t.Errorf("fake menu = %s", f.Menu())
	}

	bad := map[string]string{
		"NotJSON":      `{"button":`,
		"NoButtons":    `{"button":[]}`,
		"FourButtons":  `{"button":[{"type":"click","name":"a","key":"A"},{"type":"click","name":"b","key":"B"},{"type":"click","name":"c","key":"C"},{"type":"click","name":"d","key":"D"}]}`,
		"LongName":     `{"button":[{"type":"click","name":"一二三四五六","key":"A"}]}`,
		"NoKey":        `{"button":[{"type":"click","name":"a"}]}`,
		"NoURL":        `{"button":[{"type":"view","name":"a"}]}`,
		"SixSubs":      `{"button":[{"name":"m","sub_button":[{"type":"click","name":"1","key":"1"},{"type":"click","name":"2","key":"2"},{"type":"click","name":"3","key":"3"},{"type":"click","name":"4","key":"4"},{"type":"click","name":"5","key":"5"},{"type":"click","name":"6","key":"6"}]}]}`,
		"NoTypeNoSubs": `{"button":[{"name":"a"}]}`,
	}
	for name, m := range bad {
		t.Run(name, func(t *testing.T) {
			if err := c.SetMenu(t.Context(), []byte(m)); errs.KindOf(err) != errs.Invalid {
				t.Errorf("SetMenu = %v, want Invalid", err)
			}
		})
	}
	if n := len(f.CallsTo("/menu/create")); n != 1 {
		t.Errorf("menu calls = %d, want 1 (invalid menus never sent)", n)
	}
}

func TestCreateQRScene(t *testing.T) {
	f, c := setup(t)
	ticket, qr, err := c.CreateQRScene(t.Context(), "bind:ABC123", 10*time.Minute)
	if err != nil {
		t.Fatalf("CreateQRScene: %v", err)
	}
	if scene, ok := f.QRScene(ticket); !ok || scene != "bind:ABC123" || qr == "" {
		t.Errorf("ticket %q → scene %q (%v), url %q", ticket, scene, ok, qr)
	}
	if calls := f.CallsTo("/qrcode/create"); len(calls) != 1 || !bytes.Contains(calls[0].Body, []byte(`"expire_seconds":600`)) {
		t.Errorf("calls = %+v", calls)
	}
	if _, _, err := c.CreateQRScene(t.Context(), strings.Repeat("x", 65), time.Hour); errs.KindOf(err) != errs.Invalid {
		t.Errorf("long scene: err = %v, want Invalid", err)
	}
}

func TestConcurrentSends(t *testing.T) {
	f, base := newFake(t)
	store := newMemory(t)
	appID := testAppID()
	clients := []*wechat.Client{newClient(t, base, store, appID), newClient(t, base, store, appID)}
	var wg sync.WaitGroup
	errc := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			if err := clients[i%2].CustomSend(context.Background(), "o-1", chat.Say("hi")); err != nil {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if n := len(f.CallsTo("/cgi-bin/stable_token")); n != 1 {
		t.Errorf("stable_token calls = %d, want 1", n)
	}
}

func TestBaseRepointed(t *testing.T) {
	_, base1 := newFake(t)
	f2, base2 := newFake(t)
	a := newClient(t, base1, newMemory(t), testAppID())
	b := newClient(t, base2, newMemory(t), testAppID())
	// The URI modifier now points at base2: a's call must not go there.
	if err := a.CustomSend(t.Context(), "o-1", chat.Say("hi")); err == nil || !strings.Contains(err.Error(), "re-pointed") {
		t.Errorf("old client: err = %v, want re-pointed", err)
	}
	if err := b.CustomSend(t.Context(), "o-1", chat.Say("hi")); err != nil {
		t.Errorf("latest client: %v", err)
	}
	if n := len(f2.CallsTo("/message/custom/send")); n != 1 {
		t.Errorf("calls to the second fake = %d, want 1", n)
	}
}
