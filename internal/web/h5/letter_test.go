package h5_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/notify/notifytest"

	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/registry"
)

const base = "https://sab.example"

func TestLetterPageGolden(t *testing.T) {
	t.Parallel()
	e := newH5(t, base, nil)
	f := e.letterFixture(t)
	link := e.letterLink(f.letter, registry.ActorOf("contact", f.contact.ID))

	r := e.get(t, link, csrfCookie)
	if r.Code != http.StatusOK {
		t.Fatalf("status %d: %s", r.Code, body(t, r))
	}
	page := body(t, r)
	for _, want := range []string{"责任督导提示函", f.letter.Number, f.business.Name, "《中华人民共和国食品安全法》",
		"市场监管总局令第60号", "日管控、周排查、月调度", "12315", "确认签收", f.letter.Content.Findings[0].Description} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if h := r.Header(); h.Get("Cache-Control") != "private, no-store" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers %v", h)
	}
	golden(t, "letter.golden.html", []byte(page))

	u, _ := url.Parse(link)
	p := e.get(t, base+u.Path+"/print?"+u.RawQuery)
	if p.Code != http.StatusOK {
		t.Fatalf("print: status %d: %s", p.Code, body(t, p))
	}
	sheet := body(t, p)
	for _, want := range []string{"@page{size:A4", "page-break-after", "回　执", f.letter.Number} {
		if !strings.Contains(sheet, want) {
			t.Errorf("print view lacks %q", want)
		}
	}
	golden(t, "letter_print.golden.html", []byte(sheet))
	if q := e.get(t, link+"&print=1"); q.Code != http.StatusOK || body(t, q) != sheet {
		t.Errorf("?print=1 is not the print view")
	}

	reads, err := e.letters.Reads(context.Background(), f.letter.ID)
	if err != nil || len(reads) != 3 || reads[0].Via != letter.ViaH5 || reads[1].Via != letter.ViaPrint {
		t.Fatalf("reads %+v %v", reads, err)
	}
}

func TestLetterLinks(t *testing.T) {
	t.Parallel()
	e := newH5(t, base, nil)
	f := e.letterFixture(t)
	reader := registry.ActorOf("contact", f.contact.ID)
	good := e.letterLink(f.letter, reader)
	u, _ := url.Parse(good)
	q := u.Query()
	with := func(k, v string) string {
		qq := url.Values{}
		for kk, vv := range q {
			qq[kk] = vv
		}
		if v == "" {
			qq.Del(k)
		} else {
			qq.Set(k, v)
		}
		return base + u.Path + "?" + qq.Encode()
	}
	_, other := e.otherBusiness(t, "o-other-contact")
	tests := []struct {
		name string
		url  string
	}{
		{"ErrForged", with("s", "AAAAAAAAAAAAAAAAAAAAAA")},
		{"ErrNoSignature", with("s", "")},
		{"ErrOtherReader", with("r", string(registry.ActorOf("contact", f.contact.ID+1)))},
		{"ErrLaterExpiry", with("e", "4102444800")},
		{"ErrOtherToken", base + "/h5/letters/othertoken2026aaaaaaaaaaaa?" + u.RawQuery},
		{"ErrExpired", e.links.Letter(f.letter.Token, reader, now.Add(-1))},
		{"ErrOtherBusinessContact", e.letterLink(f.letter, registry.ActorOf("contact", other.ID))},
		{"ErrGuessedPrint", base + u.Path + "/print"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get(t, tt.url)
			page := body(t, r)
			if r.Code != http.StatusForbidden {
				t.Fatalf("status %d: %s", r.Code, page)
			}
			if !strings.Contains(page, "没有权限") || !(strings.Contains(page, "重新打开") || strings.Contains(page, "联系您的包保干部")) {
				t.Fatalf("the 403 page does not say what to do:\n%s", page)
			}
			if strings.Contains(page, f.business.Name) {
				t.Fatal("the 403 page shows the letter")
			}
		})
	}
	t.Run("ExpiresWithTheClock", func(t *testing.T) {
		if r := e.get(t, good); r.Code != http.StatusOK {
			t.Fatalf("status %d", r.Code)
		}
		e.clk.Set(now.Add(linkTTL + 1))
		defer e.clk.Set(now)
		if r := e.get(t, good); r.Code != http.StatusForbidden {
			t.Fatalf("status %d after expiry", r.Code)
		}
	})
	t.Run("Cadre", func(t *testing.T) {
		r := e.get(t, e.letterLink(f.letter, registry.ActorOf("cadre", f.cadre)))
		page := body(t, r)
		if r.Code != http.StatusOK || strings.Contains(page, "确认签收") || !strings.Contains(page, "尚未签收") {
			t.Fatalf("status %d, the cadre sees a receipt form or no status:\n%s", r.Code, page)
		}
	})
	t.Run("JSONClient", func(t *testing.T) {
		req := with("s", "x")
		r := e.get(t, req)
		if r.Code != http.StatusForbidden {
			t.Fatalf("status %d", r.Code)
		}
	})
}

func TestAcknowledgeOnPage(t *testing.T) {
	t.Parallel()
	e := newH5(t, base, nil)
	ctx := context.Background()
	f := e.letterFixture(t)
	link := e.letterLink(f.letter, registry.ActorOf("contact", f.contact.ID))
	action, token := form(t, body(t, e.get(t, link, csrfCookie)))
	if !strings.HasPrefix(action, "/h5/letters/"+f.letter.Token+"/ack?") {
		t.Fatalf("action %q", action)
	}

	t.Run("ErrNoCSRF", func(t *testing.T) {
		if r := e.post(t, base+action, map[string]string{"feedback": "x"}, nil, csrfCookie); r.Code != http.StatusForbidden {
			t.Fatalf("status %d", r.Code)
		}
		if r := e.post(t, base+action, map[string]string{"csrf": token}, nil); r.Code != http.StatusForbidden {
			t.Fatalf("without the cookie: status %d", r.Code)
		}
		other := &http.Cookie{Name: csrfCookie.Name, Value: strings.Repeat("f", 32)}
		if r := e.post(t, base+action, map[string]string{"csrf": token}, nil, other); r.Code != http.StatusForbidden {
			t.Fatalf("another browser's cookie: status %d", r.Code)
		}
	})
	t.Run("ErrCadre", func(t *testing.T) {
		cl := e.letterLink(f.letter, registry.ActorOf("cadre", f.cadre))
		cu, _ := url.Parse(cl)
		if r := e.post(t, base+cu.Path+"/ack?"+cu.RawQuery, map[string]string{"csrf": token}, nil, csrfCookie); r.Code != http.StatusForbidden {
			t.Fatalf("status %d", r.Code)
		}
	})
	t.Run("ErrOtherBusiness", func(t *testing.T) {
		_, other := e.otherBusiness(t, "o-other-ack")
		ol := e.letterLink(f.letter, registry.ActorOf("contact", other.ID))
		ou, _ := url.Parse(ol)
		if r := e.post(t, base+ou.Path+"/ack?"+ou.RawQuery, map[string]string{"csrf": token}, nil, csrfCookie); r.Code != http.StatusForbidden {
			t.Fatalf("status %d", r.Code)
		}
	})
	t.Run("ErrNotAPicture", func(t *testing.T) {
		r := e.post(t, base+action, map[string]string{"csrf": token}, [][]byte{[]byte("not a picture")}, csrfCookie)
		if r.Code != http.StatusBadRequest || !strings.Contains(body(t, r), "照片格式不支持") {
			t.Fatalf("status %d", r.Code)
		}
	})
	t.Run("OK", func(t *testing.T) {
		r := e.post(t, base+action, map[string]string{"csrf": token, "feedback": "地面积水已清理"}, [][]byte{pngPhoto(t, 10), pngPhoto(t, 20)}, csrfCookie)
		if r.Code != http.StatusSeeOther || !strings.Contains(r.Header().Get("Location"), "done=1") {
			t.Fatalf("status %d, location %q: %s", r.Code, r.Header().Get("Location"), body(t, r))
		}
		l, _ := e.letters.Letter(ctx, f.letter.ID)
		if !l.Acknowledged() || l.AckFeedback != "地面积水已清理" || *l.AckContactID != f.contact.ID {
			t.Fatalf("letter %+v", l)
		}
		photos, _ := e.letters.ReceiptPhotos(ctx, l.ID)
		if len(photos) != 2 || photos[0].MediaKey == "" || photos[0].ContentType != "image/png" {
			t.Fatalf("photos %+v", photos)
		}
		loc, _, _ := strings.Cut(r.Header().Get("Location"), "#") // browsers keep the fragment
		page := body(t, e.get(t, base+loc))
		if !strings.Contains(page, "已签收，感谢配合") || !strings.Contains(page, "地面积水已清理") || strings.Contains(page, "确认签收") {
			t.Fatalf("page after the receipt:\n%s", page)
		}
		u, _ := url.Parse(link)
		img := e.get(t, base+u.Path+"/photos/1?"+u.RawQuery)
		if img.Code != http.StatusOK || img.Header().Get("Content-Type") != "image/png" {
			t.Fatalf("photo: %d %s", img.Code, img.Header().Get("Content-Type"))
		}
		if r := e.get(t, base+u.Path+"/photos/1"); r.Code != http.StatusForbidden {
			t.Fatalf("photo without the signature: %d", r.Code)
		}
	})
	t.Run("Twice", func(t *testing.T) {
		r := e.post(t, base+action, map[string]string{"csrf": token, "feedback": "第二次"}, nil, csrfCookie)
		if r.Code != http.StatusSeeOther || strings.Contains(r.Header().Get("Location"), "done=1") {
			t.Fatalf("status %d, location %q", r.Code, r.Header().Get("Location"))
		}
		l, _ := e.letters.Letter(ctx, f.letter.ID)
		if l.AckFeedback != "地面积水已清理" {
			t.Fatalf("the second receipt changed the first: %+v", l)
		}
		if ms := notifytest.Of(e.out.Messages(t), "letter.acknowledged", ""); len(ms) != 1 {
			t.Fatalf("%d receipts reached the cadre", len(ms))
		}
	})
}
