package h5_test

import (
	"bytes"
	"context"
	"flag"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/demo/demotest"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/notify/notifytest"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/h5"
)

// The golden files are rewritten with -update. Another test file of this
// binary may define the flag first; then it is shared.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// now is when the demo district is seeded: late in 2026Q4, China time.
var now = time.Date(2026, 11, 28, 9, 0, 0, 0, clock.China)

// h5 is the demo district behind the H5 letter and card pages.
type h5env struct {
	d        *db.DB
	clk      *clock.Offset
	reg      *registry.Service
	sup      *supervision.Service
	accounts *account.Service
	letters  *letter.Service
	cards    *card.Service
	store    media.Store
	out      notifytest.Outbox
	links    h5.Links
	handler  http.Handler
}

// h5District is the demo district behind the pages, seeded once.
var h5District = demotest.District("h5", now, registry.Schema, audit.Schema, account.Schema, supervision.Schema, letter.Schema, card.Schema, notifytest.Schema)

// newH5 builds the pages with links to base; oauth may be nil.
func newH5(t *testing.T, base string, oauth h5.OAuth) *h5env {
	t.Helper()
	d := h5District.OpenSQLite(t)
	e := &h5env{d: d, clk: clock.NewFixed(now), out: notifytest.Outbox{DB: d}}
	e.links = h5.Links{BaseURL: base, Secret: []byte("h5-test-links-secret")}
	store := kv.NewMemory()
	t.Cleanup(func() { store.Close() })
	e.reg = registry.NewService(d, registry.Rules{}, e.clk)
	lists, err := supervision.DefaultChecklists()
	if err != nil {
		t.Fatal(err)
	}
	e.sup = supervision.NewService(d, e.reg, lists, supervision.DefaultRules(), e.clk)
	e.accounts = account.NewService(d, store, e.reg, e.clk, []byte("h5-test-secret-0123456789"))
	e.letters = letter.NewService(d, e.reg, e.sup, e.accounts, e.out, e.links, letter.Config{}, e.clk)
	e.cards = card.NewService(d, e.reg, e.accounts, e.out, e.links, e.clk)
	if e.store, err = media.NewLocal(filepath.Join(t.TempDir(), "media")); err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Options{Log: slog.New(slog.DiscardHandler), BodyLimit: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	access := h5.NewAccess(h5.AccessOptions{Links: e.links, Accounts: e.accounts, OAuth: oauth, Clock: e.clk, Log: slog.New(slog.DiscardHandler)})
	err = h5.Mount(srv, access, &h5.Letters{Letters: e.letters, Media: e.store}, &h5.Cards{Cards: e.cards},
		&h5.Visits{Supervision: e.sup, Query: query.New(d).WithRules(e.sup.ReadRules(), e.clk), Media: e.store},
		&h5.Lists{Registry: e.reg, Supervision: e.sup, Query: query.New(d).WithRules(e.sup.ReadRules(), e.clk)})
	if err != nil {
		t.Fatal(err)
	}
	e.handler = srv.Handler()
	return e
}

// fixture is a letter to a business with a bound contact, issued at the
// end of a visit with findings.
type fixture struct {
	letter   *letter.Letter
	business registry.Business
	contact  *account.Contact
	openid   string
	cadre    int64
}

// goldenToken replaces the letter's random token, so pages are stable.
const goldenToken = "goldenletter2026aaaaaaaaaa"

func (e *h5env) letterFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	v, err := e.sup.Visit(ctx, demotest.VisitWithOpenFindings(t, e.d))
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{business: v.Business, cadre: v.CadreID, openid: "o-golden-contact"}
	f.contact = e.bind(t, v.BusinessID, f.openid)
	l, err := e.letters.IssueForVisit(ctx, v.ID, registry.ActorOf("cadre", v.CadreID))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.d.Gorm(ctx).Model(&letter.Letter{}).Where("id = ?", l.ID).Update("token", goldenToken).Error; err != nil {
		t.Fatal(err)
	}
	if f.letter, err = e.letters.Letter(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

// bind makes the business's principal a bound contact as openid.
func (e *h5env) bind(t *testing.T, businessID int64, openid string) *account.Contact {
	return demotest.BindContact(t, e.accounts, businessID, openid)
}

// otherBusiness is a business of 蠡湖街道 (another town), with a bound contact.
func (e *h5env) otherBusiness(t *testing.T, openid string) (registry.Business, *account.Contact) {
	t.Helper()
	ctx := context.Background()
	for _, o := range e.offices(t) {
		if !strings.HasPrefix(o.Name, "蠡湖") {
			continue
		}
		r, _ := e.reg.Region(ctx, o.RegionID)
		bs := demotest.Businesses(t, e.d, query.BusinessFilter{ScopePath: r.Path, Status: string(registry.StatusOperating), Limit: 1})
		if len(bs) == 0 {
			t.Fatalf("no business of %s", o.Name)
		}
		return bs[0], e.bind(t, bs[0].ID, openid)
	}
	t.Fatal("no office of 蠡湖街道")
	return registry.Business{}, nil
}

func (e *h5env) offices(t *testing.T) []registry.Office {
	t.Helper()
	os, err := e.reg.Offices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return os
}

// linkTTL is how long links in the tests stay valid.
const linkTTL = 30 * 24 * time.Hour

// letterLink is the letter's page for a reader.
func (e *h5env) letterLink(l *letter.Letter, reader registry.Actor) string {
	return e.links.Letter(l.Token, reader, now.Add(linkTTL))
}

// csrfCookie is a fixed CSRF cookie, so pages with forms are stable.
var csrfCookie = &http.Cookie{Name: "sab_h5_csrf", Value: "0123456789abcdef0123456789abcdef"}

// get requests a page as a browser does.
func (e *h5env) get(t *testing.T, url string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	return rec
}

// post submits the receipt form as multipart, with photos as PNG files.
func (e *h5env) post(t *testing.T, url string, fields map[string]string, photos [][]byte, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for i, p := range photos {
		fw, err := mw.CreateFormFile("photos", "photo"+string(rune('a'+i))+".png")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(p)
	}
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "text/html")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	return rec
}

var (
	csrfField  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
)

// form returns the receipt form's action and CSRF token from a page.
func form(t *testing.T, page string) (action, token string) {
	t.Helper()
	a, c := formAction.FindStringSubmatch(page), csrfField.FindStringSubmatch(page)
	if a == nil || c == nil {
		t.Fatalf("no receipt form on the page:\n%s", page)
	}
	return html.UnescapeString(a[1]), html.UnescapeString(c[1])
}

// pngPhoto is a small PNG picture.
func pngPhoto(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{shade, 100, 50, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d (run with -update if the change is intended):\n got: %s\nwant: %s", path, i+1, g, w)
			}
		}
	}
}

func body(t *testing.T, r *httptest.ResponseRecorder) string {
	t.Helper()
	b, err := io.ReadAll(r.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
