package reminder_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/reminder"
)

// watcher records what a scheduler reports.
type watcher struct {
	mu       sync.Mutex
	leader   []bool
	planned  map[string]int
	enqueued int
	dayDone  time.Time
	// took is told when the leader lease is taken.
	took chan struct{}
}

func (w *watcher) ReminderLeader(held bool) {
	w.mu.Lock()
	w.leader = append(w.leader, held)
	w.mu.Unlock()
	if held && w.took != nil {
		w.took <- struct{}{}
	}
}

func (w *watcher) RemindersPlanned(kind string, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.planned[kind] += n
}

func (w *watcher) RemindersEnqueued(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.enqueued += n
}

func (w *watcher) ReminderDayDone(due time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dayDone = due
}

func testObserved(t *testing.T, w *district, store kv.Store, prefix string, sched func(*outbox) *reminder.Scheduler, planned int) {
	ctx := context.Background()
	store.Delete(ctx, prefix+"done")
	o := newOutbox()
	o.block = make(chan struct{})
	s := sched(o)
	obs := &watcher{planned: map[string]int{}, took: make(chan struct{}, 1)}
	s.Observer = obs
	w.clk.Set(weekBefore)
	done := make(chan error, 1)
	go func() {
		_, err := s.Check(ctx)
		done <- err
	}()
	// While the run is held in Enqueue, this instance is the leader.
	<-obs.took
	obs.mu.Lock()
	if len(obs.leader) != 1 || !obs.leader[0] {
		t.Errorf("leader during the run: %v", obs.leader)
	}
	obs.mu.Unlock()
	close(o.block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.leader) != 2 || obs.leader[1] {
		t.Errorf("leader after the run: %v", obs.leader)
	}
	sum := 0
	for kind, n := range obs.planned {
		if kind == "" || n <= 0 {
			t.Errorf("planned %d of kind %q", n, kind)
		}
		sum += n
	}
	if sum != planned || obs.enqueued != planned || obs.planned[reminder.KindDue] == 0 {
		t.Errorf("planned %v (%d), enqueued %d; want %d of them", obs.planned, sum, obs.enqueued, planned)
	}
	// The day's run was due at 08:30 China time on the day of the check.
	if want := china(2026, 12, 24, 8, 30); !obs.dayDone.Equal(want) {
		t.Errorf("day done %s, want %s", obs.dayDone, want)
	}

	// Another instance checking later learns from kv that the day is done.
	other := &watcher{planned: map[string]int{}}
	s2 := sched(newOutbox())
	s2.Observer = other
	w.clk.Set(weekBefore.Add(time.Hour))
	if r, err := s2.Check(ctx); err != nil || !r.Skipped {
		t.Fatalf("second check: %+v %v", r, err)
	}
	if want := china(2026, 12, 24, 8, 30); !other.dayDone.Equal(want) || len(other.leader) != 0 {
		t.Errorf("other instance: day done %s (want %s), leader %v", other.dayDone, want, other.leader)
	}
}
