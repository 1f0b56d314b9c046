package h5_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/registry"
)

// goldenCode replaces the card's random public code, so pages are stable.
const goldenCode = "goldencode"

// cardFixture is a business of the letter fixture's with its card issued
// under a fixed code.
func (e *h5env) cardFixture(t *testing.T, f fixture) *card.Card {
	t.Helper()
	ctx := context.Background()
	if _, err := e.cards.Card(ctx, f.business.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Gorm(ctx).Table("cards").Where("business_id = ?", f.business.ID).Update("code", goldenCode).Error; err != nil {
		t.Fatal(err)
	}
	c, err := e.cards.Card(ctx, f.business.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCardPageGolden(t *testing.T) {
	t.Parallel()
	e := newH5(t, base, nil)
	f := e.letterFixture(t)
	c := e.cardFixture(t, f)
	link := e.links.Card(f.business.ID, registry.ActorOf("contact", f.contact.ID), now.Add(linkTTL))

	r := e.get(t, link)
	if r.Code != http.StatusOK {
		t.Fatalf("status %d: %s", r.Code, body(t, r))
	}
	page := body(t, r)
	for _, want := range []string{"两个责任”知晓卡", c.Name, "属地管理责任", "企业主体责任", c.Cadre.Name, c.Cadre.Phone, f.business.PrincipalPhone, "12315", "data:image/png;base64,"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	golden(t, "card.golden.html", []byte(page))

	t.Run("Public", func(t *testing.T) {
		r := e.get(t, base+"/c/"+goldenCode)
		if r.Code != http.StatusOK {
			t.Fatalf("status %d", r.Code)
		}
		page := body(t, r)
		if strings.Contains(page, f.business.PrincipalPhone) || !strings.Contains(page, registry.MaskPhone(f.business.PrincipalPhone)) {
			t.Fatal("the public card shows the principal's phone")
		}
		if !strings.Contains(page, c.Cadre.Phone) {
			t.Fatal("the public card hides the cadre's work line")
		}
		golden(t, "card_public.golden.html", []byte(page))
	})
	t.Run("QR", func(t *testing.T) {
		r := e.get(t, base+"/c/"+goldenCode+"/qr.png?size=256")
		if r.Code != http.StatusOK || r.Header().Get("Content-Type") != "image/png" || !strings.HasPrefix(r.Body.String(), "\x89PNG") {
			t.Fatalf("status %d, %s", r.Code, r.Header().Get("Content-Type"))
		}
	})
	t.Run("ErrUnknownCode", func(t *testing.T) {
		for _, code := range []string{"abcdefghij", "1", "../etc", "GOLDENCODE"} {
			if r := e.get(t, base+"/c/"+code); r.Code != http.StatusNotFound {
				t.Errorf("%s: status %d", code, r.Code)
			}
		}
	})
	t.Run("ErrOtherBusiness", func(t *testing.T) {
		_, other := e.otherBusiness(t, "o-card-other")
		r := e.get(t, e.links.Card(f.business.ID, registry.ActorOf("contact", other.ID), now.Add(linkTTL)))
		if r.Code != http.StatusForbidden {
			t.Fatalf("status %d", r.Code)
		}
	})
	t.Run("ErrForged", func(t *testing.T) {
		if r := e.get(t, strings.Replace(link, "/h5/cards/", "/h5/cards/1", 1)); r.Code != http.StatusForbidden {
			t.Fatalf("status %d", r.Code)
		}
		if r := e.get(t, e.links.Card(f.business.ID, registry.ActorOf("contact", f.contact.ID), now.Add(-1))); r.Code != http.StatusForbidden {
			t.Fatalf("expired: status %d", r.Code)
		}
	})
	reads, err := e.cards.Reads(context.Background(), f.business.ID)
	if err != nil || len(reads) != 1 || reads[0].Reader != registry.ActorOf("contact", f.contact.ID) {
		t.Fatalf("reads %+v %v", reads, err)
	}
	views, err := e.cards.PublicViews(context.Background(), f.business.ID)
	if err != nil || len(views) != 1 || views[0].Views != 1 {
		t.Fatalf("public views %+v %v", views, err)
	}
}

func TestVillageSheet(t *testing.T) {
	t.Parallel()
	e := newH5(t, base, nil)
	f := e.letterFixture(t)
	link := e.links.VillageCards(f.business.RegionID, registry.ActorOf("cadre", f.cadre), now.Add(linkTTL))
	r := e.get(t, link)
	if r.Code != http.StatusOK {
		t.Fatalf("status %d: %s", r.Code, body(t, r))
	}
	page := body(t, r)
	cards, err := e.cards.Village(context.Background(), f.business.RegionID)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(page, `<section class="sheet">`); n != len(cards) || n == 0 {
		t.Fatalf("%d sheets for %d cards", n, len(cards))
	}
	if strings.Count(page, "data:image/png;base64,") != len(cards) {
		t.Fatal("not every card has its QR code")
	}
	t.Run("ErrContact", func(t *testing.T) {
		r := e.get(t, e.links.VillageCards(f.business.RegionID, registry.ActorOf("contact", f.contact.ID), now.Add(linkTTL)))
		if r.Code != http.StatusForbidden {
			t.Fatalf("status %d", r.Code)
		}
	})
	t.Run("ErrUnsigned", func(t *testing.T) {
		if r := e.get(t, base+"/h5/villages/1/cards/print"); r.Code != http.StatusForbidden {
			t.Fatalf("status %d", r.Code)
		}
	})
}
