package notify_test

import (
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/notify"
)

// TestPrune: finished notifications older than the retention go, in
// batches; newer ones and anything still to send stay; a retention too
// short to keep idempotency keys alive is refused.
func TestPrune(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		to := e.bind(7, "openid-prune", nil)
		for i := range 5 {
			e.enqueue(t, reminder(to, i))
		}
		if sent, _, _ := e.dispatch(t, e.svc); sent != 5 {
			t.Fatalf("sent %d, want 5", sent)
		}
		if err := e.d.Gorm(t.Context()).Exec("UPDATE outbox SET status = ? WHERE subject = ?", notify.StatusDead, "business:4").Error; err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(30 * 24 * time.Hour)
		e.enqueue(t, reminder(to, 10)) // pending, and newer
		if _, err := e.svc.Prune(t.Context(), 10*24*time.Hour, 0); err == nil {
			t.Fatal("a 10-day retention was accepted")
		}
		if n, err := e.svc.Prune(t.Context(), notify.MinRetention, 0); err != nil || n != 0 {
			t.Fatalf("30 days on: pruned %d, %v; want nothing", n, err)
		}
		e.clk.Advance(31 * 24 * time.Hour)
		if n, err := e.svc.Prune(t.Context(), notify.MinRetention, 2); err != nil || n != 2 {
			t.Fatalf("61 days on, at most 2: pruned %d, %v", n, err)
		}
		if n, err := e.svc.Prune(t.Context(), notify.MinRetention, 0); err != nil || n != 3 {
			t.Fatalf("61 days on: pruned %d, %v; want the other 3 (the dead one too)", n, err)
		}
		left := e.all(t)
		if len(left) != 1 || left[0].Subject != "business:10" || left[0].Status != notify.StatusPending {
			t.Fatalf("left %+v, want only the pending one", left)
		}
	})
}
