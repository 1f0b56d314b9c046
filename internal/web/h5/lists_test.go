package h5_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// supervisionFixture is a current visit with an open rectification, its
// business packed by the visit's cadre, the business's bound contact, its
// town's office and a manager of it — and people of another town.
type supervisionFixture struct {
	visit, rect, cadre, office, manager int64
	contact                             *account.Contact
	otherCadre, otherManager            int64
	otherContact                        *account.Contact
}

func (e *h5env) supervisionFixture(t *testing.T) supervisionFixture {
	t.Helper()
	ctx := context.Background()
	var rows []struct{ VisitID, RectID int64 }
	err := e.d.Gorm(ctx).Raw(`
SELECT v.id AS visit_id, r.id AS rect_id FROM visits v
JOIN findings f ON f.visit_id = v.id
JOIN rectifications r ON r.finding_id = f.id
JOIN assignments a ON a.active_business_id = v.business_id AND a.cadre_id = v.cadre_id
WHERE v.is_current = ? AND r.status = ?
ORDER BY v.id LIMIT 1`, true, supervision.StatusOpen).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		t.Fatalf("no visit with an open rectification: %v", err)
	}
	v, err := e.sup.Visit(ctx, rows[0].VisitID)
	if err != nil {
		t.Fatal(err)
	}
	f := supervisionFixture{visit: v.ID, rect: rows[0].RectID, cadre: v.CadreID}
	f.contact = e.bind(t, v.BusinessID, "o-sup-contact")
	home, _ := e.reg.Region(ctx, v.Business.RegionID)
	for _, o := range e.offices(t) {
		r, _ := e.reg.Region(ctx, o.RegionID)
		ms, _ := e.reg.Managers(ctx, o.ID)
		if r.Level != registry.LevelTown || len(ms) == 0 {
			continue
		}
		if r.Contains(*home) {
			f.office, f.manager = o.ID, ms[0].ID
		} else {
			f.otherManager = ms[0].ID
		}
	}
	other, contact := e.otherBusiness(t, "o-sup-other")
	a, err := e.reg.CurrentAssignment(ctx, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.otherCadre, f.otherContact = a.CadreID, contact
	if f.office == 0 || f.otherManager == 0 || f.otherCadre == f.cadre {
		t.Fatalf("fixture %+v", f)
	}
	return f
}

// TestH5SupervisionLinks: the links to a visit's receipt, a cadre's tasks,
// an office's overdue list and a rectification carry a reader and an
// expiry like letter links: they open for the people the page is for,
// until they expire; altered, expired, old-style or someone else's links
// are refused with what to do; and no H5 response sends a referrer.
func TestH5SupervisionLinks(t *testing.T) {
	e := newH5(t, "http://h5.test", nil)
	f := e.supervisionFixture(t)
	valid := now.Add(linkTTL)
	cadre, manager, contact := registry.ActorOf("cadre", f.cadre), registry.ActorOf("manager", f.manager), registry.ActorOf("contact", f.contact.ID)
	otherCadre, otherManager := registry.ActorOf("cadre", f.otherCadre), registry.ActorOf("manager", f.otherManager)
	type page struct {
		name    string
		link    func(reader registry.Actor, expires time.Time) string
		readers []registry.Actor
		refused []registry.Actor
		shows   string
	}
	pages := []page{
		{"visit", func(r registry.Actor, x time.Time) string { return e.links.VisitReceipt(f.visit, r, x) },
			[]registry.Actor{cadre, manager}, []registry.Actor{otherCadre, otherManager, contact}, "督导回执"},
		{"tasks", func(r registry.Actor, x time.Time) string { return e.links.CadreTasks(f.cadre, r, x) },
			[]registry.Actor{cadre, manager}, []registry.Actor{otherCadre, otherManager, contact}, "待督导"},
		{"overdue", func(r registry.Actor, x time.Time) string { return e.links.OfficeOverdue(f.office, r, x) },
			[]registry.Actor{manager, registry.ActorOf("office", f.office)}, []registry.Actor{otherManager, cadre, registry.ActorOf("office", f.office+1000)}, "逾期未督导"},
		{"rectification", func(r registry.Actor, x time.Time) string { return e.links.Rectification(f.rect, r, x) },
			[]registry.Actor{cadre, manager, contact}, []registry.Actor{otherCadre, otherManager, registry.ActorOf("contact", f.otherContact.ID)}, "整改情况"},
	}
	noReferrer := func(t *testing.T, what string, r interface{ Header() http.Header }) {
		t.Helper()
		if got := r.Header().Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q", what, got)
		}
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			for _, reader := range p.readers {
				rec := e.get(t, p.link(reader, valid))
				if rec.Code != http.StatusOK || !strings.Contains(body(t, rec), p.shows) {
					t.Fatalf("%s's link = %d", reader, rec.Code)
				}
				noReferrer(t, string(reader), rec)
			}
			for _, reader := range p.refused {
				rec := e.get(t, p.link(reader, valid))
				if rec.Code != http.StatusForbidden || !strings.Contains(body(t, rec), "有权查看此页面") {
					t.Errorf("%s's link = %d, want 403", reader, rec.Code)
				}
			}
			good := p.link(p.readers[0], valid)
			u, _ := url.Parse(good)
			refusedLinks := map[string]string{
				"expired":               p.link(p.readers[0], now.Add(-time.Minute)),
				"old-style (?s= alone)": strings.Split(good, "?")[0] + "?s=" + u.Query().Get("s"),
				"another reader": strings.Replace(good, "r="+url.QueryEscape(string(p.readers[0])),
					"r="+url.QueryEscape(string(p.refused[0])), 1),
				"later expiry": strings.Replace(good, "e=", "e=9", 1),
				"forged":       strings.Replace(good, "s=", "s=x", 1),
			}
			for what, link := range refusedLinks {
				rec := e.get(t, link)
				if rec.Code != http.StatusForbidden || !strings.Contains(body(t, rec), "链接无效或已过期") {
					t.Errorf("%s link = %d", what, rec.Code)
				}
				noReferrer(t, what+" link", rec)
			}
		})
	}
	t.Run("AnotherIDWithThisSignature", func(t *testing.T) {
		good := e.links.VisitReceipt(f.visit, cadre, valid)
		other := strings.Replace(good, "/h5/visits/"+itoa(f.visit)+"?", "/h5/visits/"+itoa(f.visit+1)+"?", 1)
		if rec := e.get(t, other); rec.Code != http.StatusForbidden {
			t.Fatalf("another visit with this link's signature = %d", rec.Code)
		}
	})
	t.Run("OverduePageOutOfRange", func(t *testing.T) {
		for _, q := range []string{"&page=9223372036854775807", "&offset=9223372036854775807", "&page=-1"} {
			if rec := e.get(t, e.links.OfficeOverdue(f.office, manager, valid)+q); rec.Code != http.StatusOK {
				t.Errorf("overdue list with %s = %d", q, rec.Code)
			}
		}
	})
	t.Run("EveryH5ResponseSendsNoReferrer", func(t *testing.T) {
		fx := e.letterFixture(t)
		for _, u := range []string{
			"/h5/nothing-here", "/h5/visits/abc", "/h5/oauth?code=x",
			e.letterLink(fx.letter, registry.ActorOf("contact", fx.contact.ID)),
			e.links.Card(fx.business.ID, registry.ActorOf("contact", fx.contact.ID), valid),
		} {
			noReferrer(t, u, e.get(t, u))
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestH5SupervisionLinksOAuth: with WeChat authorisation on, a link opens
// for a visitor bound to someone the page is for, whoever it was signed
// for, and for nobody else.
func TestH5SupervisionLinksOAuth(t *testing.T) {
	w := newOAuthWorld(t)
	f := w.supervisionFixture(t)
	valid := now.Add(linkTTL)
	w.bindCadre(t, f.cadre, "o-sup-cadre")
	w.bindManager(t, f.manager, "o-sup-manager")
	receipt := w.links.VisitReceipt(f.visit, registry.ActorOf("cadre", f.cadre), valid)
	// The overdue link posted in the office's WeCom group names the office.
	overdue := w.links.OfficeOverdue(f.office, registry.ActorOf("office", f.office), valid)
	rect := w.links.Rectification(f.rect, registry.ActorOf("contact", f.contact.ID), valid)
	for _, c := range []struct {
		openid, link string
		want         int
	}{
		{"o-sup-cadre", receipt, http.StatusOK},
		{"o-sup-manager", receipt, http.StatusOK},
		{"o-sup-contact", receipt, http.StatusForbidden},
		{"o-sup-other", receipt, http.StatusForbidden},
		{"o-nobody", receipt, http.StatusForbidden},
		{"o-sup-manager", overdue, http.StatusOK},
		{"o-sup-cadre", overdue, http.StatusForbidden},
		{"o-sup-contact", rect, http.StatusOK},
		{"o-sup-cadre", rect, http.StatusOK},
		{"o-sup-other", rect, http.StatusForbidden},
	} {
		if code, page := fetch(t, w.browser(t, c.openid), c.link); code != c.want {
			t.Errorf("%s opening %s = %d, want %d: %.200s", c.openid, c.link, code, c.want, webtest.PageText(page))
		}
	}
}

// bindManager binds openid to a manager.
func (e *h5env) bindManager(t *testing.T, managerID int64, openid string) {
	t.Helper()
	ctx := context.Background()
	code, _, err := e.accounts.IssueCode(ctx, "manager", managerID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.accounts.Bind(ctx, "oa", openid, code); err != nil {
		t.Fatal(err)
	}
}
