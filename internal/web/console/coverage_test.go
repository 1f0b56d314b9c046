package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// A business is packed only by a cadre whose area covers it: a county's
// cadre the county, a town's or village's cadre their town. These tests
// set 蠡湖街道's businesses against 胡埭镇's cadres.

// lihuBusiness is an operating grade D business of 蠡湖街道 with a cadre,
// named so that no 胡埭镇 business's name contains it (pages of 胡埭镇
// must then not show it at all).
func lihuBusiness(t *testing.T, a *webtest.App, skip ...int64) query.BusinessLine {
	t.Helper()
	ctx := context.Background()
	var hudai strings.Builder
	err := a.Query.EachBusiness(ctx, query.BusinessFilter{ScopePath: a.HudaiTown.Path}, func(bs []query.BusinessLine) error {
		for _, b := range bs {
			hudai.WriteString(b.Name + "\n")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	bs, _, err := a.Query.Businesses(ctx, query.BusinessFilter{ScopePath: a.LihuTown.Path, Status: string(registry.StatusOperating),
		Grade: string(registry.GradeD), Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
next:
	for _, b := range bs {
		for _, id := range skip {
			if b.ID == id {
				continue next
			}
		}
		if b.CadreID != 0 && len([]rune(b.Name)) >= 3 && !strings.Contains(hudai.String(), b.Name) {
			return b
		}
	}
	t.Fatal("no grade D business of 蠡湖街道 with a name of its own")
	return query.BusinessLine{}
}

// packAcross makes a cadre pack a business straight in the database, as
// data from before the register refused a cadre outside their area.
func packAcross(t *testing.T, a *webtest.App, businessID, cadreID int64) {
	t.Helper()
	ctx := context.Background()
	if err := a.Registry.Unassign(ctx, businessID); err != nil {
		t.Fatal(err)
	}
	err := a.DB.InTx(ctx, func(tx *gorm.DB) error {
		return a.Registry.InsertAssignmentsTx(tx, []*registry.Assignment{{BusinessID: businessID, CadreID: cadreID,
			StartedAt: time.Now().AddDate(0, -1, 0), Reason: "旧系统导入", Actor: "seed"}})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestConsoleAssignOnlyInCoverage: the district's administrator cannot
// make a 胡埭镇 village cadre pack a 蠡湖街道 business; the page says why
// and nothing changes.
func TestConsoleAssignOnlyInCoverage(t *testing.T) {
	a := webtest.Boot(t)
	ctx := context.Background()
	biz := lihuBusiness(t, a)
	hudaiCadre, _, _ := twoCadres(t, a)
	admin := a.SignIn(t, a.Admin)
	admin.Get(fmt.Sprintf("/console/businesses/%d", biz.ID))
	before := conSnapshot(t, a)

	admin.Post(fmt.Sprintf("/console/businesses/%d/assign", biz.ID), url.Values{"cadre_id": {fmt.Sprint(hudaiCadre.ID)}, "reason": {"就近"}})
	want := fmt.Sprintf("%s只能包保胡埭镇的主体，「%s」在蠡湖街道", hudaiCadre.Name, biz.Name)
	if admin.Status != http.StatusBadRequest || !strings.Contains(admin.Text(), want) {
		t.Fatalf("assign across towns = %d, want 400 with %q: %.500s", admin.Status, want, admin.Text())
	}
	if after := conSnapshot(t, a); after != before {
		t.Errorf("the refused assignment changed data:\nbefore %s\nafter  %s", before, after)
	}
	if cur, err := a.Registry.CurrentAssignment(ctx, biz.ID); err != nil || cur.CadreID != biz.CadreID {
		t.Errorf("current cadre: %+v %v, want %d", cur, err, biz.CadreID)
	}
	if n := auditCount(t, a, "assignment.change", "user:"+a.Admin); n != 0 {
		t.Errorf("%d assignment entries for a refused change", n)
	}

	// A cadre of the business's own town is accepted.
	lihuCadres, _, err := a.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: a.LihuTown.Path, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var other registry.Cadre
	for _, c := range lihuCadres {
		if c.ID != biz.CadreID && c.Level == registry.CadreVillage {
			other = c
			break
		}
	}
	admin.Post(fmt.Sprintf("/console/businesses/%d/assign", biz.ID), url.Values{"cadre_id": {fmt.Sprint(other.ID)}, "reason": {"就近"}})
	if admin.Status != http.StatusSeeOther {
		t.Fatalf("assign within the town = %d: %.300s", admin.Status, admin.Text())
	}
}

// TestConsoleCadreCrossTownData: a 胡埭镇 cadre still packs a 蠡湖街道
// business from before the rule. 胡埭镇's manager sees none of it on the
// cadre's page, API item or load, and a handover moves only 胡埭镇's
// businesses; the administrator's handover to a cadre who cannot cover
// the 蠡湖街道 business is refused with its name.
func TestConsoleCadreCrossTownData(t *testing.T) {
	a := webtest.Boot(t)
	ctx := context.Background()
	from, to, _ := twoCadres(t, a)
	biz := lihuBusiness(t, a)
	packAcross(t, a, biz.ID, from.ID)
	all, err := a.Registry.AssignedBusinesses(ctx, from.ID)
	if err != nil {
		t.Fatal(err)
	}
	own := len(all) - 1
	hudai := a.SignIn(t, a.Hudai)
	admin := a.SignIn(t, a.Admin)

	t.Run("Page", func(t *testing.T) {
		hudai.Get(fmt.Sprintf("/console/cadres/%d", from.ID))
		if hudai.Status != http.StatusOK {
			t.Fatalf("cadre page = %d", hudai.Status)
		}
		if strings.Contains(hudai.Body, biz.Name) || strings.Contains(hudai.Body, fmt.Sprintf(`data-business="%d"`, biz.ID)) {
			t.Errorf("胡埭镇's manager sees 蠡湖街道's %s on the cadre's page", biz.Name)
		}
		if load := fmt.Sprintf(`data-figure="load">%d<`, own); !strings.Contains(hudai.Body, load) {
			t.Errorf("load shown is not %d (胡埭镇's businesses only)", own)
		}
		admin.Get(fmt.Sprintf("/console/cadres/%d", from.ID))
		if !strings.Contains(admin.Body, biz.Name) || !strings.Contains(admin.Body, fmt.Sprintf(`data-figure="load">%d<`, len(all))) {
			t.Errorf("the administrator does not see all %d businesses of the cadre", len(all))
		}
		// The handover offers cadres of the cadre's town only.
		if !strings.Contains(admin.Body, fmt.Sprintf(`<option value="%d">`, to.ID)) || strings.Contains(admin.Body, fmt.Sprintf(`<option value="%d">`, biz.CadreID)) {
			t.Errorf("handover targets: %s offered %v, 蠡湖街道's %d offered %v", to.Name, strings.Contains(admin.Body, fmt.Sprintf(`<option value="%d">`, to.ID)),
				biz.CadreID, strings.Contains(admin.Body, fmt.Sprintf(`<option value="%d">`, biz.CadreID)))
		}
	})

	t.Run("API", func(t *testing.T) {
		var item struct{ Load, Due int }
		hudai.API(http.MethodGet, fmt.Sprintf("/api/v1/cadres/%d", from.ID))
		if err := json.Unmarshal([]byte(hudai.Body), &item); err != nil || hudai.Status != http.StatusOK {
			t.Fatalf("API cadre = %d %s", hudai.Status, hudai.Body)
		}
		if item.Load != own || item.Due > own {
			t.Errorf("API item load %d due %d, want load %d (胡埭镇's businesses only)", item.Load, item.Due, own)
		}
		var list struct{ Items []struct{ ID, Load int64 } }
		hudai.API(http.MethodGet, "/api/v1/cadres?q="+from.WorkPhone)
		if err := json.Unmarshal([]byte(hudai.Body), &list); err != nil || len(list.Items) != 1 || list.Items[0].Load != int64(own) {
			t.Errorf("API list = %d %s, want the cadre with load %d", hudai.Status, hudai.Body, own)
		}
		hudai.Get("/console/cadres.xlsx?q=" + from.WorkPhone)
		if sheet := conXLSXText([]byte(hudai.Body)); !strings.Contains(sheet, fmt.Sprintf("%s\t%d\t", from.WorkPhone, own)) {
			t.Errorf("the export's load is not %d: %s", own, sheet)
		}
	})

	t.Run("HandoverRefusedWithReason", func(t *testing.T) {
		before := conSnapshot(t, a)
		admin.Get(fmt.Sprintf("/console/cadres/%d", from.ID))
		admin.Post(fmt.Sprintf("/console/cadres/%d/handover", from.ID), url.Values{"to_cadre_id": {fmt.Sprint(to.ID)}, "reason": {"调岗"}})
		want := fmt.Sprintf("「%s」：%s只能包保胡埭镇的主体", biz.Name, to.Name)
		if admin.Status != http.StatusBadRequest || !strings.Contains(admin.Text(), want) {
			t.Fatalf("handover carrying a 蠡湖街道 business = %d, want 400 with %q: %.500s", admin.Status, want, admin.Text())
		}
		if after := conSnapshot(t, a); after != before {
			t.Errorf("the refused handover changed data:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("HandoverMovesOnlyInScope", func(t *testing.T) {
		had, err := a.Registry.AssignedBusinesses(ctx, to.ID)
		if err != nil {
			t.Fatal(err)
		}
		hudai.Get(fmt.Sprintf("/console/cadres/%d", from.ID))
		hudai.Post(fmt.Sprintf("/console/cadres/%d/handover", from.ID), url.Values{"to_cadre_id": {fmt.Sprint(to.ID)}, "reason": {"调岗"}})
		if hudai.Status != http.StatusSeeOther {
			t.Fatalf("handover = %d: %.500s", hudai.Status, hudai.Text())
		}
		hudai.Get(hudai.Header.Get("Location"))
		if !strings.Contains(hudai.Text(), fmt.Sprintf("%d 家主体已移交", own)) {
			t.Errorf("confirmation does not count %d: %.300s", own, hudai.Text())
		}
		left, _ := a.Registry.AssignedBusinesses(ctx, from.ID)
		now, _ := a.Registry.AssignedBusinesses(ctx, to.ID)
		if len(left) != 1 || left[0].ID != biz.ID || len(now) != len(had)+own {
			t.Fatalf("after handover %s keeps %d (want only %s), %s has %d (had %d + %d)", from.Name, len(left), biz.Name, to.Name, len(now), len(had), own)
		}
		// Each business moved is in its own town's log.
		hudai.Get("/console/audit?action=assignment.change")
		if n := strings.Count(hudai.Text(), fmt.Sprintf("的包保干部从 %s 移交给 %s（原因：调岗）", from.Name, to.Name)); n != own {
			t.Errorf("胡埭镇's log has %d handover entries about businesses, want %d", n, own)
		}
	})
}

// TestConsoleAuditCrossTown: a 胡埭镇 cadre's visit to the 蠡湖街道
// business they still pack is in 蠡湖街道's log (the business's town) and
// in 胡埭镇's (the cadre's), and in no other town's.
func TestConsoleAuditCrossTown(t *testing.T) {
	a := webtest.Boot(t)
	ctx := context.Background()
	from, _, _ := twoCadres(t, a)
	biz := lihuBusiness(t, a)
	packAcross(t, a, biz.ID, from.ID)
	v, _, err := a.Supervision.Submit(ctx, webtest.QuickReport(a.App, biz.ID, from.ID))
	if err != nil {
		t.Fatal(err)
	}
	// The page and the export say it in words; the third town's check
	// below reads the stored entry.
	line := fmt.Sprintf("%s 提交了 「%s」 的现场督导", from.Name, biz.Name)
	for _, who := range []string{a.Lihu, a.Hudai} {
		c := a.SignIn(t, who)
		c.Get("/console/audit?action=visit.submit")
		if c.Status != http.StatusOK || !strings.Contains(c.Text(), line) {
			t.Errorf("%s's audit log lacks the cross-town visit %q: %.400s", who, line, c.Text())
		}
		c.Get("/console/audit.xlsx?action=visit.submit")
		if !strings.Contains(conXLSXText([]byte(c.Body)), line) {
			t.Errorf("%s's audit export lacks it", who)
		}
	}
	// A third town sees nothing of it.
	rs, err := a.Registry.Regions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Level == registry.LevelTown && r.ID != a.HudaiTown.ID && r.ID != a.LihuTown.ID {
			if r.ParentID == nil || *r.ParentID != a.District.ID {
				continue
			}
			es, _, err := query.New(a.DB).AuditEntries(ctx, query.AuditFilter{Action: "visit.submit", Limit: 500}, query.AuditScope{Path: r.Path})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				if strings.HasPrefix(e.Detail, fmt.Sprintf("visit %d:", v.ID)) {
					t.Errorf("%s's log shows the visit", r.Name)
				}
			}
			break
		}
	}
}

// TestConsoleRelocationAcrossTowns: moving a 胡埭镇 business to a
// 蠡湖街道 village ends its 胡埭镇 cadre's assignment. The console asks
// for a cadre of the new town and refuses one of the old; the service,
// given none, leaves the business unassigned. Both towns' logs show the
// move.
func TestConsoleRelocationAcrossTowns(t *testing.T) {
	a := webtest.Boot(t)
	ctx := context.Background()
	from, _, _ := twoCadres(t, a)
	moving, err := a.Registry.AssignedBusinesses(ctx, from.ID)
	if err != nil || len(moving) < 2 {
		t.Fatalf("%s packs %d businesses: %v", from.Name, len(moving), err)
	}
	target := lihuBusiness(t, a)
	village, lihuCadre := target.RegionID, target.CadreID
	request := func(b registry.Business) int64 {
		t.Helper()
		in := webtest.QuickReport(a.App, b.ID, from.ID)
		in.StatusSeen, in.StatusNote = registry.EventRelocated, "搬到蠡湖街道"
		if _, _, err := a.Supervision.Submit(ctx, in); err != nil {
			t.Fatal(err)
		}
		rs, err := a.Query.Relocations(ctx, a.HudaiTown.Path, supervision.RelocationPending)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.BusinessID == b.ID {
				return r.ID
			}
		}
		t.Fatalf("no relocation request for %s", b.Name)
		return 0
	}

	biz := moving[0]
	id := request(biz)
	admin := a.SignIn(t, a.Admin)
	admin.Get("/console/relocations")
	before := conSnapshot(t, a)
	decide := fmt.Sprintf("/console/relocations/%d/decide", id)

	admin.Post(decide, url.Values{"decision": {"approve"}, "address": {"新址路1号"}, "region_id": {fmt.Sprint(village)}})
	if admin.Status != http.StatusBadRequest || !strings.Contains(admin.Text(), "请同时选择蠡湖街道的包保干部") {
		t.Fatalf("approve to another town without a cadre = %d: %.500s", admin.Status, admin.Text())
	}
	admin.Post(decide, url.Values{"decision": {"approve"}, "address": {"新址路1号"}, "region_id": {fmt.Sprint(village)}, "cadre_id": {fmt.Sprint(from.ID)}})
	if want := from.Name + "只能包保胡埭镇的主体"; admin.Status != http.StatusBadRequest || !strings.Contains(admin.Text(), want) {
		t.Fatalf("approve with the old town's cadre = %d, want %q: %.500s", admin.Status, want, admin.Text())
	}
	if after := conSnapshot(t, a); after != before {
		t.Errorf("refused approvals changed data:\nbefore %s\nafter  %s", before, after)
	}

	admin.Post(decide, url.Values{"decision": {"approve"}, "address": {"新址路1号"}, "region_id": {fmt.Sprint(village)}, "cadre_id": {fmt.Sprint(lihuCadre)}})
	if admin.Status != http.StatusSeeOther {
		t.Fatalf("approve with a cadre of the new town = %d: %.500s", admin.Status, admin.Text())
	}
	if b, _ := a.Registry.Business(ctx, biz.ID); b.RegionID != village {
		t.Errorf("business in region %d, want %d", b.RegionID, village)
	}
	hist, err := a.Registry.AssignmentHistory(ctx, biz.ID)
	if err != nil || len(hist) < 2 {
		t.Fatalf("history %+v %v", hist, err)
	}
	if old, cur := hist[len(hist)-2], hist[len(hist)-1]; old.CadreID != from.ID || old.EndedAt == nil || cur.CadreID != lihuCadre || cur.EndedAt != nil {
		t.Errorf("assignments after the move: %+v then %+v", old, cur)
	}
	// The page says it in words: who approved moving which business.
	entry := fmt.Sprintf("同意 「%s」 搬迁", biz.Name)
	for _, who := range []string{a.Lihu, a.Hudai} {
		c := a.SignIn(t, who)
		c.Get("/console/audit?action=relocation.approved")
		if !strings.Contains(c.Text(), entry) {
			t.Errorf("%s's audit log lacks %q: %.400s", who, entry, c.Text())
		}
	}

	t.Run("ServiceEndsAssignment", func(t *testing.T) {
		other := moving[1]
		id := request(other)
		err := a.Supervision.DecideRelocationAudited(ctx, id, supervision.RelocationDecision{Approve: true, RegionID: village, Address: "新址路1号", By: registry.Actor("user:" + a.Admin)})
		if err != nil {
			t.Fatal(err)
		}
		if cur, err := a.Registry.CurrentAssignment(ctx, other.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("the old town's cadre still packs it: %+v %v", cur, err)
		}
	})
}
