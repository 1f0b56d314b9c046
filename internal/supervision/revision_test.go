package supervision_test

import (
	"context"
	"testing"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/supervision"
)

func TestRevise(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		in := withIssue(e.report("马鞍面馆"), "staff_health", "m-health")
		in = withIssue(in, "premises_hygiene", "m-floor")
		orig := e.submit(t, visitDay, in)
		before, _ := e.svc.Visit(ctx, orig.ID)
		kept, dropped := before.Findings[0], before.Findings[1] // staff_health stays, premises_hygiene goes
		if kept.ItemID != "staff_health" {
			t.Fatalf("findings %+v", before.Findings)
		}
		progress, _ := e.read(e.svc).Progress(ctx, e.town.Path)

		t.Run("ErrNoReason", func(t *testing.T) {
			if _, err := e.svc.Revise(ctx, orig.ID, "manager:1", "  ", nil); !errs.Is(err, errs.Invalid) {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("ErrFixedFields", func(t *testing.T) {
			_, err := e.svc.Revise(ctx, orig.ID, "manager:1", "改主体", func(in *supervision.VisitInput) { in.BusinessID = e.biz["马鞍超市"].ID })
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("err = %v", err)
			}
		})

		// A week later the deadline of the kept finding has passed; the
		// revision may keep it.
		e.at(visitDay.AddDate(0, 0, 8))
		rev, err := e.svc.Revise(ctx, orig.ID, "manager:1", "现场联系人记录有误；地面问题已当场纠正", func(in *supervision.VisitInput) {
			in.ContactName = "李老板"
			for i := range in.Items {
				if in.Items[i].ItemID == "premises_hygiene" {
					in.Items[i].Result = supervision.ResultOK
				}
			}
			in.Findings = in.Findings[:1]
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("NewRevision", func(t *testing.T) {
			if rev.Revision != 2 || !rev.Current || rev.SupersedesID == nil || *rev.SupersedesID != orig.ID || rev.RevisedBy != "manager:1" ||
				rev.RevisionReason == "" || !rev.SubmittedAt.Equal(orig.SubmittedAt) || rev.CycleKey != orig.CycleKey {
				t.Fatalf("revision %+v", rev)
			}
			old, _ := e.svc.Visit(ctx, orig.ID)
			if old.Current || old.ContactName != "店长" || len(old.Findings) != 2 {
				t.Fatalf("old %+v", old.Visit)
			}
			d, _ := e.svc.Visit(ctx, rev.ID)
			if d.ContactName != "李老板" || len(d.Findings) != 1 || d.Findings[0].RectificationID != kept.RectificationID ||
				!d.Findings[0].Deadline.Equal(kept.Deadline) || len(d.Photos) != 1 || d.Photos[0].MediaID != "m-health" {
				t.Fatalf("revised detail %+v %+v", d.Findings, d.Photos)
			}
		})
		t.Run("Rectifications", func(t *testing.T) {
			open, _ := e.svc.OpenRectifications(ctx, e.c1.ID)
			if len(open) != 1 || open[0].ID != kept.RectificationID || open[0].DaysLeft != -1 {
				t.Fatalf("open %+v", open)
			}
			hist, _ := e.svc.RectificationHistory(ctx, dropped.RectificationID)
			if len(hist) != 1 || hist[0].Kind != supervision.EventWithdrawn {
				t.Fatalf("withdrawn history %+v", hist)
			}
		})
		t.Run("CoverageUnchanged", func(t *testing.T) {
			e.at(visitDay)
			after, _ := e.read(e.svc).Progress(ctx, e.town.Path)
			if after.Total != progress.Total {
				t.Fatalf("progress %+v → %+v", progress.Total, after.Total)
			}
			if n := count(t, e.d, "visits", "business_id = ? AND is_current = ?", orig.BusinessID, true); n != 1 {
				t.Fatalf("%d current", n)
			}
			recent, _ := e.svc.RecentVisits(ctx, e.c1.ID, 10)
			if len(recent) != 1 || recent[0].ID != rev.ID || recent[0].Revision != 2 {
				t.Fatalf("recent %+v", recent)
			}
		})
		t.Run("ErrSuperseded", func(t *testing.T) {
			if _, err := e.svc.Revise(ctx, orig.ID, "manager:1", "再改", nil); !errs.Is(err, errs.Conflict) {
				t.Fatalf("err = %v", err)
			}
			if _, err := e.svc.Revise(ctx, 12345, "manager:1", "再改", nil); !errs.Is(err, errs.NotFound) {
				t.Fatalf("unknown: %v", err)
			}
			third, err := e.svc.Revise(ctx, rev.ID, "cadre:1", "补充备注", func(in *supervision.VisitInput) { in.Remarks = "已发放知晓卡" })
			if err != nil || third.Revision != 3 {
				t.Fatalf("third %+v %v", third, err)
			}
		})
	})
}
