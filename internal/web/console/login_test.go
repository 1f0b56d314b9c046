package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/console"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// pauses records the waits sign-in asks for instead of waiting.
type pauses struct {
	mu    sync.Mutex
	asked []time.Duration
}

func (p *pauses) pause(_ context.Context, d time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, d)
	return nil
}

// last returns the wait asked for since the previous call (0 for none).
func (p *pauses) last() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var d time.Duration
	if n := len(p.asked); n > 0 {
		d = p.asked[n-1]
	}
	p.asked = nil
	return d
}

// TestConsoleSignInThrottle: successful sign-ins never count; wrong
// passwords slow an account down but never lock it (the right password
// still signs in, and clears the slowdown); an address that keeps failing
// is refused until a time it is told.
func TestConsoleSignInThrottle(t *testing.T) {
	a := webtest.Boot(t)
	atWindowStart(t, a)
	waits := &pauses{}
	console.SetLoginPause(a.App.SignIn, waits.pause)

	t.Run("SuccessesDoNotCount", func(t *testing.T) {
		c := a.Client(t)
		// More than both old limits: 5 per account, 20 per address.
		for i := range 22 {
			if c.Login(a.Viewer, webtest.Password); c.Status != http.StatusSeeOther {
				t.Fatalf("sign-in %d from one address = %d: %s", i+1, c.Status, c.Text())
			}
		}
		if d := waits.last(); d != 0 {
			t.Fatalf("successful sign-ins were slowed down by %s", d)
		}
	})

	t.Run("FailuresSlowDownButNeverLockOut", func(t *testing.T) {
		// Wrong passwords for hudai from addresses all over the place.
		want := []time.Duration{0, 0, 0, 0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
			16 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}
		for i, w := range want {
			c := a.Client(t)
			if c.Login(a.Hudai, "wrong-password"); c.Status != http.StatusUnauthorized || !strings.Contains(c.Text(), "用户名或密码不正确") {
				t.Fatalf("wrong password %d = %d: %s", i+1, c.Status, c.Text())
			}
			if got := waits.last(); got != w {
				t.Fatalf("wrong password %d waited %s, want %s", i+1, got, w)
			}
			if slowed := strings.Contains(c.Text(), "下次登录需等待约"); slowed != (i >= 5) {
				t.Errorf("after %d failures the page says %q", i+1, c.Text())
			}
		}
		// The manager, from their own desk, waits once and is in.
		owner := a.Client(t)
		if owner.Login(a.Hudai, webtest.Password); owner.Status != http.StatusSeeOther {
			t.Fatalf("the right password after %d failures = %d: %s", len(want), owner.Status, owner.Text())
		}
		if got := waits.last(); got != 30*time.Second {
			t.Fatalf("the right password waited %s, want the capped 30s", got)
		}
		if owner.Get("/console/"); owner.Status != http.StatusOK {
			t.Fatalf("dashboard after a slowed sign-in = %d", owner.Status)
		}
		// The success cleared the count: the next mistake is free again.
		if c := a.Client(t).Login(a.Hudai, "wrong-again"); c.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password after a success = %d", c.Status)
		}
		if got := waits.last(); got != 0 {
			t.Fatalf("a success did not clear the slowdown: waited %s", got)
		}
	})

	t.Run("AddressRefusedWithWhen", func(t *testing.T) {
		c := a.Client(t)
		for i := range 20 {
			// Unknown usernames: no account slows down, the address counts.
			if c.Login(fmt.Sprintf("nobody-%d-%s", i, webtest.RandHex(3)), "wrong-password"); c.Status != http.StatusUnauthorized {
				t.Fatalf("failure %d = %d", i+1, c.Status)
			}
		}
		if c.Login(a.Lihu, webtest.Password); c.Status != http.StatusTooManyRequests {
			t.Fatalf("21st attempt from the address = %d, want 429", c.Status)
		}
		if !strings.Contains(c.Text(), "失败次数过多，请于") || !strings.Contains(c.Text(), "后再试") {
			t.Errorf("429 page does not say when: %s", c.Text())
		}
		if s, err := strconv.Atoi(c.Header.Get("Retry-After")); err != nil || s < 1 || s > 15*60 {
			t.Errorf("Retry-After = %q", c.Header.Get("Retry-After"))
		}
		// Another address is not affected.
		if other := a.Client(t).Login(a.Lihu, webtest.Password); other.Status != http.StatusSeeOther {
			t.Fatalf("sign-in from another address = %d", other.Status)
		}
	})

	t.Run("LoginCSRF", func(t *testing.T) {
		// The page may not be framed, and sets its form token.
		c := a.Client(t)
		c.Get("/console/login")
		if c.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(c.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("sign-in page framing headers: %v", c.Header)
		}
		if c.Token == "" {
			t.Fatal("sign-in form has no CSRF token")
		}
		// A post from another site: no cookie, no token.
		forged := a.Client(t)
		forged.Post("/console/login", url.Values{"username": {a.Viewer}, "password": {webtest.Password}})
		if forged.Status != http.StatusForbidden || !strings.Contains(forged.Text(), "登录页面已过期或来源不明") {
			t.Fatalf("sign-in without the form token = %d: %s", forged.Status, forged.Text())
		}
		if forged.Get("/console/"); forged.Status != http.StatusFound {
			t.Fatalf("a forged sign-in got a session: %d", forged.Status)
		}
		// Another browser's token does not fit this browser's cookie.
		other := a.Client(t)
		other.Get("/console/login")
		other.Post("/console/login", url.Values{"username": {a.Viewer}, "password": {webtest.Password}, "_csrf": {c.Token}})
		if other.Status != http.StatusForbidden {
			t.Fatalf("sign-in with another browser's token = %d", other.Status)
		}
		// The refusal page carries a good token: submitting it works.
		other.Post("/console/login", url.Values{"username": {a.Viewer}, "password": {webtest.Password}, "next": {"/console/"}})
		if other.Status != http.StatusSeeOther {
			t.Fatalf("sign-in from the refusal page = %d: %s", other.Status, other.Text())
		}
		// A mistake keeps where the user was going.
		again := a.Client(t)
		again.Get("/console/login?next=/console/businesses")
		again.Post("/console/login", url.Values{"username": {a.Viewer}, "password": {"wrong-password"}, "next": {"/console/businesses"}})
		if again.Status != http.StatusUnauthorized || !strings.Contains(again.Body, `name="next" value="/console/businesses"`) {
			t.Errorf("after a wrong password the form lost next: %d", again.Status)
		}
	})
}

// TestConsoleSignInIgnoresUntrustedHeaders: without trusted proxies (the
// default), X-Forwarded-For and X-Real-IP are the client's own words and
// count for nothing: rotating them does not escape the address limit.
func TestConsoleSignInIgnoresUntrustedHeaders(t *testing.T) {
	a := webtest.BootWith(t, func(cfg *config.Config) { cfg.HTTP.TrustedProxies = "" })
	atWindowStart(t, a)
	c := a.Client(t)
	for i := range 21 {
		form := url.Values{"username": {"nobody-" + webtest.RandHex(4)}, "password": {"wrong-password"}}
		c.Get("/console/login")
		if c.Status != http.StatusOK {
			t.Fatalf("sign-in page = %d", c.Status)
		}
		form.Set("_csrf", c.Token)
		req, _ := http.NewRequest(http.MethodPost, c.Base+"/console/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		c.IP = fmt.Sprintf("198.51.100.%d", i+1) // do() sends it as X-Real-IP
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
		c.Do(req)
		want := http.StatusUnauthorized
		if i == 20 {
			want = http.StatusTooManyRequests
		}
		if c.Status != want {
			t.Fatalf("attempt %d with forged forwarding headers = %d, want %d", i+1, c.Status, want)
		}
	}
}

// TestClientAddress: forwarding headers count only from a trusted proxy,
// and /metrics answers only the addresses allowed.
func TestClientAddress(t *testing.T) {
	serve := func(t *testing.T, proxies, allow string) *httptest.Server {
		pn, err := config.ParseCIDRs(proxies)
		if err != nil {
			t.Fatal(err)
		}
		an, err := config.ParseCIDRs(allow)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := web.New(web.Options{Metrics: prometheus.NewRegistry(), TrustedProxies: pn, MetricsAllow: an})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		return ts
	}
	metrics := func(t *testing.T, ts *httptest.Server, headers ...string) int {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/metrics", nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	t.Run("Open", func(t *testing.T) {
		if got := metrics(t, serve(t, "", "")); got != http.StatusOK {
			t.Fatalf("/metrics without an allow-list = %d", got)
		}
	})
	t.Run("BehindTrustedProxy", func(t *testing.T) {
		ts := serve(t, "127.0.0.0/8", "203.0.113.7")
		for _, c := range []struct {
			headers []string
			want    int
		}{
			{nil, http.StatusForbidden}, // the proxy itself is not allowed
			{[]string{"X-Real-IP", "203.0.113.7"}, http.StatusOK},
			{[]string{"X-Real-IP", "198.51.100.1"}, http.StatusForbidden},
			{[]string{"X-Forwarded-For", "203.0.113.7"}, http.StatusOK},
			// The last hop before the proxy is the client, whatever it claims before.
			{[]string{"X-Forwarded-For", "203.0.113.7, 198.51.100.1"}, http.StatusForbidden},
			{[]string{"X-Forwarded-For", "198.51.100.1, 203.0.113.7"}, http.StatusOK},
		} {
			if got := metrics(t, ts, c.headers...); got != c.want {
				t.Errorf("%v = %d, want %d", c.headers, got, c.want)
			}
		}
	})
	t.Run("UntrustedHeadersIgnored", func(t *testing.T) {
		ts := serve(t, "", "203.0.113.7")
		if got := metrics(t, ts, "X-Real-IP", "203.0.113.7", "X-Forwarded-For", "203.0.113.7"); got != http.StatusForbidden {
			t.Fatalf("/metrics for a client claiming an allowed address = %d", got)
		}
		if got := metrics(t, serve(t, "", "127.0.0.1"), "X-Real-IP", "198.51.100.1"); got != http.StatusOK {
			t.Fatalf("/metrics for an allowed connection = %d", got)
		}
	})
}

// atWindowStart moves the app's clock to just after the start of a
// 15-minute counting window, so a test's attempts are never split by a
// window ending halfway, however slow the machine.
func atWindowStart(t *testing.T, a *webtest.App) {
	t.Helper()
	off, ok := a.Clock.(*clock.Offset)
	if !ok {
		t.Fatalf("the console's clock is %T; the test needs to move it", a.Clock)
	}
	off.Set(a.Clock.Now().Truncate(15 * time.Minute).Add(15*time.Minute + time.Second))
}
