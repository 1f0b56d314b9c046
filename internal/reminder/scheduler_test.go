package reminder_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/reminder"
)

// testSchedulers runs the scheduler tests against every kv store.
func testSchedulers(t *testing.T, w *district) {
	for name, store := range stores(t) {
		t.Run(name, func(t *testing.T) {
			prefix := randomPrefix()
			t.Cleanup(func() { store.Delete(context.Background(), prefix+"leader", prefix+"done") })
			sched := func(o *outbox) *reminder.Scheduler {
				return &reminder.Scheduler{Planner: w.planner, Enqueuer: o, KV: store, Clock: w.clk, KeyPrefix: prefix}
			}
			testScheduler(t, w, store, prefix, sched)
		})
	}
}

func testScheduler(t *testing.T, w *district, store kv.Store, prefix string, sched func(*outbox) *reminder.Scheduler) {
	ctx := context.Background()
	planned, err := w.planner.Plan(ctx, weekBefore)
	if err != nil {
		t.Fatal(err)
	}

	// Two instances at once: one plans, the other sees the leader lock
	// and leaves it; nothing is queued twice.
	t.Run("TwoInstancesAtOnce", func(t *testing.T) {
		o := newOutbox()
		o.block = make(chan struct{})
		a, b := sched(o), sched(o)
		results := make(chan reminder.Result, 2)
		errc := make(chan error, 2)
		for _, s := range []*reminder.Scheduler{a, b} {
			go func() {
				r, err := s.RunOnce(ctx, weekBefore)
				results <- r
				errc <- err
			}()
		}
		first := <-results
		if err := <-errc; err != nil || !first.Skipped {
			t.Fatalf("first to return: %+v %v", first, err)
		}
		close(o.block)
		second := <-results
		if err := <-errc; err != nil || second.Skipped || second.Planned != len(planned) || second.Enqueued != len(planned) {
			t.Fatalf("leader: %+v %v (planned %d)", second, err, len(planned))
		}
		if o.len() != len(planned) || o.repeats != 0 {
			t.Fatalf("outbox holds %d, %d repeats", o.len(), o.repeats)
		}
		// Planning again later queues nothing new.
		again, err := a.RunOnce(ctx, weekBefore.Add(time.Hour))
		if err != nil || again.Enqueued != 0 || o.len() != len(planned) {
			t.Fatalf("again: %+v %v", again, err)
		}
	})

	t.Run("CheckOncePerDay", func(t *testing.T) {
		o := newOutbox()
		s := sched(o)
		w.clk.Set(weekBefore)
		r, err := s.Check(ctx)
		if err != nil || r.Skipped || r.Enqueued != len(planned) {
			t.Fatalf("first check: %+v %v", r, err)
		}
		calls := o.calls
		for _, at := range []time.Time{weekBefore.Add(15 * time.Minute), china(2026, 12, 25, 7, 0)} {
			w.clk.Set(at)
			if r, err := s.Check(ctx); err != nil || !r.Skipped || o.calls != calls {
				t.Fatalf("check at %s: %+v %v", at, r, err)
			}
		}
		// The next day's run at 08:30 queues only what is new that day.
		w.clk.Set(china(2026, 12, 25, 8, 31))
		r, err = s.Check(ctx)
		if err != nil || r.Skipped || r.Enqueued >= r.Planned || o.repeats == 0 {
			t.Fatalf("next day: %+v %v, %d repeats", r, err, o.repeats)
		}
	})

	// A run cut short (a crash after half the messages) leaves the day
	// unfinished; the next check, on another instance, queues the rest:
	// nothing lost, nothing twice.
	t.Run("RestartMidRun", func(t *testing.T) {
		store.Delete(ctx, prefix+"done")
		o := newOutbox()
		o.failAfter = len(planned) / 2
		w.clk.Set(weekBefore)
		if _, err := sched(o).Check(ctx); err == nil {
			t.Fatal("crashed run reported no error")
		}
		if o.len() != len(planned)/2 {
			t.Fatalf("%d queued before the crash", o.len())
		}
		o.failAfter = 0
		r, err := sched(o).Check(ctx)
		if err != nil || r.Skipped || r.Enqueued != len(planned)-len(planned)/2 {
			t.Fatalf("after restart: %+v %v", r, err)
		}
		if o.len() != len(planned) {
			t.Fatalf("outbox holds %d of %d", o.len(), len(planned))
		}
	})

	// The leader renews its lease while it works, so a slow run is never
	// joined by a second planner.
	t.Run("LeaseRenewed", func(t *testing.T) {
		o := newOutbox()
		o.block = make(chan struct{})
		slow := sched(o)
		slow.LeaderTTL = 600 * time.Millisecond
		done := make(chan error, 1)
		go func() {
			_, err := slow.RunOnce(ctx, weekBefore)
			done <- err
		}()
		time.Sleep(1500 * time.Millisecond)
		if r, err := sched(newOutbox()).RunOnce(ctx, weekBefore); err != nil || !r.Skipped {
			t.Fatalf("second planner during a slow run: %+v %v", r, err)
		}
		close(o.block)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if _, err := store.Get(ctx, prefix+"leader"); !errors.Is(err, kv.ErrMiss) {
			t.Fatalf("leader lock not released: %v", err)
		}
	})

	t.Run("Observed", func(t *testing.T) { testObserved(t, w, store, prefix, sched, len(planned)) })

	t.Run("Run", func(t *testing.T) {
		store.Delete(ctx, prefix+"done")
		o := newOutbox()
		s := sched(o)
		w.clk.Set(weekBefore)
		runCtx, cancel := context.WithCancel(ctx)
		stopped := make(chan error, 1)
		go func() { stopped <- s.Run(runCtx) }()
		deadline := time.Now().Add(10 * time.Second)
		for o.len() < len(planned) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if err := <-stopped; err != nil || o.len() != len(planned) {
			t.Fatalf("Run: %v, %d of %d queued", err, o.len(), len(planned))
		}
		bad := &reminder.Scheduler{Planner: w.planner, Enqueuer: o, KV: store, Spec: "every day"}
		if err := bad.Run(ctx); err == nil {
			t.Fatal("bad schedule accepted")
		}
	})
}
