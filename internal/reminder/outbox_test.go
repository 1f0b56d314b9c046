package reminder_test

import (
	"context"
	"testing"

	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/reminder"
)

// testRealOutbox runs the scheduler into notify's outbox: two instances
// at once, then a day later, and the outbox holds each notification once.
func testRealOutbox(t *testing.T, w *district) {
	ctx := context.Background()
	d := w.d
	outbox := notify.NewService(d, w.store, nil, notify.Senders{}, notify.Config{}, w.clk, nil)
	planned, err := w.planner.Plan(ctx, weekBefore)
	if err != nil {
		t.Fatal(err)
	}
	sched := func() *reminder.Scheduler {
		return &reminder.Scheduler{Planner: w.planner, Enqueuer: outbox, KV: w.store, Clock: w.clk}
	}
	results := make(chan reminder.Result, 2)
	for range 2 {
		go func() {
			r, err := sched().RunOnce(ctx, weekBefore)
			if err != nil {
				t.Error(err)
			}
			results <- r
		}()
	}
	enqueued := 0
	for range 2 {
		r := <-results
		enqueued += r.Enqueued
	}
	rows := func() int64 {
		var n int64
		if err := d.Gorm(ctx).Table("outbox").Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	if enqueued != len(planned) || rows() != int64(len(planned)) {
		t.Fatalf("planned %d, enqueued %d, outbox holds %d", len(planned), enqueued, rows())
	}
	// A day later the stage is the same: only new rectification
	// reminders are added.
	next, err := w.planner.Plan(ctx, weekBefore.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	fresh := 0
	seen := map[string]bool{}
	for _, m := range planned {
		seen[m.Key()] = true
	}
	for _, m := range next {
		if !seen[m.Key()] {
			fresh++
		}
	}
	r, err := sched().RunOnce(ctx, weekBefore.AddDate(0, 0, 1))
	if err != nil || r.Enqueued != fresh || rows() != int64(len(planned)+fresh) {
		t.Fatalf("next day: %+v %v; %d new keys, outbox holds %d", r, err, fresh, rows())
	}
}
