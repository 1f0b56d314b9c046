package supervision_test

import (
	"context"
	"testing"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

func TestRecheck(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		in := withIssue(e.report("马鞍面馆"), "staff_health", "m1")
		in = withIssue(in, "premises_hygiene", "m2")
		e.submit(t, day(2026, 11, 10, 9, 0), in)
		e.submit(t, day(2026, 11, 12, 9, 0), withIssue(e.report("马鞍超市"), "purchase_inspection", "m3"))
		e.submit(t, day(2026, 11, 12, 9, 0), withIssue(e.report("张舍烧烤"), "staff_health", "m4"))
		e.at(visitDay)

		open, err := e.svc.OpenRectifications(ctx, e.c1.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Deadlines 17, 17 and 19 November: two overdue by three days.
		if len(open) != 3 || open[0].DaysLeft != -3 || open[2].DaysLeft != -1 || open[2].BusinessName != "马鞍超市" ||
			open[2].ItemLabel != "采购验收贮存" || open[0].Description == "" {
			t.Fatalf("open %+v", open)
		}

		t.Run("ErrWrongCadre", func(t *testing.T) {
			err := e.svc.Recheck(ctx, open[0].ID, e.c2.ID, supervision.RecheckInput{Rectified: true, Note: "已整改"})
			if !errs.Is(err, errs.Forbidden) {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("ErrNoEvidence", func(t *testing.T) {
			if err := e.svc.Recheck(ctx, open[0].ID, e.c1.ID, supervision.RecheckInput{Rectified: true}); !errs.Is(err, errs.Invalid) {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("Rectified", func(t *testing.T) {
			err := e.svc.Recheck(ctx, open[0].ID, e.c1.ID, supervision.RecheckInput{Rectified: true,
				Photos: []supervision.PhotoInput{{MediaID: "after-1"}, {MediaID: "after-2"}}})
			if err != nil {
				t.Fatal(err)
			}
			hist, _ := e.svc.RectificationHistory(ctx, open[0].ID)
			if len(hist) != 1 || hist[0].Kind != supervision.EventRectified || hist[0].Actor != registry.ActorOf("cadre", e.c1.ID) {
				t.Fatalf("history %+v", hist)
			}
			if n := count(t, e.d, "photos", "rectification_event_id = ? AND status = ?", hist[0].ID, supervision.PhotoPending); n != 2 {
				t.Fatalf("%d photos", n)
			}
			if err := e.svc.Recheck(ctx, open[0].ID, e.c1.ID, supervision.RecheckInput{Rectified: true, Note: "again"}); !errs.Is(err, errs.Conflict) {
				t.Fatalf("again: %v", err)
			}
		})
		t.Run("Extended", func(t *testing.T) {
			id := open[1].ID
			bad := []supervision.RecheckInput{
				{NewDeadline: day(2026, 11, 30, 0, 0)},                  // no reason
				{Reason: "设备未到", NewDeadline: day(2026, 11, 16, 0, 0)},  // earlier than the deadline
				{Reason: "设备未到", NewDeadline: day(2026, 11, 18, 12, 0)}, // later, but already past
			}
			for i, in := range bad {
				if err := e.svc.Recheck(ctx, id, e.c1.ID, in); !errs.Is(err, errs.Invalid) {
					t.Errorf("%d: err = %v", i, err)
				}
			}
			if err := e.svc.Recheck(ctx, id, e.c1.ID, supervision.RecheckInput{Reason: "消毒柜在安装", NewDeadline: day(2026, 11, 30, 15, 0)}); err != nil {
				t.Fatal(err)
			}
			after, _ := e.svc.OpenRectifications(ctx, e.c1.ID)
			if len(after) != 2 || after[1].ID != id || !after[1].Deadline.Equal(day(2026, 11, 30, 0, 0)) || after[1].DaysLeft != 10 {
				t.Fatalf("after %+v", after)
			}
			hist, _ := e.svc.RectificationHistory(ctx, id)
			if len(hist) != 1 || hist[0].Kind != supervision.EventExtended || hist[0].Note != "消毒柜在安装" || hist[0].NewDeadline == nil {
				t.Fatalf("history %+v", hist)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			if err := e.svc.Recheck(ctx, 999, e.c1.ID, supervision.RecheckInput{Rectified: true, Note: "x"}); !errs.Is(err, errs.NotFound) {
				t.Fatalf("err = %v", err)
			}
		})
	})
}
