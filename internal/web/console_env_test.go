package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// The console tests boot the real app (what production runs) on the demo
// district, without its background workers, so the figures stay still
// while a test compares them with the database. SQLite and the in-process
// kv always; MySQL (and Redis) when SHIANBAO_TEST_MYSQL_DSN (and
// SHIANBAO_TEST_REDIS_ADDR) are set.

// conPassword is the console users' password in these tests.
const conPassword = "console-test-password"

// conApp is a booted app with its console users: a manager of 胡埭镇 and
// of 蠡湖街道, a viewer of the district and an administrator. Usernames are
// random, so runs sharing a Redis never share sign-in throttles.
type conApp struct {
	*app.App
	url                        string
	hudai, lihu, viewer, admin string
	hudaiTown, lihuTown, distr registry.Region
	engine                     string
}

func bootConsole(t *testing.T) *conApp {
	t.Helper()
	return bootConsoleWith(t, nil)
}

// bootConsoleWith boots the console with a change to its configuration.
// By default the test server stands behind a proxy on the same host: the
// loopback addresses are trusted proxies, so each client's X-Real-IP is
// its address.
func bootConsoleWith(t *testing.T, configure func(*config.Config)) *conApp {
	t.Helper()
	ctx := context.Background()
	cfg := apptest.Config(t)
	cfg.HTTP.TrustedProxies = "127.0.0.0/8,::1"
	engine := string(apptest.Engine())
	if engine == "sqlite" && dbtest.RequireServices() {
		t.Log("SHIANBAO_TEST_MYSQL_DSN is not set: the console tests run on SQLite only")
	}
	if configure != nil {
		configure(&cfg)
	}
	a, err := app.New(ctx, cfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Web.Handler())
	t.Cleanup(srv.Close)
	c := &conApp{App: a, url: srv.URL, engine: engine}
	t.Logf("console on %s, kv %q", engine, cfg.Redis.Addr)
	rs, err := a.Registry.Regions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		switch {
		case r.Level == registry.LevelTown && r.Name == "胡埭镇":
			c.hudaiTown = r
		case r.Level == registry.LevelTown && r.Name == "蠡湖街道":
			c.lihuTown = r
		case r.Level == registry.LevelDistrict:
			c.distr = r
		}
	}
	suffix := randHex(4)
	for _, u := range []struct {
		name  *string
		label string
		role  account.ConsoleRole
		reg   int64
	}{
		{&c.hudai, "hd", account.ConsoleManager, c.hudaiTown.ID},
		{&c.lihu, "lh", account.ConsoleManager, c.lihuTown.ID},
		{&c.viewer, "vw", account.ConsoleViewer, c.distr.ID},
		{&c.admin, "ad", account.ConsoleAdmin, 0},
	} {
		*u.name = fmt.Sprintf("t%s-%s", u.label, suffix)
		if _, err := a.Accounts.CreateUser(ctx, account.UserInput{Username: *u.name, Name: *u.name, Role: u.role, RegionID: u.reg, Password: conPassword}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// conClient is a browser without JavaScript: it keeps cookies, does not
// follow redirects, and comes from its own address (sign-in throttling
// counts per address), which the trusted proxy in front names in
// X-Real-IP.
type conClient struct {
	t      testing.TB
	c      *http.Client
	base   string
	ip     string
	status int
	body   string
	header http.Header
	token  string // CSRF token of the last page that had one
}

func (a *conApp) client(t testing.TB) *conClient {
	jar, _ := cookiejar.New(nil)
	b := make([]byte, 3)
	rand.Read(b)
	return &conClient{t: t, base: a.url, ip: fmt.Sprintf("10.%d.%d.%d", b[0], b[1], b[2]),
		c: &http.Client{Jar: jar, Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn returns a client signed in as username.
func (a *conApp) signIn(t testing.TB, username string) *conClient {
	t.Helper()
	c := a.client(t)
	c.login(username, conPassword)
	if c.status != http.StatusSeeOther {
		t.Fatalf("sign in as %s = %d: %s", username, c.status, c.body)
	}
	c.get("/console/")
	if c.status != http.StatusOK {
		t.Fatalf("dashboard as %s = %d", username, c.status)
	}
	return c
}

// login opens the sign-in page (for its form token) and submits it.
func (c *conClient) login(username, password string) *conClient {
	c.t.Helper()
	if c.get("/console/login"); c.status != http.StatusOK {
		c.t.Fatalf("sign-in page = %d", c.status)
	}
	return c.post("/console/login", url.Values{"username": {username}, "password": {password}, "next": {"/console/"}})
}

var conCSRF = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (c *conClient) do(req *http.Request) *conClient {
	c.t.Helper()
	req.Header.Set("X-Real-IP", c.ip)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "text/html")
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.status, c.body, c.header = resp.StatusCode, string(raw), resp.Header
	if m := conCSRF.FindStringSubmatch(c.body); m != nil {
		c.token = m[1]
	}
	return c
}

func (c *conClient) get(path string) *conClient {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	return c.do(req)
}

// post sends a form with the session's CSRF token unless the form has one.
func (c *conClient) post(path string, form url.Values) *conClient {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok && c.token != "" {
		form.Set("_csrf", c.token)
	}
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// api calls the JSON API with the session cookie (and CSRF header on writes).
func (c *conClient) api(method, path string) *conClient {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, nil)
	req.Header.Set("Accept", "application/json")
	if method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", c.token)
	}
	return c.do(req)
}

// text is the page's text without tags, for checks on what people read.
func (c *conClient) text() string { return pageText(c.body) }

var (
	tagPattern   = regexp.MustCompile(`(?s)<style.*?</style>|<svg.*?</svg>|<[^>]+>`)
	spacePattern = regexp.MustCompile(`\s+`)
)

func pageText(html string) string {
	s := tagPattern.ReplaceAllString(html, " ")
	s = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'").Replace(s)
	return spacePattern.ReplaceAllString(s, " ")
}

// quickReport is a valid quick, all-OK onsite report for a business by its cadre.
func quickReport(a *app.App, businessID, cadreID int64) supervision.VisitInput {
	in := supervision.VisitInput{SubmissionKey: "test-" + randHex(8), BusinessID: businessID, CadreID: cadreID,
		Mode: supervision.ModeOnsite, Check: supervision.CheckQuick, ContactName: "店长", Source: registry.SourceChat,
		Provenance: []string{"msg-" + randHex(4)}}
	for _, it := range a.Supervision.Checklists().Quick() {
		in.Items = append(in.Items, supervision.ItemResult{ItemID: it.ID, Result: supervision.ResultOK})
	}
	return in
}

// TestMain drops the MySQL template of the demo district after the tests.
func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
