package notify_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/notify"
)

// heard records what the dispatcher reports.
type heard struct {
	mu       sync.Mutex
	sends    []string
	outcomes []string
}

func (h *heard) NotifySend(channel, errcode string, took time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if took < 0 {
		errcode += "(negative time)"
	}
	h.sends = append(h.sends, channel+" "+errcode)
}

func (h *heard) NotifyOutcome(outcome string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.outcomes = append(h.outcomes, outcome)
}

func TestObserverHearsSendsAndOutcomes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		h := &heard{}
		e.svc.Observe(h)
		e.enqueue(t, reminder(e.bind(1, "o-obs-1", nil), 1), reminder(e.bind(2, "o-obs-2", nil), 2),
			notify.Message{Kind: "digest.weekly", To: notify.Recipient{Kind: notify.ToGroup, Group: "没有机器人的群"}, Title: "周报"})
		e.fake.FailNext("/message/template/send", 40003, 1)
		e.dispatch(t, nil)
		slices.Sort(h.sends)
		slices.Sort(h.outcomes)
		// One template send was refused (40003, a bad openid), the other went;
		// the group has no robot: the call fails without a platform answer.
		if want := []string{"robot 0", "template ", "template 40003"}; !slices.Equal(h.sends, want) {
			t.Errorf("sends %q, want %q", h.sends, want)
		}
		if want := []string{"sent", "unreachable", "unreachable"}; !slices.Equal(h.outcomes, want) {
			t.Errorf("outcomes %q, want %q", h.outcomes, want)
		}
	})
}

func TestBacklog(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b, err := e.svc.Backlog(t.Context())
		if err != nil || len(b.Rows) != 0 || b.OldestDue != 0 || b.Quiet {
			t.Fatalf("empty outbox: %+v, %v", b, err)
		}
		e.enqueue(t, reminder(e.bind(1, "o-bl-1", nil), 1), reminder(e.bind(2, "o-bl-2", nil), 2),
			notify.Message{Kind: "digest.weekly", To: notify.Recipient{Kind: notify.ToGroup, Group: "没有机器人的群"}, Title: "周报"})
		e.clk.Advance(10 * time.Minute)
		b, err = e.svc.Backlog(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		want := []notify.BacklogRows{{Status: notify.StatusPending, Kind: "digest.weekly", N: 1}, {Status: notify.StatusPending, Kind: "reminder.due", N: 2}}
		if !slices.Equal(b.Rows, want) || b.OldestDue != 10*time.Minute {
			t.Fatalf("before dispatch: %+v, want rows %+v waiting 10m", b, want)
		}
		// Sent rows leave the backlog; the group without a robot is given up.
		e.dispatch(t, nil)
		b, err = e.svc.Backlog(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		want = []notify.BacklogRows{{Status: notify.StatusUnreachable, Kind: "digest.weekly", N: 1}}
		if !slices.Equal(b.Rows, want) || b.OldestDue != 0 {
			t.Fatalf("after dispatch: %+v, want rows %+v, nothing due", b, want)
		}
		// 23:00 China time is quiet.
		e.clk.Advance(13 * time.Hour)
		if b, err = e.svc.Backlog(t.Context()); err != nil || !b.Quiet {
			t.Fatalf("at 23:00: %+v, %v; want quiet hours", b, err)
		}
	})
}
