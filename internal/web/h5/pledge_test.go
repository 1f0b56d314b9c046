package h5_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/demo/demotest"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/notify/notifytest"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/h5"
)

var pledgeDistrict = demotest.District("h5pledge", now, registry.Schema, audit.Schema, account.Schema, supervision.Schema, pledge.Schema, notifytest.Schema)

// newPledgePages serves the pledge pages over a copy of the demo district.
func newPledgePages(t *testing.T) (*h5env, *pledge.Service) {
	t.Helper()
	d := pledgeDistrict.OpenSQLite(t)
	e := &h5env{d: d, clk: clock.NewFixed(now), out: notifytest.Outbox{DB: d}}
	e.links = h5.Links{BaseURL: "https://sab.example", Secret: []byte("h5-test-links-secret")}
	store := kv.NewMemory()
	t.Cleanup(func() { store.Close() })
	e.reg = registry.NewService(d, registry.Rules{}, e.clk)
	e.accounts = account.NewService(d, store, e.reg, e.clk, []byte("h5-test-secret-0123456789"))
	var err error
	if e.store, err = media.NewLocal(filepath.Join(t.TempDir(), "media")); err != nil {
		t.Fatal(err)
	}
	svc, err := pledge.NewService(pledge.Deps{DB: d, Registry: e.reg, Accounts: e.accounts, Media: e.store, Outbox: e.out, Links: e.links, Clock: e.clk})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Options{Log: slog.New(slog.DiscardHandler), BodyLimit: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	access := h5.NewAccess(h5.AccessOptions{Links: e.links, Accounts: e.accounts, Clock: e.clk, Log: slog.New(slog.DiscardHandler)})
	if err := h5.Mount(srv, access, &h5.Pledges{Pledges: svc}); err != nil {
		t.Fatal(err)
	}
	e.handler = srv.Handler()
	return e, svc
}

// postForm submits a urlencoded form as a browser does.
func (e *h5env) postForm(t *testing.T, target string, fields url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	return rec
}

func TestPledgePage(t *testing.T) {
	e, svc := newPledgePages(t)
	ctx := context.Background()
	var ids []int64
	if err := e.d.Gorm(ctx).Raw(`SELECT b.id FROM businesses b JOIN assignments a ON a.active_business_id = b.id
WHERE b.status = 'operating' AND NOT EXISTS (SELECT 1 FROM pledges p WHERE p.subject_id = b.id AND p.kind = 'business')
ORDER BY b.id LIMIT 1`).Scan(&ids).Error; err != nil || len(ids) == 0 {
		t.Fatalf("no unsigned business: %v", err)
	}
	bp, err := e.reg.Business(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	b := *bp
	c := e.bind(t, b.ID, "o-pledge-page")
	cur, err := e.reg.CurrentAssignment(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	link := e.links.Pledge("business", b.ID, registry.ActorOf("contact", c.ID), now.Add(linkTTL))
	path := strings.TrimPrefix(link, "https://sab.example")

	page := body(t, e.get(t, path, csrfCookie))
	if !strings.Contains(page, "食品安全主体责任承诺书") || !strings.Contains(page, b.Name) || !strings.Contains(page, `id="pad"`) {
		t.Fatalf("sign page:\n%s", page)
	}
	action, token := form(t, page)

	t.Run("ErrCSRF", func(t *testing.T) {
		r := e.postForm(t, action, url.Values{"csrf": {"forged"}, "name": {"张三"}, "typed": {"张三"}}, csrfCookie)
		if r.Code != http.StatusForbidden {
			t.Fatalf("status %d", r.Code)
		}
	})
	t.Run("ErrTypedMismatch", func(t *testing.T) {
		r := e.postForm(t, action, url.Values{"csrf": {token}, "name": {"张三"}, "typed": {"张"}}, csrfCookie)
		if got := body(t, r); r.Code != http.StatusBadRequest || !strings.Contains(got, "确认签名须与签署人姓名完全一致") || !strings.Contains(got, `value="张三"`) {
			t.Fatalf("status %d:\n%s", r.Code, got)
		}
	})
	t.Run("ErrNotDataURL", func(t *testing.T) {
		r := e.postForm(t, action, url.Values{"csrf": {token}, "name": {"张三"}, "signature": {"javascript:alert(1)"}}, csrfCookie)
		if r.Code != http.StatusBadRequest || !strings.Contains(body(t, r), "签名图片无效") {
			t.Fatalf("status %d", r.Code)
		}
	})
	t.Run("ErrOtherCadre", func(t *testing.T) {
		other := e.links.Pledge("cadre", cur.CadreID+1, registry.ActorOf("cadre", cur.CadreID), now.Add(linkTTL))
		if r := e.get(t, strings.TrimPrefix(other, "https://sab.example")); r.Code != http.StatusForbidden {
			t.Fatalf("status %d", r.Code)
		}
	})
	t.Run("ErrForgedLink", func(t *testing.T) {
		forged := strings.Replace(path, "/business/", "/cadre/", 1)
		if r := e.get(t, forged); r.Code != http.StatusForbidden {
			t.Fatalf("status %d", r.Code)
		}
	})

	png := drawnSignature(t)
	r := e.postForm(t, action, url.Values{"csrf": {token}, "name": {"张三"},
		"signature": {"data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}}, csrfCookie)
	if r.Code != http.StatusSeeOther || !strings.Contains(r.Header().Get("Location"), "done=1") {
		t.Fatalf("sign: %d %s", r.Code, body(t, r))
	}
	// The same form again (a double tap) shows the pledge, not an error.
	if r := e.postForm(t, action, url.Values{"csrf": {token}, "name": {"张三"}, "typed": {"张三"}}, csrfCookie); r.Code != http.StatusSeeOther {
		t.Fatalf("second post: %d", r.Code)
	}
	signed := body(t, e.get(t, r.Header().Get("Location")))
	if !strings.Contains(signed, "已签署") || !strings.Contains(signed, "data:image/png;base64,") || strings.Contains(signed, `id="pad"`) {
		t.Fatalf("signed page:\n%s", signed)
	}
	h, err := svc.History(ctx, pledge.KindBusiness, b.ID)
	if err != nil || len(h) != 1 || h[0].Method != pledge.MethodDrawn {
		t.Fatalf("history %+v %v", h, err)
	}

	// The cadre reads it, without a form, and prints it.
	cadreLink := strings.TrimPrefix(e.links.Pledge("business", b.ID, registry.ActorOf("cadre", cur.CadreID), now.Add(linkTTL)), "https://sab.example")
	if got := body(t, e.get(t, cadreLink)); !strings.Contains(got, "已签署") || strings.Contains(got, "<form") {
		t.Fatalf("cadre's view:\n%s", got)
	}
	u, _ := url.Parse(cadreLink)
	printed := body(t, e.get(t, u.Path+"/print?"+u.RawQuery))
	if !strings.Contains(printed, "@page{size:A4") || !strings.Contains(printed, "张三") || !strings.Contains(printed, "data:image/png;base64,") {
		t.Fatalf("print:\n%s", printed)
	}
}

// drawnSignature is a dark stroke on a white 600×200 canvas.
func drawnSignature(t *testing.T) []byte {
	t.Helper()
	img := pngCanvas(600, 200)
	for x := 40; x < 560; x++ {
		for d := -3; d <= 3; d++ {
			img.Set(x, 100+(x%60-30)+d, blackInk)
		}
	}
	return encodePNG(t, img)
}

var blackInk = color.Black

func pngCanvas(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	return img
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
