// Package webtest boots the whole app for the tests of the console and
// the JSON API and drives it as a browser or a script does: signed-in
// clients with their cookies and CSRF tokens, from addresses of their own.
package webtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
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
	"github.com/shianbao/shianbao/internal/web/listing"
)

// The console tests boot the real app (what production runs) on the demo
// district, without its background workers, so the figures stay still
// while a test compares them with the database. SQLite and the in-process
// kv always; MySQL (and Redis) when SHIANBAO_TEST_MYSQL_DSN (and
// SHIANBAO_TEST_REDIS_ADDR) are set.

// A count is never slow enough to be kept, unless a test says so
// (listing.SetSlowCount).
func init() { listing.SetSlowCount(time.Hour) }

// Password is the console users' password in these tests.
const Password = "console-test-password"

// App is a booted app with its console users: a manager of 胡埭镇 and
// of 蠡湖街道, a viewer of the district and an administrator. Usernames are
// random, so runs sharing a Redis never share sign-in throttles.
type App struct {
	*app.App
	URL                        string
	Hudai, Lihu, Viewer, Admin string
	HudaiTown, LihuTown        registry.Region
	District                   registry.Region
	Engine                     string
}

// Boot boots the app with its console users.
func Boot(t *testing.T) *App {
	t.Helper()
	return BootWith(t, nil)
}

// BootWith boots the console with a change to its configuration.
// By default the test server stands behind a proxy on the same host: the
// loopback addresses are trusted proxies, so each client's X-Real-IP is
// its address.
func BootWith(t *testing.T, configure func(*config.Config)) *App {
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
	c := &App{App: a, URL: srv.URL, Engine: engine}
	t.Logf("console on %s, kv %q", engine, cfg.Redis.Addr)
	rs, err := a.Registry.Regions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		switch {
		case r.Level == registry.LevelTown && r.Name == "胡埭镇":
			c.HudaiTown = r
		case r.Level == registry.LevelTown && r.Name == "蠡湖街道":
			c.LihuTown = r
		case r.Level == registry.LevelDistrict:
			c.District = r
		}
	}
	suffix := RandHex(4)
	for _, u := range []struct {
		name  *string
		label string
		role  account.ConsoleRole
		reg   int64
	}{
		{&c.Hudai, "hd", account.ConsoleManager, c.HudaiTown.ID},
		{&c.Lihu, "lh", account.ConsoleManager, c.LihuTown.ID},
		{&c.Viewer, "vw", account.ConsoleViewer, c.District.ID},
		{&c.Admin, "ad", account.ConsoleAdmin, 0},
	} {
		*u.name = fmt.Sprintf("t%s-%s", u.label, suffix)
		if _, err := a.Accounts.CreateUser(ctx, account.UserInput{Username: *u.name, Name: *u.name, Role: u.role, RegionID: u.reg, Password: Password}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// RandHex is n random bytes in hex.
func RandHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Client is a browser without JavaScript: it keeps cookies, does not
// follow redirects, and comes from its own address (sign-in throttling
// counts per address), which the trusted proxy in front names in
// X-Real-IP.
type Client struct {
	// T is the test or benchmark failures are reported to.
	T testing.TB
	// HTTP keeps the cookies and does not follow redirects.
	HTTP *http.Client
	Base string
	// IP is the address the client comes from (sent as X-Real-IP).
	IP     string
	Status int
	Body   string
	Header http.Header
	Token  string // CSRF token of the last page that had one
}

// Client is a new browser for a.
func (a *App) Client(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	b := make([]byte, 3)
	rand.Read(b)
	return &Client{T: t, Base: a.URL, IP: fmt.Sprintf("10.%d.%d.%d", b[0], b[1], b[2]),
		HTTP: &http.Client{Jar: jar, Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// SignIn returns a client signed in as username.
func (a *App) SignIn(t testing.TB, username string) *Client {
	t.Helper()
	c := a.Client(t)
	c.Login(username, Password)
	if c.Status != http.StatusSeeOther {
		t.Fatalf("sign in as %s = %d: %s", username, c.Status, c.Body)
	}
	c.Get("/console/")
	if c.Status != http.StatusOK {
		t.Fatalf("dashboard as %s = %d", username, c.Status)
	}
	return c
}

// Login opens the sign-in page (for its form token) and submits it.
func (c *Client) Login(username, password string) *Client {
	c.T.Helper()
	if c.Get("/console/login"); c.Status != http.StatusOK {
		c.T.Fatalf("sign-in page = %d", c.Status)
	}
	return c.Post("/console/login", url.Values{"username": {username}, "password": {password}, "next": {"/console/"}})
}

var conCSRF = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// Do sends req from the client's address and keeps the answer.
func (c *Client) Do(req *http.Request) *Client {
	c.T.Helper()
	req.Header.Set("X-Real-IP", c.IP)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "text/html")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.Status, c.Body, c.Header = resp.StatusCode, string(raw), resp.Header
	if m := conCSRF.FindStringSubmatch(c.Body); m != nil {
		c.Token = m[1]
	}
	return c
}

// Get opens path.
func (c *Client) Get(path string) *Client {
	c.T.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.Base+path, nil)
	return c.Do(req)
}

// Post sends a form with the session's CSRF token unless the form has one.
func (c *Client) Post(path string, form url.Values) *Client {
	c.T.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok && c.Token != "" {
		form.Set("_csrf", c.Token)
	}
	req, _ := http.NewRequest(http.MethodPost, c.Base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// API calls the JSON API with the session cookie (and CSRF header on writes).
func (c *Client) API(method, path string) *Client {
	c.T.Helper()
	req, _ := http.NewRequest(method, c.Base+path, nil)
	req.Header.Set("Accept", "application/json")
	if method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", c.Token)
	}
	return c.Do(req)
}

// Text is the page's text without tags, for checks on what people read.
func (c *Client) Text() string { return PageText(c.Body) }

var (
	tagPattern   = regexp.MustCompile(`(?s)<style.*?</style>|<svg.*?</svg>|<[^>]+>`)
	spacePattern = regexp.MustCompile(`\s+`)
)

// PageText is a page's text without tags.
func PageText(html string) string {
	s := tagPattern.ReplaceAllString(html, " ")
	s = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'").Replace(s)
	return spacePattern.ReplaceAllString(s, " ")
}

// QuickReport is a valid quick, all-OK onsite report for a business by its cadre.
func QuickReport(a *app.App, businessID, cadreID int64) supervision.VisitInput {
	in := supervision.VisitInput{SubmissionKey: "test-" + RandHex(8), BusinessID: businessID, CadreID: cadreID,
		Mode: supervision.ModeOnsite, Check: supervision.CheckQuick, ContactName: "店长", Source: registry.SourceChat,
		Provenance: []string{"msg-" + RandHex(4)}}
	for _, it := range a.Supervision.Checklists().Quick() {
		in.Items = append(in.Items, supervision.ItemResult{ItemID: it.ID, Result: supervision.ResultOK})
	}
	return in
}

// Upload posts a file to the import form.
func (c *Client) Upload(path, kind, name string, data []byte) *Client {
	c.T.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("_csrf", c.Token)
	mw.WriteField("kind", kind)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.Base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.Do(req)
}

// InternalCode is what must never reach a page people read: stored actor
// codes ("cadre:12"), English action codes ("cadre.handover") and what a
// broken page shows.
var InternalCode = regexp.MustCompile(`\b[a-z]+:[0-9]+\b|\b[a-z]+\.[a-z_]+\b|undefined|NaN`)
