package notify_test

import (
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/notify"
)

// TestAwakeKinds: a kind quiet hours do not hold (an answer to what the
// user has just done) is due at once at night and sent, while a reminder
// queued beside it still waits for the morning.
func TestAwakeKinds(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.reconfigure(func(c *notify.Config) { c.Awake = []string{"visit.confirmed"} })
		night := time.Date(2026, 11, 28, 23, 0, 0, 0, clock.China)
		e.clk.Set(night)
		last := night.Add(-time.Minute)
		to := e.bind(7, "o-awake", &last)
		held := reminder(to, 7)
		now := notify.Message{Kind: "visit.confirmed", To: to, Channel: notify.ChannelCustom, Subject: "visit:7",
			Title: "网页督导已提交", Text: "您在网页上填写的督导已收到。"}
		e.enqueue(t, held, now)
		if sent, retried, gaveUp := e.dispatch(t, nil); sent != 1 || retried+gaveUp != 0 {
			t.Fatalf("dispatched at 23:00: sent %d, retried %d, gave up %d; want the confirmation alone", sent, retried, gaveUp)
		}
		if n := find(t, e, now.Key()); n.Status != notify.StatusSent || n.SentVia != notify.ChannelCustom {
			t.Errorf("confirmation: %s via %s", n.Status, n.SentVia)
		}
		if n := find(t, e, held.Key()); n.Status != notify.StatusPending || n.Attempts != 0 {
			t.Errorf("reminder at night: %s after %d attempts, want held", n.Status, n.Attempts)
		}
	})
}
