package pledge_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/registry"
)

func TestSignBusiness(t *testing.T) {
	each(t, func(t *testing.T, w *district) {
		ctx := context.Background()
		b := w.business(t, 0)
		c := w.bindContact(t, b.ID, "o-sign-1")
		r, err := w.pledges.Requirement(ctx, pledge.KindBusiness, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Signed != nil || r.Reason() != "尚未签署" {
			t.Fatalf("fresh business: signed %v, reason %q", r.Signed, r.Reason())
		}
		text := strings.Join(r.Content.Paragraphs, "")
		if !strings.Contains(text, b.Name) || !strings.Contains(text, r.Content.Cadre) || !strings.Contains(text, r.Content.Office) ||
			strings.Contains(text, "{") || r.Content.Cadre == "（尚未指定）" {
			t.Fatalf("text does not name the business, its cadre and office: %q", text)
		}
		png := drawn(t)
		p, err := w.pledges.Sign(ctx, pledge.KindBusiness, b.ID, pledge.Signature{
			Signer: registry.ActorOf("contact", c.ID), IdentityID: 7, OpenID: "o-sign-1", Name: "张三", PNG: png})
		if err != nil {
			t.Fatal(err)
		}
		if p.Method != pledge.MethodDrawn || len(p.SignatureSHA256) != 64 || p.SignatureKey != p.SignatureSHA256+".png" ||
			p.Version != "2026.1" || p.Year != 2026 || p.OpenID != "o-sign-1" || p.CadreID != r.CadreID || p.AssignmentID == 0 {
			t.Fatalf("pledge %+v", p)
		}
		got, err := w.pledges.SignaturePNG(ctx, p)
		if err != nil || string(got) != string(png) {
			t.Fatalf("stored signature differs: %v", err)
		}
		r, err = w.pledges.Requirement(ctx, pledge.KindBusiness, b.ID)
		if err != nil || r.Signed == nil || r.Signed.ID != p.ID {
			t.Fatalf("after signing: %+v, %v", r, err)
		}
		var entries []audit.Entry
		w.d.Gorm(ctx).Where("action = ? AND subject_type = ? AND subject_id = ?", "pledge.sign", "business", b.ID).Find(&entries)
		if len(entries) != 1 || !strings.Contains(entries[0].Detail, "食品安全主体责任承诺书") || entries[0].Actor != "contact:"+strconv.FormatInt(c.ID, 10) {
			t.Fatalf("audit %+v", entries)
		}
		// A double tap, or another contact: the pledge stands, once.
		again, err := w.pledges.Sign(ctx, pledge.KindBusiness, b.ID, pledge.Signature{
			Signer: registry.ActorOf("contact", c.ID), Name: "张三", Typed: "张三"})
		if !errs.Is(err, errs.Conflict) || again == nil || again.ID != p.ID {
			t.Fatalf("second signing: %v, %+v", err, again)
		}
		h, err := w.pledges.History(ctx, pledge.KindBusiness, b.ID)
		if err != nil || len(h) != 1 {
			t.Fatalf("history %d, %v", len(h), err)
		}
	})
}

func TestSignChecks(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	b := w.business(t, 1)
	other := w.business(t, 2)
	c := w.bindContact(t, b.ID, "o-check-1")
	signer := registry.ActorOf("contact", c.ID)
	cur, err := w.reg.CurrentAssignment(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		kind pledge.Kind
		id   int64
		sig  pledge.Signature
		want errs.Kind
	}{
		{"ErrNoName", pledge.KindBusiness, b.ID, pledge.Signature{Signer: signer, Typed: "张三"}, errs.Invalid},
		{"ErrNoSignature", pledge.KindBusiness, b.ID, pledge.Signature{Signer: signer, Name: "张三"}, errs.Invalid},
		{"ErrTypedMismatch", pledge.KindBusiness, b.ID, pledge.Signature{Signer: signer, Name: "张三", Typed: "张四"}, errs.Invalid},
		{"ErrBlankCanvas", pledge.KindBusiness, b.ID, pledge.Signature{Signer: signer, Name: "张三", PNG: blank(t)}, errs.Invalid},
		{"ErrNotPNG", pledge.KindBusiness, b.ID, pledge.Signature{Signer: signer, Name: "张三", PNG: []byte("GIF89a....")}, errs.Invalid},
		{"ErrOtherBusiness", pledge.KindBusiness, other.ID, pledge.Signature{Signer: signer, Name: "张三", Typed: "张三"}, errs.Forbidden},
		{"ErrCadreSignsForBusiness", pledge.KindBusiness, b.ID, pledge.Signature{Signer: registry.ActorOf("cadre", cur.CadreID), Name: "李四", Typed: "李四"}, errs.Forbidden},
		{"ErrOtherCadre", pledge.KindCadre, cur.CadreID, pledge.Signature{Signer: registry.ActorOf("cadre", cur.CadreID+1), Name: "李四", Typed: "李四"}, errs.Forbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.pledges.Sign(ctx, tc.kind, tc.id, tc.sig)
			if !errs.Is(err, tc.want) {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
			if msg := errs.MessageOf(err); msg == "" || strings.ContainsAny(msg, "{}:=") {
				t.Fatalf("message %q", msg)
			}
		})
	}
	t.Run("OKTyped", func(t *testing.T) {
		p, err := w.pledges.Sign(ctx, pledge.KindBusiness, b.ID, pledge.Signature{Signer: signer, Name: " 张三 ", Typed: "张三"})
		if err != nil || p.Method != pledge.MethodTyped || p.SignatureKey != "" || p.SignerName != "张三" {
			t.Fatalf("%+v, %v", p, err)
		}
	})
}

// TestCadrePledge: a cadre's text names the businesses it packs; only the
// cadre signs it.
func TestCadrePledge(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	cadre := w.unsignedCadre(t)
	packed, err := w.reg.AssignedBusinesses(ctx, cadre)
	if err != nil || len(packed) == 0 {
		t.Fatalf("businesses of the cadre: %d, %v", len(packed), err)
	}
	r, err := w.pledges.Requirement(ctx, pledge.KindCadre, cadre)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(r.Content.Paragraphs, "")
	for _, b := range packed {
		if b.Status != registry.StatusDeregistered && !strings.Contains(text, b.Name) {
			t.Fatalf("cadre text does not name %s: %q", b.Name, text)
		}
	}
	p, err := w.pledges.Sign(ctx, pledge.KindCadre, cadre, pledge.Signature{Signer: registry.ActorOf("cadre", cadre), Name: r.Name, PNG: drawn(t)})
	if err != nil || p.Kind != pledge.KindCadre {
		t.Fatalf("%+v, %v", p, err)
	}
}

// otherCadre reassigns a business to another cadre who may pack it, as a
// manager's handover does.
func (w *district) otherCadre(t *testing.T, b registry.Business) int64 {
	t.Helper()
	ctx := context.Background()
	cur, err := w.reg.CurrentAssignment(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	w.d.Gorm(ctx).Model(&registry.Cadre{}).Where("id <> ? AND active = ?", cur.CadreID, true).Order("id").Pluck("id", &ids)
	for _, id := range ids {
		if _, err := w.reg.AssignAudited(ctx, b.ID, id, "工作调整", "user:test"); err == nil {
			return id
		}
	}
	t.Fatalf("no other cadre can pack %s", b.Name)
	return 0
}

// TestResign: a new cadre, a new text and a new year each ask for a new
// pledge; the old ones stay in the history.
func TestResign(t *testing.T) {
	each(t, func(t *testing.T, w *district) {
		ctx := context.Background()
		b := w.business(t, 4)
		c := w.bindContact(t, b.ID, "o-resign")
		sign := func(svc *pledge.Service) *pledge.Pledge {
			t.Helper()
			p, err := svc.Sign(ctx, pledge.KindBusiness, b.ID, pledge.Signature{Signer: registry.ActorOf("contact", c.ID), Name: "王五", PNG: drawn(t)})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		unsigned := func(svc *pledge.Service, reason string) *pledge.Requirement {
			t.Helper()
			r, err := svc.Requirement(ctx, pledge.KindBusiness, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Signed != nil || r.Reason() != reason {
				t.Fatalf("want unsigned (%s), got signed %v, reason %q", reason, r.Signed != nil, r.Reason())
			}
			return r
		}
		first := sign(w.pledges)

		// Handover to another cadre.
		newCadre := w.otherCadre(t, b)
		r := unsigned(w.pledges, "包保干部已变更，需重新签署")
		if r.CadreID != newCadre || !strings.Contains(strings.Join(r.Content.Paragraphs, ""), r.Content.Cadre) {
			t.Fatalf("the new text does not name the new cadre: %+v", r.Content)
		}
		second := sign(w.pledges)
		if second.CadreID != newCadre || second.Basis == first.Basis {
			t.Fatalf("second pledge %+v", second)
		}

		// A new version of the text.
		tpl, err := pledge.DefaultTemplates()
		if err != nil {
			t.Fatal(err)
		}
		tpl.Business.Version = "2026.2"
		v2 := w.service(t, tpl)
		unsigned(v2, "承诺书文本已更新，需重新签署")
		third := sign(v2)
		if third.Version != "2026.2" {
			t.Fatalf("third %+v", third)
		}

		// A new calendar year (China time).
		w.clk.Set(time.Date(2027, 1, 1, 0, 30, 0, 0, clock.China))
		unsigned(v2, "2027年度需重新签署")
		fourth := sign(v2)
		if fourth.Year != 2027 {
			t.Fatalf("fourth %+v", fourth)
		}
		h, err := w.pledges.History(ctx, pledge.KindBusiness, b.ID)
		if err != nil || len(h) != 4 || h[0].ID != fourth.ID || h[3].ID != first.ID {
			t.Fatalf("history %d, %v", len(h), err)
		}
		if h[3].Content.Cadre == h[2].Content.Cadre {
			t.Fatalf("the first pledge's frozen text was rewritten: %q", h[3].Content.Cadre)
		}
	})
}

func TestTemplates(t *testing.T) {
	tpl, err := pledge.DefaultTemplates()
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Cadre.Title != "包保责任承诺书" || tpl.Business.Title != "食品安全主体责任承诺书" {
		t.Fatalf("titles %q %q", tpl.Cadre.Title, tpl.Business.Title)
	}
	for name, text := range map[string]string{
		"ErrUnknownPlaceholder": "cadre: {title: a, version: '1', effective: 2026-01-01, paragraphs: ['{nmae}']}\nbusiness: {title: b, version: '1', effective: 2026-01-01, paragraphs: [x]}",
		"ErrNoVersion":          "cadre: {title: a, effective: 2026-01-01, paragraphs: [x]}\nbusiness: {title: b, version: '1', effective: 2026-01-01, paragraphs: [x]}",
		"ErrBadDate":            "cadre: {title: a, version: '1', effective: soon, paragraphs: [x]}\nbusiness: {title: b, version: '1', effective: 2026-01-01, paragraphs: [x]}",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := pledge.ParseTemplates([]byte(text)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestResignAfterHandover: when a cadre leaves and hands every business
// over in one step (registry.HandoverAudited), each business's pledge is
// due again naming the new cadre, whose own text now lists them.
func TestResignAfterHandover(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	b := w.business(t, 6)
	c := w.bindContact(t, b.ID, "o-handover")
	if _, err := w.pledges.Sign(ctx, pledge.KindBusiness, b.ID, pledge.Signature{Signer: registry.ActorOf("contact", c.ID), Name: "孙八", Typed: "孙八"}); err != nil {
		t.Fatal(err)
	}
	cur, err := w.reg.CurrentAssignment(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	var to int64
	var ids []int64
	w.d.Gorm(ctx).Model(&registry.Cadre{}).Where("id <> ? AND active = ?", cur.CadreID, true).Order("id").Pluck("id", &ids)
	for _, id := range ids {
		if _, err := w.reg.HandoverAudited(ctx, cur.CadreID, id, "", "离岗移交", "user:test"); err == nil {
			to = id
			break
		}
	}
	if to == 0 {
		t.Skip("no cadre in the demo district can take over this cadre's businesses")
	}
	r, err := w.pledges.Requirement(ctx, pledge.KindBusiness, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Signed != nil || r.Reason() != "包保干部已变更，需重新签署" || r.CadreID != to {
		t.Fatalf("after the handover: signed %v, reason %q, cadre %d (want %d)", r.Signed != nil, r.Reason(), r.CadreID, to)
	}
	cr, err := w.pledges.Requirement(ctx, pledge.KindCadre, to)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(cr.Content.Paragraphs, ""), b.Name) {
		t.Fatalf("the new cadre's text does not list %s", b.Name)
	}
	h, err := w.pledges.History(ctx, pledge.KindBusiness, b.ID)
	if err != nil || len(h) != 1 || h[0].CadreID != cur.CadreID {
		t.Fatalf("history after the handover: %+v %v", h, err)
	}
}
