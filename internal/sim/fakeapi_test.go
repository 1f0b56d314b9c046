package sim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/sim"
)

type fixture struct {
	f    *sim.FakeAPI
	base string
	hc   *http.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := sim.NewFakeAPI()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	hc := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &fixture{f: f, base: srv.URL, hc: hc}
}

// answer is a decoded JSON answer with its HTTP status.
type answer struct {
	status int
	body   map[string]any
	raw    []byte
	header http.Header
}

func (a answer) errcode() int {
	if v, ok := a.body["errcode"].(float64); ok {
		return int(v)
	}
	return 0
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

func (fx *fixture) do(t *testing.T, method, path string, body any) answer {
	t.Helper()
	a, err := fx.try(t, method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// try is do for goroutines other than the test's, which must not call t.Fatal.
func (fx *fixture) try(t *testing.T, method, path string, body any) (answer, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return answer{}, err
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, fx.base+path, r)
	if err != nil {
		return answer{}, err
	}
	resp, err := fx.hc.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, raw: raw, header: resp.Header}
	json.Unmarshal(raw, &a.body)
	return a, nil
}

// token gets a stable token.
func (fx *fixture) token(t *testing.T) string {
	t.Helper()
	a := fx.do(t, http.MethodPost, "/cgi-bin/stable_token", map[string]any{"grant_type": "client_credential", "appid": "wx1", "secret": "s"})
	tok := a.str("access_token")
	if a.status != 200 || a.errcode() != 0 || tok == "" {
		t.Fatalf("stable_token: %d %s", a.status, a.raw)
	}
	return tok
}

func wantErrcode(t *testing.T, a answer, code int) {
	t.Helper()
	// The platform answers errors with HTTP 200 and an errcode body.
	if a.status != http.StatusOK || a.errcode() != code || a.str("errmsg") == "" {
		t.Errorf("answer %d %s; want HTTP 200 with errcode %d", a.status, a.raw, code)
	}
}

func TestTokens(t *testing.T) {
	fx := newFixture(t)
	t.Run("Stable", func(t *testing.T) {
		tok := fx.token(t)
		if again := fx.token(t); again != tok {
			t.Errorf("stable token changed without force_refresh")
		}
		if n := fx.f.TokensIssued(); n != 1 {
			t.Errorf("issued = %d, want 1", n)
		}
		forced := fx.do(t, http.MethodPost, "/cgi-bin/stable_token", map[string]any{"appid": "wx1", "secret": "s", "force_refresh": true})
		if forced.str("access_token") == tok || fx.f.TokensIssued() != 2 {
			t.Errorf("force_refresh did not issue a new token")
		}
		// The secret never reaches the record.
		for _, c := range fx.f.CallsTo("/stable_token") {
			if bytes.Contains(c.Body, []byte(`"s"`)) {
				t.Errorf("recorded body has the secret: %s", c.Body)
			}
		}
	})
	t.Run("Classic", func(t *testing.T) {
		a := fx.do(t, http.MethodGet, "/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=s", nil)
		if a.str("access_token") == "" || a.body["expires_in"].(float64) <= 0 {
			t.Fatalf("token: %s", a.raw)
		}
		calls := fx.f.CallsTo("/cgi-bin/token")
		if q := calls[len(calls)-1].Query; q.Get("secret") != "REDACTED" {
			t.Errorf("recorded query = %v", q)
		}
	})
	t.Run("App", func(t *testing.T) {
		fx.f.SetApp("wx1", "right")
		defer fx.f.SetApp("", "")
		wantErrcode(t, fx.do(t, http.MethodGet, "/cgi-bin/token?appid=wx2&secret=right", nil), 40013)
		wantErrcode(t, fx.do(t, http.MethodGet, "/cgi-bin/token?appid=wx1&secret=wrong", nil), 40125)
	})
	t.Run("Checked", func(t *testing.T) {
		msg := map[string]any{"touser": "o-1", "msgtype": "text", "text": map[string]string{"content": "hi"}}
		wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/message/custom/send", msg), 41001)
		wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/message/custom/send?access_token=nope", msg), 40001)
		tok := fx.token(t)
		wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/message/custom/send?access_token="+tok, msg), 0)
		fx.f.InvalidateTokens()
		wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/message/custom/send?access_token="+tok, msg), 40001)
	})
	t.Run("Expired", func(t *testing.T) {
		fx.f.InvalidateTokens()
		fx.f.SetTokenTTL(time.Millisecond)
		defer fx.f.SetTokenTTL(7200 * time.Second)
		tok := fx.token(t)
		time.Sleep(5 * time.Millisecond)
		wantErrcode(t, fx.do(t, http.MethodGet, "/cgi-bin/media/get?media_id=x&access_token="+tok, nil), 42001)
	})
}

func TestMessages(t *testing.T) {
	fx := newFixture(t)
	tok := fx.token(t)
	q := "?access_token=" + tok
	tpl := map[string]any{
		"touser": "o-1", "template_id": "t1", "client_msg_id": "k-1",
		"data": map[string]any{"thing1": map[string]string{"value": "督导"}},
	}
	first := fx.do(t, http.MethodPost, "/cgi-bin/message/template/send"+q, tpl)
	wantErrcode(t, first, 0)
	second := fx.do(t, http.MethodPost, "/cgi-bin/message/template/send"+q, tpl)
	if first.body["msgid"] == nil || first.body["msgid"] != second.body["msgid"] {
		t.Errorf("same client_msg_id: msgids %v, %v", first.body["msgid"], second.body["msgid"])
	}
	calls := fx.f.CallsTo("/template/send")
	if len(calls) != 2 || !calls[0].Delivered() || calls[1].Delivered() || !calls[1].Duplicate ||
		calls[0].ToUser != "o-1" || calls[0].ClientMsgID != "k-1" || calls[0].Content != "thing1: 督导" ||
		calls[0].Query.Get("access_token") != "REDACTED" {
		t.Errorf("calls = %+v", calls)
	}

	fx.f.SetUser("o-gone", false)
	tpl["touser"], tpl["client_msg_id"] = "o-gone", "k-2"
	wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/message/template/send"+q, tpl), 43004)
	wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/message/custom/send"+q,
		map[string]any{"touser": "o-gone", "msgtype": "text", "text": map[string]string{"content": "hi"}}), 43004)
	wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/message/subscribe/bizsend"+q,
		map[string]any{"touser": "o-1", "template_id": "s1", "data": map[string]any{}}), 0)
	wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/message/custom/send"+q, "not json"), 47001)
	wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/message/custom/send"+q,
		map[string]any{"touser": "o-1", "msgtype": "video"}), 40008)
}

func TestFaults(t *testing.T) {
	fx := newFixture(t)
	tok := fx.token(t)
	path := "/cgi-bin/message/custom/send?access_token=" + tok
	msg := map[string]any{"touser": "o-1", "msgtype": "text", "text": map[string]string{"content": "hi"}}

	fx.f.FailNext("/message/custom/send", 45015, 2)
	fx.f.FailNext("/message/custom/send", 45009, 1)
	for _, code := range []int{45015, 45015, 45009, 0} {
		wantErrcode(t, fx.do(t, http.MethodPost, path, msg), code)
	}

	fx.f.FailNext("/message/custom/send", sim.FaultHTTP500, 1)
	if a := fx.do(t, http.MethodPost, path, msg); a.status != http.StatusInternalServerError {
		t.Errorf("FaultHTTP500: status %d", a.status)
	}

	fx.f.FailNext("/message/custom/send", sim.FaultDrop, 1)
	j, _ := json.Marshal(msg)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, fx.base+path, bytes.NewReader(j))
	if resp, err := fx.hc.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("FaultDrop: got an answer (%d)", resp.StatusCode)
	}

	calls := fx.f.CallsTo("/message/custom/send")
	var codes []int
	for _, c := range calls {
		codes = append(codes, c.Errcode)
	}
	if fmt.Sprint(codes) != fmt.Sprint([]int{45015, 45015, 45009, 0, sim.FaultHTTP500, sim.FaultDrop}) {
		t.Errorf("recorded errcodes = %v", codes)
	}

	fx.f.SetErrorRate(1, 45009)
	wantErrcode(t, fx.do(t, http.MethodPost, path, msg), 45009)
	fx.f.Reset()
	wantErrcode(t, fx.do(t, http.MethodPost, path, msg), 0)
	if n := len(fx.f.Calls()); n != 1 {
		t.Errorf("after Reset: %d calls recorded, want 1", n)
	}

	fx.f.SetLatency(300 * time.Millisecond)
	start := time.Now()
	wantErrcode(t, fx.do(t, http.MethodPost, path, msg), 0)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("latency %s, want ≥ 300ms", d)
	}
	fx.f.SetLatency(0)

	if a := fx.do(t, http.MethodGet, "/cgi-bin/nothing", nil); a.status != http.StatusNotFound {
		t.Errorf("unknown path: %d", a.status)
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	f := sim.NewFakeAPI()
	mux := http.NewServeMux()
	mux.Handle("/dev/wxapi/", f)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	resp, err := http.Post(srv.URL+"/dev/wxapi/cgi-bin/stable_token", "application/json", strings.NewReader(`{"appid":"a","secret":"b"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if f.TokensIssued() != 1 || f.Calls()[0].Path != "/cgi-bin/stable_token" {
		t.Errorf("issued %d, calls %+v", f.TokensIssued(), f.Calls())
	}
}

func TestMediaAndMenu(t *testing.T) {
	fx := newFixture(t)
	q := "?access_token=" + fx.token(t)

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("media", "photo.png")
	png := []byte("\x89PNG\r\n\x1a\n" + strings.Repeat("x", 100))
	part.Write(png)
	mw.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, fx.base+"/cgi-bin/media/upload"+q+"&type=image", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := fx.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var up struct {
		MediaID string `json:"media_id"`
		Type    string `json:"type"`
	}
	json.NewDecoder(resp.Body).Decode(&up)
	resp.Body.Close()
	if up.MediaID == "" || up.Type != "image" {
		t.Fatalf("upload = %+v", up)
	}

	got := fx.do(t, http.MethodGet, "/cgi-bin/media/get"+q+"&media_id="+url.QueryEscape(up.MediaID), nil)
	if !bytes.Equal(got.raw, png) || got.header.Get("Content-Type") != "image/png" {
		t.Errorf("media get: %d bytes, %q", len(got.raw), got.header.Get("Content-Type"))
	}
	wantErrcode(t, fx.do(t, http.MethodGet, "/cgi-bin/media/get"+q+"&media_id=absent", nil), 40007)

	menu := `{"button":[{"type":"click","name":"帮助","key":"HELP"}]}`
	wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/menu/create"+q, menu), 0)
	if string(fx.f.Menu()) != menu {
		t.Errorf("menu = %s", fx.f.Menu())
	}
	wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/menu/create"+q, `{"button":[]}`), 40016)

	qr := fx.do(t, http.MethodPost, "/cgi-bin/qrcode/create"+q, map[string]any{
		"expire_seconds": 600, "action_name": "QR_STR_SCENE",
		"action_info": map[string]any{"scene": map[string]any{"scene_str": "bind:1"}},
	})
	if scene, ok := fx.f.QRScene(qr.str("ticket")); !ok || scene != "bind:1" || qr.str("url") == "" {
		t.Errorf("qrcode: %s", qr.raw)
	}
}

func TestOAuth(t *testing.T) {
	fx := newFixture(t)
	fx.f.MapOAuthCode("c1", "o-1")
	a := fx.do(t, http.MethodGet, "/sns/oauth2/access_token?appid=a&secret=b&code=c1&grant_type=authorization_code", nil)
	if a.str("openid") != "o-1" || a.str("scope") != "snsapi_base" {
		t.Errorf("exchange: %s", a.raw)
	}
	wantErrcode(t, fx.do(t, http.MethodGet, "/sns/oauth2/access_token?appid=a&secret=b&code=c1", nil), 40163)
	wantErrcode(t, fx.do(t, http.MethodGet, "/sns/oauth2/access_token?appid=a&secret=b&code=nope", nil), 40029)

	back := url.QueryEscape("https://example.org/h5/card?id=3")
	if a := fx.do(t, http.MethodGet, "/connect/oauth2/authorize?appid=a&redirect_uri="+back+"&response_type=code&scope=snsapi_base&state=s", nil); a.status != http.StatusBadRequest {
		t.Errorf("no persona: %d", a.status)
	}
	fx.f.SetPersona("o-default")
	a = fx.do(t, http.MethodGet, "/connect/oauth2/authorize?appid=a&redirect_uri="+back+"&response_type=code&scope=snsapi_base&state=s", nil)
	loc, _ := url.Parse(a.header.Get("Location"))
	if a.status != http.StatusFound || loc == nil || loc.Query().Get("state") != "s" || loc.Query().Get("id") != "3" {
		t.Fatalf("authorize: %d, Location %q", a.status, a.header.Get("Location"))
	}
	ex := fx.do(t, http.MethodGet, "/sns/oauth2/access_token?appid=a&secret=b&code="+url.QueryEscape(loc.Query().Get("code")), nil)
	if ex.str("openid") != "o-default" {
		t.Errorf("exchange of the page's code: %s", ex.raw)
	}
}

func TestWeCom(t *testing.T) {
	fx := newFixture(t)
	text := func(s string) map[string]any {
		return map[string]any{"msgtype": "text", "text": map[string]any{"content": s}}
	}
	for i := range 20 {
		wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/webhook/send?key=k1", text(fmt.Sprint("msg ", i))), 0)
	}
	wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/webhook/send?key=k1", text("one too many")), 45009)
	wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/webhook/send?key=k2", text("other robot")), 0)
	wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/webhook/send", text("no key")), 93000)
	wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/webhook/send?key=k3", text(strings.Repeat("x", 2049))), 40058)
	wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/webhook/send?key=k3",
		map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": "**ok**"}}), 0)
	calls := fx.f.CallsTo("/webhook/send")
	if last := calls[len(calls)-1]; last.MsgType != "markdown" || last.Content != "**ok**" || last.Query.Get("key") != "k3" {
		t.Errorf("last call = %+v", last)
	}

	wantErrcode(t, fx.do(t, http.MethodPost, "/wecom/response/abc123",
		map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": "进度：80%"}}), 0)
	if c := fx.f.CallsTo("/wecom/response/abc123"); len(c) != 1 || c[0].Content != "进度：80%" {
		t.Errorf("response_url calls = %+v", c)
	}
}

func TestConcurrent(t *testing.T) {
	fx := newFixture(t)
	fx.f.SetErrorRate(0.2, 45009, sim.FaultHTTP500)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 20 {
				a, err := fx.try(t, http.MethodPost, "/cgi-bin/stable_token", map[string]any{"appid": "a", "secret": "b"})
				if err != nil {
					t.Error(err)
					return
				}
				tok := a.str("access_token")
				if _, err := fx.try(t, http.MethodPost, "/cgi-bin/message/template/send?access_token="+tok, map[string]any{
					"touser": "o-1", "template_id": "t", "client_msg_id": fmt.Sprint(i, "-", j%5),
				}); err != nil {
					t.Error(err)
				}
				if _, err := fx.try(t, http.MethodPost, "/cgi-bin/webhook/send?key=k",
					map[string]any{"msgtype": "text", "text": map[string]any{"content": "x"}}); err != nil {
					t.Error(err)
				}
				if j%7 == 0 {
					fx.f.InvalidateTokens()
					_ = fx.f.Calls()
					fx.f.SetUser(fmt.Sprint("o-", j), j%2 == 0)
				}
			}
		})
	}
	wg.Wait()
	if n := len(fx.f.Calls()); n != 16*20*3 {
		t.Errorf("recorded %d calls, want %d", n, 16*20*3)
	}
}

// TestFaultsOverHTTP sets every fault knob through /dev/wxapi/faults, the
// way a fault run does with curl, and reads the outcome at /dev/wxapi/calls.
func TestFaultsOverHTTP(t *testing.T) {
	fx := newFixture(t)
	tok := fx.token(t)
	path := "/cgi-bin/message/custom/send?access_token=" + tok
	msg := func(to string) map[string]any {
		return map[string]any{"touser": to, "msgtype": "text", "text": map[string]string{"content": "hi"}}
	}
	set := func(t *testing.T, body string) answer {
		t.Helper()
		a := fx.do(t, http.MethodPost, sim.FaultsPath, body)
		if a.status != http.StatusOK {
			t.Fatalf("POST %s = %d %s", body, a.status, a.raw)
		}
		return a
	}

	t.Run("Unfollowed", func(t *testing.T) {
		set(t, `{"unfollowed":["o-gone"]}`)
		wantErrcode(t, fx.do(t, http.MethodPost, path, msg("o-gone")), 43004)
		wantErrcode(t, fx.do(t, http.MethodPost, path, msg("o-here")), 0)
	})
	t.Run("ErrorRate", func(t *testing.T) {
		set(t, `{"error_rate":1,"error_codes":[45009]}`)
		wantErrcode(t, fx.do(t, http.MethodPost, path, msg("o-1")), 45009)
		set(t, `{"error_codes":["http500"]}`) // the rate stays
		if a := fx.do(t, http.MethodPost, path, msg("o-1")); a.status != http.StatusInternalServerError {
			t.Fatalf("http500: status %d", a.status)
		}
		set(t, `{"error_codes":["drop"]}`)
		j, _ := json.Marshal(msg("o-1"))
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, fx.base+path, bytes.NewReader(j))
		if resp, err := fx.hc.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("drop: got an answer (%d)", resp.StatusCode)
		}
		set(t, `{"error_rate":0}`)
	})
	t.Run("FailNext", func(t *testing.T) {
		set(t, `{"fail_next":[{"path":"/message/custom/send","code":45015,"n":2}]}`)
		got := fx.do(t, http.MethodGet, sim.FaultsPath, nil)
		if q, _ := got.body["fail_next"].([]any); len(q) != 1 {
			t.Fatalf("faults after queueing: %s", got.raw)
		}
		for _, code := range []int{45015, 45015, 0} {
			wantErrcode(t, fx.do(t, http.MethodPost, path, msg("o-1")), code)
		}
	})
	t.Run("AcceptDelay", func(t *testing.T) {
		set(t, `{"accept_delay":"1m"}`)
		hc := &http.Client{Timeout: 200 * time.Millisecond}
		j, _ := json.Marshal(msg("o-accepted"))
		if resp, err := hc.Post(fx.base+path, "application/json", bytes.NewReader(j)); err == nil {
			resp.Body.Close()
			t.Fatalf("answered (%d) despite the delay", resp.StatusCode)
		}
		set(t, `{"accept_delay":"0s"}`)
		// The client gave up, yet the platform delivered the message.
		a := fx.do(t, http.MethodGet, sim.CallsPath+"?path=/message/custom/send", nil)
		var calls []struct {
			To        string `json:"to"`
			Delivered bool   `json:"delivered"`
		}
		if err := json.Unmarshal(a.raw, &calls); err != nil {
			t.Fatal(err)
		}
		if n := len(calls); n == 0 || calls[n-1].To != "o-accepted" || !calls[n-1].Delivered {
			t.Fatalf("calls %s", a.raw)
		}
	})
	t.Run("Latency", func(t *testing.T) {
		a := set(t, `{"latency":"250ms"}`)
		if a.str("latency") != "250ms" {
			t.Fatalf("faults %s", a.raw)
		}
	})
	t.Run("Clear", func(t *testing.T) {
		set(t, `{"unfollowed":["o-gone"],"error_rate":0.5}`)
		a := fx.do(t, http.MethodDelete, sim.FaultsPath, nil)
		want := `{"latency":"0s","accept_delay":"0s","error_rate":0,"error_codes":[],"unfollowed":[],"fail_next":[],"test_account":false}`
		if a.status != http.StatusOK || strings.TrimSpace(string(a.raw)) != want {
			t.Fatalf("DELETE = %d %s", a.status, a.raw)
		}
		wantErrcode(t, fx.do(t, http.MethodPost, path, msg("o-gone")), 0)
	})
	t.Run("BadRequests", func(t *testing.T) {
		for _, body := range []string{`{"latency":"soon"}`, `{"error_rate":2}`, `{"error_codes":["boom"]}`,
			`{"fail_next":[{"path":"/x","code":45009}]}`, `{"unfollowed":[""]}`, `{"nonsense":1}`, `not json`} {
			a := fx.do(t, http.MethodPost, sim.FaultsPath, body)
			if a.status != http.StatusBadRequest || !containsHan(a.str("error")) {
				t.Errorf("POST %s = %d %s, want 400 with a Chinese sentence", body, a.status, a.raw)
			}
		}
		if a := fx.do(t, http.MethodPut, sim.FaultsPath, `{}`); a.status != http.StatusBadRequest {
			t.Errorf("PUT = %d", a.status)
		}
		// Control requests are not API calls.
		for _, c := range fx.f.Calls() {
			if strings.Contains(c.Path, "/dev/wxapi") {
				t.Fatalf("control request recorded as a call: %+v", c)
			}
		}
	})
}

func containsHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// TestMediaOnDisk: with a media directory, media put or uploaded are
// served by a later fake over the same directory; odd ids stay in memory.
func TestMediaOnDisk(t *testing.T) {
	dir := t.TempDir()
	f := sim.NewFakeAPI()
	if err := f.SetMediaDir(dir); err != nil {
		t.Fatal(err)
	}
	f.PutMedia("sim-media-1", []byte("jpeg bytes"), "image/jpeg")
	f.PutMedia("../escape", []byte("x"), "image/jpeg")
	again := sim.NewFakeAPI()
	if err := again.SetMediaDir(dir); err != nil {
		t.Fatal(err)
	}
	if data, ctype, ok := again.Media("sim-media-1"); !ok || string(data) != "jpeg bytes" || ctype != "image/jpeg" {
		t.Fatalf("after a restart: %v %q %q", ok, ctype, data)
	}
	if _, _, ok := again.Media("../escape"); ok {
		t.Fatal("a medium with a path in its id was stored on disk")
	}
	if _, _, ok := sim.NewFakeAPI().Media("sim-media-1"); ok {
		t.Fatal("a fake without the directory serves it")
	}
}

// TestTemplateCard: a template message is drawn as the phone shows it —
// the library's title, labelled fields in template order, the remark —
// and a template the library lacks still gets labels, never thing1.
func TestTemplateCard(t *testing.T) {
	fx := newFixture(t)
	q := "?access_token=" + fx.token(t)
	item := func(v string) map[string]string { return map[string]string{"value": v} }
	for _, tpl := range []map[string]any{
		{"touser": "o-1", "template_id": "tpl-letter-feedback", "data": map[string]any{
			"thing4": item("张某某"), "thing1": item("整改反馈"), "character_string2": item("胡埭〔2026〕0001"), "thing3": item("阿英面馆")}},
		{"touser": "o-1", "template_id": "tpl-unknown", "data": map[string]any{"time2": item("12月31日"), "thing1": item("提醒")}},
	} {
		wantErrcode(t, fx.do(t, http.MethodPost, "/cgi-bin/message/template/send"+q, tpl), 0)
	}
	calls := fx.f.CallsTo("/template/send")
	want := sim.TemplateCard{Title: "整改反馈通知", Remark: "点击查看反馈内容和照片。", Fields: []sim.CardField{
		{Label: "通知事项", Value: "整改反馈"}, {Label: "提示函编号", Value: "胡埭〔2026〕0001"}, {Label: "包保主体", Value: "阿英面馆"}, {Label: "反馈人", Value: "张某某"}}}
	if got := calls[0].Template; got == nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("card = %+v, want %+v", got, want)
	}
	if got := calls[1].Template; got == nil || got.Title == "" || got.Fields[0].Label != "内容" || got.Fields[1].Label != "时间" {
		t.Errorf("unknown template's card = %+v", got)
	}
}
