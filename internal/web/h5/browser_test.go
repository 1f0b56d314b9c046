package h5_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web/browsertest"
)

// TestBrowser opens the letter and card pages in headless Chromium: at a
// phone's width the Chinese text is there, drawn in a CJK font, and
// nothing is wider than the screen; printed on A4, a letter is one sheet
// and a village's cards one sheet each.
func TestBrowser(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { handler.ServeHTTP(rw, r) }))
	defer srv.Close()
	e := newH5(t, srv.URL, nil)
	handler = e.handler
	f := e.letterFixture(t)
	c := e.cardFixture(t, f)
	contact := registry.ActorOf("contact", f.contact.ID)
	letterLink := e.letterLink(f.letter, contact)

	phone := func(t *testing.T, name, link, fontsOf string, want ...string) {
		t.Helper()
		p := b.Phone(link, fontsOf)
		browsertest.Save(t, name+".png", p.PNG)
		if !browsertest.IsPNG(p.PNG) {
			t.Fatal("no screenshot")
		}
		for _, w := range want {
			if !strings.Contains(p.Text, w) {
				t.Errorf("the page does not show %q", w)
			}
		}
		if p.ViewportWidth != browsertest.PhoneWidth {
			t.Errorf("viewport %d px, want %d", p.ViewportWidth, browsertest.PhoneWidth)
		}
		if p.ScrollWidth > p.ViewportWidth || len(p.Overflowing) > 0 {
			t.Errorf("wider than the phone: %d px > %d px; overflowing: %v", p.ScrollWidth, p.ViewportWidth, p.Overflowing)
		}
		cjk := false
		for _, font := range p.Fonts {
			cjk = cjk || browsertest.IsCJK(font)
		}
		if !cjk {
			t.Errorf("the heading is drawn in %v, no CJK font (install fonts-noto-cjk)", p.Fonts)
		}
	}
	a4 := func(t *testing.T, name, link string, pages int) {
		t.Helper()
		pdf := b.PDF(link)
		browsertest.Save(t, name+".pdf", pdf)
		if n := browsertest.PDFPages(pdf); n != pages {
			t.Errorf("%d printed pages, want %d", n, pages)
		}
		w, h, ok := browsertest.PDFPageSize(pdf)
		if !ok || math.Abs(w-595.3) > 2 || math.Abs(h-841.9) > 2 {
			t.Errorf("page size %.1f×%.1f pt, want A4 (595×842)", w, h)
		}
	}

	t.Run("LetterPhone", func(t *testing.T) {
		phone(t, "letter-phone", letterLink, ".letter h1",
			"责任督导提示函", f.letter.Number, f.business.Name, f.letter.Content.Findings[0].Description, "确认签收", "12315")
	})
	t.Run("LetterA4", func(t *testing.T) {
		u, _ := url.Parse(letterLink)
		a4(t, "letter-a4", srv.URL+u.Path+"/print?"+u.RawQuery, 1)
	})
	t.Run("CardPhone", func(t *testing.T) {
		phone(t, "card-phone", e.links.Card(f.business.ID, contact, now.Add(linkTTL)), ".kcard h1",
			"知晓卡", c.Name, "属地管理责任", "企业主体责任", c.Cadre.Name, "12315")
	})
	t.Run("PublicCardPhone", func(t *testing.T) {
		phone(t, "card-public-phone", srv.URL+"/c/"+c.Code, ".kcard h1", "知晓卡", c.Name, registry.MaskPhone(c.Principal.Phone))
	})
	t.Run("VillageA4", func(t *testing.T) {
		cards, err := e.cards.Village(context.Background(), f.business.RegionID)
		if err != nil {
			t.Fatal(err)
		}
		a4(t, "village-a4", e.links.VillageCards(f.business.RegionID, registry.ActorOf("cadre", f.cadre), now.Add(linkTTL)), len(cards))
	})
	t.Run("Forbidden", func(t *testing.T) {
		text := b.Text(strings.Replace(letterLink, "s=", "s=forged", 1))
		if !strings.Contains(text, "没有权限") || !strings.Contains(text, "链接无效或已过期") {
			t.Fatalf("the 403 page reads:\n%s", text)
		}
	})
}
