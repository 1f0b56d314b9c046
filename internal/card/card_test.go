package card_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/notify/notifytest"
	"github.com/shianbao/shianbao/internal/registry"
)

// business is an operating business of 胡埭镇 with a principal and a
// principal's phone registered.
func (w *district) business(t *testing.T) registry.Business {
	t.Helper()
	_, office := w.manager(t, "胡埭镇")
	for _, b := range w.businessesIn(t, office, 50) {
		if b.Principal != "" && b.PrincipalPhone != "" {
			if _, err := w.reg.CurrentAssignment(context.Background(), b.ID); err == nil {
				return b
			}
		}
	}
	t.Fatal("no business with a principal's phone")
	return registry.Business{}
}

// otherCadre is an active cadre who may pack b and does not now.
func (w *district) otherCadre(t *testing.T, b registry.Business) registry.Cadre {
	t.Helper()
	ctx := context.Background()
	cur, err := w.reg.CurrentAssignment(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	cs, _, err := w.reg.FindCadres(ctx, registry.CadreFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := w.reg.Regions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tree := registry.NewRegionTree(rs)
	for _, c := range cs {
		if c.ID != cur.CadreID && w.reg.CheckAssignable(b, c, tree) == nil {
			return c
		}
	}
	t.Fatal("no other cadre")
	return registry.Cadre{}
}

func TestCard(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	b := w.business(t)
	c, err := w.cards.Card(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := w.reg.CurrentAssignment(ctx, b.ID)
	cadre, _ := w.reg.Cadre(ctx, a.CadreID)
	if c.Version != 1 || c.Name != b.Name || c.Cadre == nil || c.Cadre.Name != cadre.Name || c.Cadre.Phone != cadre.WorkPhone {
		t.Fatalf("card = %+v", c)
	}
	if c.Town != "胡埭镇" || c.Village == "" || c.Frequency == "" || c.OfficeName == "" || c.StationPhone == "" || c.Hotline != "12315" {
		t.Fatalf("card = %+v", c)
	}
	if !card.ValidCode(c.Code) {
		t.Fatalf("code %q", c.Code)
	}
	if c.PublicURL != "https://sab.example/c/"+c.Code {
		t.Fatalf("public URL %q", c.PublicURL)
	}
	t.Run("Stable", func(t *testing.T) {
		u, err := w.cards.PublicURL(ctx, b.ID)
		if err != nil || u != c.PublicURL {
			t.Fatalf("public URL %q, %v", u, err)
		}
		id, err := w.cards.ByCode(ctx, c.Code)
		if err != nil || id != b.ID {
			t.Fatalf("by code %d, %v", id, err)
		}
		for _, code := range []string{"", "ABCDEFGHIJ", strings.Repeat("a", 10), "a'; --"} {
			if _, err := w.cards.ByCode(ctx, code); !errs.Is(err, errs.NotFound) {
				t.Errorf("by code %q: %v", code, err)
			}
		}
	})
	t.Run("Public", func(t *testing.T) {
		p := c.Public()
		if p.Principal.Phone == b.PrincipalPhone || !strings.Contains(p.Principal.Phone, "****") {
			t.Fatalf("principal phone not masked: %q", p.Principal.Phone)
		}
		if p.Cadre.Phone != cadre.WorkPhone || p.StationPhone != c.StationPhone || !p.Masked {
			t.Fatalf("public card = %+v", p)
		}
		if c.Principal.Phone != b.PrincipalPhone {
			t.Fatal("Public changed the card it was called on")
		}
	})
	t.Run("QR", func(t *testing.T) {
		png, err := card.QR(c.PublicURL, 256)
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("QR: %v", err)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		if _, err := w.cards.Card(ctx, 99_999_999); !errs.Is(err, errs.NotFound) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestReissueOnReassign: reassigning a business reissues its card and
// tells its bound contact exactly once, however often the reissue runs.
func TestReissueOnReassign(t *testing.T) {
	each(t, func(t *testing.T, w *district) {
		ctx := context.Background()
		b := w.business(t)
		contact := w.bindContact(t, b.ID, "o-card")
		if _, err := w.cards.Card(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if ok, err := w.cards.Reissue(ctx, b.ID, "无变化"); err != nil || ok {
			t.Fatalf("reissue without a change: %v %v", ok, err)
		}
		next := w.otherCadre(t, b)
		if _, err := w.reg.Assign(ctx, b.ID, next.ID, "调整分工", "test"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		reissued := 0
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := w.cards.ReissueChanged(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				reissued += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if reissued != 1 {
			t.Fatalf("reissued %d times", reissued)
		}
		if ok, err := w.cards.Reissue(ctx, b.ID, "再次"); err != nil || ok {
			t.Fatalf("reissue again: %v %v", ok, err)
		}
		ms := notifytest.Of(w.out.Messages(t), "card.issued", notify.ToContact)
		if len(ms) != 1 || ms[0].To.ID != contact.ID || ms[0].Stage != "v2" || !strings.Contains(ms[0].Text, next.Name) || !strings.Contains(ms[0].URL, fmt.Sprintf("/h5/cards/%d", b.ID)) {
			t.Fatalf("messages %+v", ms)
		}
		c, err := w.cards.Card(ctx, b.ID)
		if err != nil || c.Version != 2 || c.Cadre.Name != next.Name {
			t.Fatalf("card = %+v, %v", c, err)
		}
	})
}

func TestReissueHandover(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	b := w.business(t)
	a, _ := w.reg.CurrentAssignment(ctx, b.ID)
	theirs, err := w.reg.AssignedBusinesses(ctx, a.CadreID)
	if err != nil || len(theirs) < 2 {
		t.Fatalf("businesses of the cadre: %d %v", len(theirs), err)
	}
	// Two of the cadre's businesses have cards; one binds a contact.
	for _, x := range theirs[:2] {
		if _, err := w.cards.Card(ctx, x.ID); err != nil {
			t.Fatal(err)
		}
	}
	contact := w.bindContact(t, theirs[0].ID, "o-handover")
	next := w.otherCadre(t, theirs[0])
	if _, err := w.reg.Handover(ctx, a.CadreID, next.ID, "工作调动", "test"); err != nil {
		t.Fatal(err)
	}
	n, err := w.cards.ReissueChanged(ctx)
	if err != nil || n != 2 {
		t.Fatalf("reissued %d, %v (want the two with cards)", n, err)
	}
	ms := notifytest.Of(w.out.Messages(t), "card.issued", notify.ToContact)
	if len(ms) != 1 || ms[0].To.ID != contact.ID {
		t.Fatalf("messages %+v", ms)
	}
	vs := []card.Version{}
	w.d.Gorm(ctx).Where("business_id = ?", theirs[0].ID).Order("version").Find(&vs)
	if len(vs) != 2 || vs[1].Reason == "" || vs[1].CadreID != next.ID {
		t.Fatalf("versions %+v", vs)
	}
	t.Run("Unassigned", func(t *testing.T) {
		if err := w.reg.Unassign(ctx, theirs[1].ID); err != nil {
			t.Fatal(err)
		}
		if ok, err := w.cards.Reissue(ctx, theirs[1].ID, "撤销包保"); err != nil || !ok {
			t.Fatalf("reissue %v %v", ok, err)
		}
		c, _ := w.cards.Card(ctx, theirs[1].ID)
		if c.Cadre != nil || c.Version != 3 {
			t.Fatalf("card %+v", c)
		}
	})
}

func TestVillage(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	b := w.business(t)
	cs, err := w.cards.Village(ctx, b.RegionID)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	w.d.Gorm(ctx).Model(&registry.Business{}).Where("region_id = ? AND status <> ?", b.RegionID, registry.StatusDeregistered).Count(&n)
	if int64(len(cs)) != n || n == 0 {
		t.Fatalf("%d cards, %d businesses", len(cs), n)
	}
	codes := map[string]bool{}
	for i, c := range cs {
		if codes[c.Code] || !card.ValidCode(c.Code) || c.Village != cs[0].Village {
			t.Fatalf("card %d: %+v", i, c)
		}
		codes[c.Code] = true
		if i > 0 && cs[i-1].Name > c.Name {
			t.Fatalf("not by name: %q before %q", cs[i-1].Name, c.Name)
		}
	}
	// Codes stay once made.
	again, _ := w.cards.Village(ctx, b.RegionID)
	for i := range again {
		if again[i].Code != cs[i].Code {
			t.Fatal("codes changed")
		}
	}
	if err := w.cards.RecordRead(ctx, cs, "cadre:1", card.ViaPrint); err != nil {
		t.Fatal(err)
	}
	if rs, err := w.cards.Reads(ctx, cs[0].BusinessID); err != nil || len(rs) != 1 || rs[0].Via != card.ViaPrint {
		t.Fatalf("reads %+v %v", rs, err)
	}
}

func TestAuthorize(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	b := w.business(t)
	mine := w.bindContact(t, b.ID, "o-mine")
	_, lihu := w.manager(t, "蠡湖街道")
	other := w.businessesIn(t, lihu, 1)[0]
	theirs := w.bindContact(t, other.ID, "o-theirs")
	a, _ := w.reg.CurrentAssignment(ctx, b.ID)
	hm, _ := w.manager(t, "胡埭镇")
	lm, _ := w.manager(t, "蠡湖街道")
	cadre, _ := w.reg.Cadre(ctx, a.CadreID)
	tests := []struct {
		name   string
		reader registry.Actor
		ok     bool
	}{
		{"OwnContact", registry.ActorOf("contact", mine.ID), true},
		{"Cadre", registry.ActorOf("cadre", a.CadreID), true},
		{"Manager", registry.ActorOf("manager", hm.ID), true},
		{"ErrOtherContact", registry.ActorOf("contact", theirs.ID), false},
		{"ErrOtherManager", registry.ActorOf("manager", lm.ID), false},
		{"ErrOtherCadre", registry.ActorOf("cadre", w.otherCadre(t, b).ID), false},
		{"ErrGarbage", "public", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := w.cards.Authorize(ctx, b.ID, tt.reader)
			if tt.ok != (err == nil) || (err != nil && !errs.Is(err, errs.Forbidden)) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	t.Run("Village", func(t *testing.T) {
		if err := w.cards.AuthorizeVillage(ctx, b.RegionID, registry.ActorOf("cadre", cadre.ID)); err != nil {
			t.Fatalf("the village's cadre: %v", err)
		}
		if err := w.cards.AuthorizeVillage(ctx, b.RegionID, registry.ActorOf("manager", hm.ID)); err != nil {
			t.Fatalf("the town's manager: %v", err)
		}
		if err := w.cards.AuthorizeVillage(ctx, b.RegionID, registry.ActorOf("manager", lm.ID)); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("another town's manager: %v", err)
		}
		if err := w.cards.AuthorizeVillage(ctx, b.RegionID, registry.ActorOf("contact", mine.ID)); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a contact: %v", err)
		}
	})
}

// TestVillageQueries: a village's sheet takes a fixed number of
// statements, not one or more per card.
func TestVillageQueries(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	b := w.business(t)
	if _, err := w.cards.Village(ctx, b.RegionID); err != nil { // issues the cards
		t.Fatal(err)
	}
	var n atomic.Int64
	inc := func(*gorm.DB) { n.Add(1) }
	cb := w.d.Gorm(ctx).Callback()
	cb.Query().After("gorm:query").Register("test:count_query", inc)
	cb.Create().After("gorm:create").Register("test:count_create", inc)
	cb.Update().After("gorm:update").Register("test:count_update", inc)
	cb.Row().After("gorm:row").Register("test:count_row", inc)
	cb.Raw().After("gorm:raw").Register("test:count_raw", inc)
	cs, err := w.cards.Village(ctx, b.RegionID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d statements for %d cards", n.Load(), len(cs))
	if len(cs) < 20 || n.Load() > 12 {
		t.Fatalf("%d statements for %d cards", n.Load(), len(cs))
	}
}
