package app_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/app"
)

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t      *testing.T
	c      *http.Client
	base   string
	status int
	body   string
	loc    string
}

func newBrowser(t *testing.T, a *app.App) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: a.URL(), c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) *browser {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.status, b.body, b.loc = resp.StatusCode, string(raw), resp.Header.Get("Location")
	return b
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (b *browser) csrf() string {
	m := csrfField.FindStringSubmatch(b.body)
	if m == nil {
		b.t.Fatalf("no CSRF token on the page:\n%s", b.body)
	}
	return m[1]
}

// login opens the sign-in page (for its form token) and submits it.
func (b *browser) login(user, password string) *browser {
	return b.loginNext(user, password, "/console/")
}

func (b *browser) loginNext(user, password, next string) *browser {
	b.do(http.MethodGet, "/console/login", nil)
	return b.do(http.MethodPost, "/console/login", url.Values{"username": {user}, "password": {password}, "next": {next}, "_csrf": {b.csrf()}})
}

func TestConsoleSignIn(t *testing.T) {
	a := bootSQLite(t)
	b := newBrowser(t, a)

	if b.do(http.MethodGet, "/console/", nil); b.status != http.StatusFound || !strings.HasPrefix(b.loc, "/console/login") {
		t.Fatalf("anonymous console = %d %s, want a redirect to sign in", b.status, b.loc)
	}
	if b.login("hudai", "wrong-password"); b.status != http.StatusUnauthorized || !strings.Contains(b.body, "用户名或密码不正确") {
		t.Fatalf("wrong password = %d", b.status)
	}
	if b.login("hudai", app.DemoPassword); b.status != http.StatusSeeOther {
		t.Fatalf("sign in = %d %s", b.status, b.body)
	}
	if b.do(http.MethodGet, "/console/", nil); b.status != 200 || !strings.Contains(b.body, "胡埭镇") {
		t.Fatalf("home = %d", b.status)
	}
	token := b.csrf()

	t.Run("CSRF", func(t *testing.T) {
		if b.do(http.MethodPost, "/console/logout-all", url.Values{}); b.status != http.StatusForbidden || !strings.Contains(b.body, "CSRF") {
			t.Fatalf("POST without the token = %d", b.status)
		}
		if b.do(http.MethodPost, "/console/logout-all", url.Values{"_csrf": {"forged"}}); b.status != http.StatusForbidden {
			t.Fatalf("POST with a forged token = %d", b.status)
		}
	})

	t.Run("SignOutEverywhere", func(t *testing.T) {
		other := newBrowser(t, a)
		if other.login("hudai", app.DemoPassword); other.status != http.StatusSeeOther {
			t.Fatalf("second sign in = %d", other.status)
		}
		if b.do(http.MethodPost, "/console/logout-all", url.Values{"_csrf": {token}}); b.status != http.StatusSeeOther {
			t.Fatalf("logout-all = %d", b.status)
		}
		if other.do(http.MethodGet, "/console/", nil); other.status != http.StatusFound {
			t.Fatalf("the other browser is still signed in: %d", other.status)
		}
	})

	t.Run("WrongPasswordsDoNotLockOut", func(t *testing.T) {
		c := newBrowser(t, a)
		for i := 0; i < 5; i++ {
			if c.login("lihu", "wrong-password"); c.status != http.StatusUnauthorized {
				t.Fatalf("wrong password %d = %d", i+1, c.status)
			}
		}
		if c.login("lihu", app.DemoPassword); c.status != http.StatusSeeOther {
			t.Fatalf("the right password after five wrong ones = %d", c.status)
		}
	})

	t.Run("OpenRedirect", func(t *testing.T) {
		c := newBrowser(t, a)
		c.loginNext("viewer", app.DemoPassword, "//evil.example/")
		if c.status != http.StatusSeeOther || c.loc != "/console/" {
			t.Fatalf("next=//evil.example redirected to %q", c.loc)
		}
	})
}
