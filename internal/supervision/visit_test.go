package supervision_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

var visitDay = day(2026, 11, 20, 10, 0)

// withIssue marks an item as a problem with one finding and a photo.
func withIssue(in supervision.VisitInput, item, media string) supervision.VisitInput {
	for i := range in.Items {
		if in.Items[i].ItemID == item {
			in.Items[i].Result = supervision.ResultIssue
		}
	}
	in.Findings = append(in.Findings, supervision.FindingInput{
		ItemID: item, Description: "问题：" + item, Requirement: "立即整改",
		Photos: []supervision.PhotoInput{{MediaID: media, PicURL: "http://mmbiz.qpic.cn/" + media}},
	})
	return in
}

func TestSubmit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		t.Run("OK", func(t *testing.T) {
			in := withIssue(e.report("马鞍面馆"), "staff_health", "m-health")
			in.Photos = []supervision.PhotoInput{{MediaID: "m-door", ReceivedAt: visitDay.Add(-10 * time.Minute)}}
			b := e.biz["马鞍面馆"]
			in.Location = &supervision.Location{Lat: *b.Latitude + 0.001, Lng: *b.Longitude, Label: "马鞍村"}
			in.StartedAt = visitDay.Add(-30 * time.Minute)
			v := e.submit(t, visitDay, in)
			if v.ID == 0 || v.CycleKey != "2026Q4" || v.CycleLabel != "2026年第四季度" || v.Revision != 1 || !v.Current ||
				v.CadreLevel != registry.CadreVillage || v.Grade != registry.GradeD || v.Far {
				t.Fatalf("visit %+v", v)
			}
			if v.DistanceM == nil || *v.DistanceM < 110 || *v.DistanceM > 112 {
				t.Fatalf("distance %v", v.DistanceM)
			}
			d, err := e.svc.Visit(ctx, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Business.Name != "马鞍面馆" || d.CadreName != "王建国" || len(d.Items) != 4 || d.Items[1].Label != "人员健康管理" ||
				d.Items[1].Result != supervision.ResultIssue || d.ContactName != "店长" || strings.Join(d.Provenance, ",") != "msg-1,msg-2" {
				t.Fatalf("detail %+v", d)
			}
			if len(d.Findings) != 1 {
				t.Fatalf("findings %+v", d.Findings)
			}
			f := d.Findings[0]
			wantDeadline := day(2026, 11, 27, 0, 0)
			if f.Label != "人员健康管理" || f.Status != supervision.StatusOpen || f.RectificationID == 0 || !f.Deadline.Equal(wantDeadline) ||
				f.Deadline.Location() != clock.China {
				t.Fatalf("finding %+v", f)
			}
			if len(d.Photos) != 2 || d.Photos[0].MediaID != "m-door" || d.Photos[1].FindingID == nil || *d.Photos[1].FindingID != f.ID {
				t.Fatalf("photos %+v", d.Photos)
			}
			for _, p := range d.Photos {
				if p.Status != supervision.PhotoPending || *p.VisitID != v.ID {
					t.Fatalf("photo %+v", p)
				}
			}
			if ok, c, err := e.svc.Covered(ctx, b.ID); err != nil || !ok || c.Key != "2026Q4" {
				t.Fatalf("covered %v %s %v", ok, c.Key, err)
			}
			recent, err := e.svc.RecentVisits(ctx, e.c1.ID, 5)
			if err != nil || len(recent) != 1 || recent[0].BusinessName != "马鞍面馆" || recent[0].Findings != 1 || recent[0].CycleLabel != "2026年第四季度" {
				t.Fatalf("recent %+v %v", recent, err)
			}
		})
		t.Run("Idempotent", func(t *testing.T) {
			in := e.report("马鞍超市")
			v1 := e.submit(t, visitDay, in)
			v2, created, err := e.svc.Submit(ctx, in)
			if err != nil || created || v2.ID != v1.ID {
				t.Fatalf("repeat: %v %v %v", v2, created, err)
			}
			if n := count(t, e.d, "visits", "business_id = ?", in.BusinessID); n != 1 {
				t.Fatalf("%d visits", n)
			}
			other := e.report("张舍烧烤")
			other.SubmissionKey = in.SubmissionKey
			if _, _, err := e.svc.Submit(ctx, other); !errs.Is(err, errs.Conflict) {
				t.Fatalf("someone else's key: %v", err)
			}
		})
		t.Run("ErrNotAssigned", func(t *testing.T) {
			in := e.report("张舍烧烤")
			in.CadreID = e.c1.ID
			_, _, err := e.svc.Submit(ctx, in)
			if !errs.Is(err, errs.Forbidden) || !strings.Contains(errs.MessageOf(err), "李秀英") || !strings.Contains(errs.MessageOf(err), "13900000002") {
				t.Fatalf("err = %v", err)
			}
			_, err = e.svc.CheckCanReport(ctx, e.c1.ID, e.biz["无人包保小店"].ID)
			if !errs.Is(err, errs.Forbidden) || !strings.Contains(errs.MessageOf(err), "胡埭镇食安办") || !strings.Contains(errs.MessageOf(err), "0510-85123456") {
				t.Fatalf("unassigned: %v", err)
			}
			if _, err := e.svc.CheckCanReport(ctx, e.c1.ID, 99999); !errs.Is(err, errs.NotFound) {
				t.Fatalf("unknown: %v", err)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			for name, tc := range map[string]struct {
				edit func(in *supervision.VisitInput)
				want string
			}{
				"IssueWithoutFinding": {func(in *supervision.VisitInput) { in.Items[0].Result = supervision.ResultIssue }, "请登记问题"},
				"DeadlinePast": {func(in *supervision.VisitInput) {
					*in = withIssue(*in, "staff_health", "m")
					in.Findings[0].Deadline = visitDay.AddDate(0, 0, -1)
				}, "不能早于今天"},
				"FindingNotIssue": {func(in *supervision.VisitInput) {
					in.Findings = []supervision.FindingInput{{ItemID: "staff_health", Description: "x"}}
				}, "未标记为有问题"},
				"MissingItem": {func(in *supervision.VisitInput) { in.Items = in.Items[1:] }, "未填写"},
				"FullMissing": {func(in *supervision.VisitInput) { in.Check = supervision.CheckFull }, "未填写"},
				"UnknownItem": {func(in *supervision.VisitInput) { in.Items[0].ItemID = "nope" }, "不在督导要点中"},
				"NotApplicable": {func(in *supervision.VisitInput) {
					in.Items = append(in.Items, supervision.ItemResult{ItemID: "cold_chain_temp", Result: "ok"})
				}, "不适用于餐饮"},
				"Twice":          {func(in *supervision.VisitInput) { in.Items = append(in.Items, in.Items[0]) }, "重复"},
				"Mode":           {func(in *supervision.VisitInput) { in.Mode = "walk" }, "督导方式"},
				"Remarks":        {func(in *supervision.VisitInput) { in.Remarks = strings.Repeat("好", 1001) }, "过长"},
				"ChangedNoNote":  {func(in *supervision.VisitInput) { in.StatusSeen = registry.EventChanged }, "请说明变更"},
				"BadStatus":      {func(in *supervision.VisitInput) { in.StatusSeen = registry.EventDeregistered }, "经营状态"},
				"BadLocation":    {func(in *supervision.VisitInput) { in.Location = &supervision.Location{Lat: 120, Lng: 31} }, "位置"},
				"PhotoWithoutID": {func(in *supervision.VisitInput) { in.Photos = []supervision.PhotoInput{{PicURL: "x"}} }, "媒体编号"},
			} {
				t.Run(name, func(t *testing.T) {
					in := e.report("马鞍小吃")
					tc.edit(&in)
					e.at(visitDay)
					_, _, err := e.svc.Submit(ctx, in)
					if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), tc.want) {
						t.Fatalf("err = %v, want %q", err, tc.want)
					}
				})
			}
			if n := count(t, e.d, "visits", "business_id = ?", e.biz["马鞍小吃"].ID); n != 0 {
				t.Fatalf("%d visits stored", n)
			}
		})
		t.Run("FullCheck", func(t *testing.T) {
			in := e.report("胡埭中学食堂")
			in.Check = supervision.CheckFull
			in.Items = nil
			for _, it := range e.lists.ForGrade(registry.CategoryCanteen, registry.GradeC) {
				in.Items = append(in.Items, supervision.ItemResult{ItemID: it.ID, Result: supervision.ResultOK})
			}
			in.Items[len(in.Items)-1].Result = supervision.ResultNA
			v := e.submit(t, visitDay, in)
			d, err := e.svc.Visit(ctx, v.ID)
			if err != nil || len(d.Items) != 19 || d.Items[5].Label != "场所环境卫生(三防设施)" {
				t.Fatalf("detail %v %+v", err, d)
			}
		})
		t.Run("Far", func(t *testing.T) {
			in := e.report("马鞍小吃")
			b := e.biz["马鞍小吃"]
			in.Location = &supervision.Location{Lat: *b.Latitude + 0.01, Lng: *b.Longitude}
			v := e.submit(t, visitDay, in)
			if !v.Far || v.DistanceM == nil || *v.DistanceM < 1100 || *v.DistanceM > 1120 {
				t.Fatalf("far %v %v", v.Far, v.DistanceM)
			}
			m, far, ok := e.svc.Distance(registry.Business{}, supervision.Location{Lat: 31, Lng: 120})
			if ok || far || m != 0 {
				t.Fatal("distance without coordinates")
			}
		})
		t.Run("Suspended", func(t *testing.T) {
			in := e.report("张舍副食店")
			in.StatusSeen = registry.EventSuspended
			in.StatusNote = "店主外出，停业两个月"
			e.submit(t, visitDay, in)
			b, _ := e.reg.Business(ctx, in.BusinessID)
			if b.Status != registry.StatusSuspended {
				t.Fatalf("status %s", b.Status)
			}
			hist, _ := e.reg.StatusHistory(ctx, b.ID)
			last := hist[len(hist)-1]
			if last.Kind != registry.EventSuspended || last.Actor != registry.ActorOf("cadre", e.c2.ID) || last.Source != registry.SourceChat || last.Note != in.StatusNote {
				t.Fatalf("history %+v", last)
			}
			tasks, _ := e.svc.Tasks(ctx, e.c2.ID)
			for _, tk := range tasks {
				if tk.BusinessID == b.ID {
					t.Fatal("suspended business in tasks")
				}
			}
			// Found open again at the next visit: resumed.
			e.clk.Set(visitDay.AddDate(0, 0, 2))
			e.submit(t, visitDay.AddDate(0, 0, 2), e.report("张舍副食店"))
			b, _ = e.reg.Business(ctx, in.BusinessID)
			if b.Status != registry.StatusOperating {
				t.Fatalf("status after normal visit %s", b.Status)
			}
		})
		t.Run("Relocated", func(t *testing.T) {
			in := e.report("张舍烧烤")
			in.StatusSeen = registry.EventRelocated
			in.StatusNote = "已搬至马鞍村新街12号"
			v := e.submit(t, visitDay, in)
			reqs, err := query.New(e.d).Relocations(ctx, e.town.Path, query.RelocationPending)
			if err != nil || len(reqs) != 1 || reqs[0].VisitID != v.ID || reqs[0].Status != supervision.RelocationPending || reqs[0].Note != in.StatusNote {
				t.Fatalf("requests %+v %v", reqs, err)
			}
			hist, _ := e.reg.StatusHistory(ctx, in.BusinessID)
			if last := hist[len(hist)-1]; last.Kind != registry.EventRelocated {
				t.Fatalf("history %+v", last)
			}
			approve := supervision.RelocationDecision{Approve: true, Address: "马鞍村新街12号", By: "manager:1"}
			if err := e.svc.DecideRelocationAudited(ctx, reqs[0].ID, approve); err != nil {
				t.Fatal(err)
			}
			reject := supervision.RelocationDecision{By: "manager:1"}
			if err := e.svc.DecideRelocationAudited(ctx, reqs[0].ID, reject); !errs.Is(err, errs.Conflict) {
				t.Fatalf("second decision: %v", err)
			}
		})
		t.Run("RelocatedWithoutLocation", func(t *testing.T) {
			// Reported from an online visit: no place to take coordinates from.
			in := e.report("马鞍面馆")
			in.Mode = supervision.ModeOnline
			in.StatusSeen = registry.EventRelocated
			in.StatusNote = "搬到马鞍村东街3号"
			e.submit(t, visitDay, in)
			reqs, err := query.New(e.d).Relocations(ctx, e.town.Path, query.RelocationPending)
			if err != nil || len(reqs) != 1 {
				t.Fatalf("requests %+v %v", reqs, err)
			}
			if err := e.svc.DecideRelocationAudited(ctx, reqs[0].ID, supervision.RelocationDecision{Approve: true, By: "manager:1"}); !errs.Is(err, errs.Invalid) {
				t.Fatalf("approved without an address: %v", err)
			}
			d := supervision.RelocationDecision{Approve: true, Address: "马鞍村东街3号", By: "manager:1"}
			if err := e.svc.DecideRelocationAudited(ctx, reqs[0].ID, d); err != nil {
				t.Fatal(err)
			}
			b, _ := e.reg.Business(ctx, in.BusinessID)
			if b.Address != d.Address || b.Latitude != nil || b.Longitude != nil || !b.LocatePending {
				t.Fatalf("after approval %q %v %v pending %v", b.Address, b.Latitude, b.Longitude, b.LocatePending)
			}
			// An online visit does not locate it; the next on-site one does.
			again := e.report("马鞍面馆")
			again.Mode = supervision.ModeOnline
			again.Location = &supervision.Location{Lat: 31.61, Lng: 120.11}
			e.submit(t, visitDay.AddDate(0, 0, 1), again)
			if b, _ = e.reg.Business(ctx, in.BusinessID); b.Latitude != nil {
				t.Fatalf("located by an online visit: %v", *b.Latitude)
			}
			onsite := e.report("马鞍面馆")
			onsite.Location = &supervision.Location{Lat: 31.62, Lng: 120.12, Label: "东街"}
			v := e.submit(t, visitDay.AddDate(0, 0, 2), onsite)
			b, _ = e.reg.Business(ctx, in.BusinessID)
			if b.Latitude == nil || *b.Latitude != 31.62 || *b.Longitude != 120.12 || b.LocatePending {
				t.Fatalf("after the on-site visit %v %v pending %v", b.Latitude, b.Longitude, b.LocatePending)
			}
			if v.DistanceM != nil {
				t.Errorf("distance %v from a place not yet known", *v.DistanceM)
			}
		})
	})
}

// TestSubmitStatements checks that a report's statements do not grow with
// its length: a 12-item report with one finding and one photo and a
// 30-item one with ten findings and twenty photos issue the same number.
func TestSubmitStatements(t *testing.T) {
	var yaml strings.Builder
	yaml.WriteString("items:\n")
	for i := range 30 {
		cat := "all"
		if i >= 12 {
			cat = "sales"
		}
		fmt.Fprintf(&yaml, "- {id: item%02d, label: 项目%d, categories: [%s]}\n", i, i, cat)
	}
	yaml.WriteString("quick: [item00, item01, item02, item03]\n")
	lists, err := supervision.LoadChecklists([]byte(yaml.String()))
	if err != nil {
		t.Fatal(err)
	}
	each(t, func(t *testing.T, e *env) {
		svc := supervision.NewService(e.d, e.reg, lists, supervision.DefaultRules(), e.clk)
		e.at(visitDay)
		n := statements(e.d)
		run := func(name string, findings, photos int) int64 {
			in := e.report(name)
			in.Check = supervision.CheckFull
			in.Items = nil
			for _, it := range lists.For(e.biz[name].Category) {
				in.Items = append(in.Items, supervision.ItemResult{ItemID: it.ID, Result: supervision.ResultOK})
			}
			for i := range findings {
				in.Items[i].Result = supervision.ResultIssue
				f := supervision.FindingInput{ItemID: in.Items[i].ItemID, Description: "问题"}
				for j := range photos / findings {
					f.Photos = append(f.Photos, supervision.PhotoInput{MediaID: fmt.Sprintf("%s-%d-%d", name, i, j)})
				}
				in.Findings = append(in.Findings, f)
			}
			in.Location = &supervision.Location{Lat: 31.5, Lng: 120.2}
			before := n.Load()
			if _, _, err := svc.Submit(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			return n.Load() - before
		}
		small := run("马鞍面馆", 1, 1)   // catering: 12 items
		large := run("马鞍超市", 10, 20) // sales: 30 items
		t.Logf("%s: statements per report: %d (12 items, 1 finding, 1 photo) and %d (30 items, 10 findings, 20 photos)", e.d.Engine(), small, large)
		if small != large {
			t.Fatalf("statements grow with the report: %d vs %d", small, large)
		}
		if count(t, e.d, "visit_items", "") != 42 || count(t, e.d, "findings", "") != 11 || count(t, e.d, "photos", "") != 21 || count(t, e.d, "rectifications", "") != 11 {
			t.Fatal("rows")
		}
	})
}

// TestSubmitConcurrent has 200 cadres report at once, each on the one
// business they pack, every report sent twice: exactly 200 visits, each
// item, finding and rectification stored once, and progress at 100 %.
func TestSubmitConcurrent(t *testing.T) {
	const n = 200
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := clock.NewFixed(registered)
		reg := registry.NewService(d, registry.Rules{}, clk)
		lists, _ := supervision.DefaultChecklists()
		svc := supervision.NewService(d, reg, lists, supervision.DefaultRules(), clk)
		var town, village *registry.Region
		var cadres []*registry.Cadre
		var bs []*registry.Business
		err := d.InTx(ctx, func(tx *gorm.DB) error {
			district, err := reg.EnsureDistrictTx(tx)
			if err != nil {
				return err
			}
			if town, err = reg.InsertRegionTx(tx, &district.ID, registry.LevelTown, "胡埭镇", ""); err != nil {
				return err
			}
			if village, err = reg.InsertRegionTx(tx, &town.ID, registry.LevelVillage, "马鞍村", ""); err != nil {
				return err
			}
			for i := range n {
				cadres = append(cadres, &registry.Cadre{Name: fmt.Sprintf("干部%03d", i), Level: registry.CadreVillage, RegionID: village.ID, WorkPhone: fmt.Sprintf("139%08d", i)})
				lat, lng := 31.5, 120.2
				lic := fmt.Sprintf("JY1320211%07d", i)
				bs = append(bs, &registry.Business{Name: fmt.Sprintf("小店%03d", i), LicenceNo: &lic, Category: registry.CategoryCatering,
					Grade: registry.GradeD, RegionID: village.ID, Latitude: &lat, Longitude: &lng})
			}
			if err := reg.InsertCadresTx(tx, cadres); err != nil {
				return err
			}
			if err := reg.InsertBusinessesTx(tx, bs, "test", registry.SourceImport); err != nil {
				return err
			}
			as := make([]*registry.Assignment, n)
			for i := range n {
				as[i] = &registry.Assignment{BusinessID: bs[i].ID, CadreID: cadres[i].ID, Actor: "test"}
			}
			return reg.InsertAssignmentsTx(tx, as)
		})
		if err != nil {
			t.Fatal(err)
		}
		clk.Set(visitDay)
		ins := make([]supervision.VisitInput, n)
		for i := range n {
			in := supervision.VisitInput{SubmissionKey: fmt.Sprintf("draft-%d", i), BusinessID: bs[i].ID, CadreID: cadres[i].ID,
				Mode: supervision.ModeOnsite, Check: supervision.CheckFull, Location: &supervision.Location{Lat: 31.5, Lng: 120.2}}
			for _, it := range lists.ForGrade(registry.CategoryCatering, registry.GradeD) {
				in.Items = append(in.Items, supervision.ItemResult{ItemID: it.ID, Result: supervision.ResultOK})
			}
			in.Items[0].Result = supervision.ResultIssue
			in.Findings = []supervision.FindingInput{{ItemID: in.Items[0].ItemID, Description: "证照过期",
				Photos: []supervision.PhotoInput{{MediaID: fmt.Sprintf("m%d", i)}}}}
			ins[i] = in
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		created := 0
		errc := make(chan error, 2*n)
		start := make(chan struct{})
		for i := range 2 * n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, c, err := svc.Submit(ctx, ins[i%n])
				if err != nil {
					errc <- err
					return
				}
				if c {
					mu.Lock()
					created++
					mu.Unlock()
				}
			}()
		}
		t0 := time.Now()
		close(start)
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Errorf("submit: %v", err)
		}
		t.Logf("%s: %d submissions of %d reports in %v", d.Engine(), 2*n, n, time.Since(t0).Round(time.Millisecond))
		items := int64(len(ins[0].Items))
		if created != n || count(t, d, "visits", "") != n || count(t, d, "visit_items", "") != n*items ||
			count(t, d, "findings", "") != n || count(t, d, "rectifications", "") != n || count(t, d, "photos", "") != n {
			t.Fatalf("created %d; rows: visits %d, items %d, findings %d, rectifications %d, photos %d", created,
				count(t, d, "visits", ""), count(t, d, "visit_items", ""), count(t, d, "findings", ""),
				count(t, d, "rectifications", ""), count(t, d, "photos", ""))
		}
		var dup int64
		d.Gorm(ctx).Raw("SELECT COUNT(*) FROM (SELECT business_id FROM visits GROUP BY business_id HAVING COUNT(*) > 1) x").Scan(&dup)
		if dup != 0 {
			t.Fatalf("%d businesses with more than one visit", dup)
		}
		p, err := query.New(d).WithRules(svc.ReadRules(), clk).Progress(ctx, town.Path)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total.Due != n || p.Total.Covered != n || p.Total.Percent != 100 || len(p.ByVillage) != 1 || len(p.ByCadre) != n {
			t.Fatalf("progress %+v", p.Total)
		}
		for _, r := range p.ByCadre {
			if r.Due != 1 || r.Covered != 1 {
				t.Fatalf("cadre row %+v", r)
			}
		}
	}, registry.Schema, audit.Schema, supervision.Schema)
}
