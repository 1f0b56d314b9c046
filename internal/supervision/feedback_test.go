package supervision_test

import (
	"context"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/supervision"
)

func TestFeedbackTx(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		in := withIssue(e.report("马鞍面馆"), "staff_health", "m1")
		in = withIssue(in, "premises_hygiene", "m2")
		e.submit(t, day(2026, 11, 10, 9, 0), in)
		open, err := e.svc.OpenRectifications(ctx, e.c1.ID)
		if err != nil || len(open) != 2 {
			t.Fatalf("open %+v %v", open, err)
		}
		if err := e.svc.Recheck(ctx, open[1].ID, e.c1.ID, supervision.RecheckInput{Rectified: true, Note: "已整改"}); err != nil {
			t.Fatal(err)
		}
		stored := media.Object{Key: strings.Repeat("b", 64) + ".png", SHA256: strings.Repeat("b", 64), ContentType: "image/png", Size: 42}
		fb := supervision.Feedback{Note: " 健康证已办理 ", Photos: []supervision.PhotoInput{{MediaID: "wx-1"}}, Stored: []media.Object{stored}, Actor: "contact:9"}

		var got []int64
		err = e.d.InTx(ctx, func(tx *gorm.DB) error {
			got, err = e.svc.FeedbackTx(tx, []int64{open[0].ID, open[1].ID, 999_999}, fb)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] != open[0].ID {
			t.Fatalf("feedback went to %v, want only the open rectification %d", got, open[0].ID)
		}
		hist, _ := e.svc.RectificationHistory(ctx, open[0].ID)
		if len(hist) != 1 || hist[0].Kind != supervision.EventFeedback || hist[0].Note != "健康证已办理" || hist[0].Actor != "contact:9" {
			t.Fatalf("history %+v", hist)
		}
		if n := count(t, e.d, "photos", "rectification_event_id = ? AND status = ?", hist[0].ID, supervision.PhotoPending); n != 1 {
			t.Fatalf("%d pending photos", n)
		}
		if n := count(t, e.d, "photos", "rectification_event_id = ? AND status = ? AND path = ? AND sha256 = ?", hist[0].ID, supervision.PhotoStored, stored.Key, stored.SHA256); n != 1 {
			t.Fatalf("%d stored photos", n)
		}

		t.Run("ErrInvalid", func(t *testing.T) {
			for name, f := range map[string]supervision.Feedback{
				"long":     {Note: strings.Repeat("长", 501), Actor: "contact:9"},
				"no actor": {Note: "x"},
				"bad key":  {Stored: []media.Object{{Key: "../x"}}, Actor: "contact:9"},
			} {
				err := e.d.InTx(ctx, func(tx *gorm.DB) error {
					_, err := e.svc.FeedbackTx(tx, []int64{open[0].ID}, f)
					return err
				})
				if !errs.Is(err, errs.Invalid) {
					t.Errorf("%s: err = %v", name, err)
				}
			}
		})
	})
}
