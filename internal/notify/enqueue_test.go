package notify_test

import (
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/notify"
)

func TestEnqueue(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		to := notify.Recipient{Kind: notify.ToCadre, ID: 7}
		t.Run("OK", func(t *testing.T) {
			if n := e.enqueue(t, reminder(to, 1)); n != 1 {
				t.Fatalf("created %d, want 1", n)
			}
			n := e.only(t)
			if n.Status != notify.StatusPending || n.Channel != notify.ChannelTemplate || n.To != to ||
				n.Key != reminder(to, 1).Key() || n.Fields["due"] != "12月31日" || !n.NextAttemptAt.Equal(start) {
				t.Fatalf("row = %+v", n)
			}
		})
		t.Run("Twice", func(t *testing.T) {
			if n := e.enqueue(t, reminder(to, 1)); n != 0 {
				t.Fatalf("second enqueue created %d, want 0", n)
			}
			if n := countRows(t, e.d); n != 1 {
				t.Fatalf("%d rows, want 1", n)
			}
		})
		t.Run("DuplicateInOneCall", func(t *testing.T) {
			if n := e.enqueue(t, reminder(to, 2), reminder(to, 2), reminder(to, 1), reminder(to, 3)); n != 2 {
				t.Fatalf("created %d, want 2", n)
			}
			if n := countRows(t, e.d); n != 3 {
				t.Fatalf("%d rows, want 3", n)
			}
		})
		t.Run("RolledBack", func(t *testing.T) {
			boom := errors.New("the visit failed to save")
			err := e.d.InTx(t.Context(), func(tx *gorm.DB) error {
				if n, err := e.svc.EnqueueTx(tx, reminder(to, 4)); err != nil || n != 1 {
					t.Fatalf("EnqueueTx = %d, %v", n, err)
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("InTx = %v", err)
			}
			if n := countRows(t, e.d); n != 3 {
				t.Fatalf("%d rows after rollback, want 3", n)
			}
		})
		t.Run("Invalid", func(t *testing.T) {
			bad := []notify.Message{
				{To: to},
				{Kind: "reminder.due"},
				{Kind: "digest.weekly", To: notify.Recipient{Kind: notify.ToGroup, Group: "胡埭"}, Channel: notify.ChannelTemplate},
				{Kind: "reminder.due", To: to, Channel: notify.ChannelRobot},
				{Kind: "reminder.due", To: notify.Recipient{Kind: notify.ToManager}},
			}
			for i, m := range bad {
				if _, err := e.svc.Enqueue(t.Context(), reminder(to, 10+i), m); err == nil {
					t.Errorf("message %d accepted: %+v", i, m)
				}
			}
			if n := countRows(t, e.d); n != 3 {
				t.Fatalf("%d rows, want 3: a bad message must write nothing", n)
			}
		})
		t.Run("NotBefore", func(t *testing.T) {
			m := reminder(to, 20)
			m.NotBefore = start.Add(2 * time.Hour)
			e.enqueue(t, m)
			if got := find(t, e, m.Key()); !got.NextAttemptAt.Equal(m.NotBefore) {
				t.Fatalf("next attempt %s, want %s", got.NextAttemptAt, m.NotBefore)
			}
		})
		t.Run("DuringQuietHours", func(t *testing.T) {
			m := reminder(to, 21)
			m.NotBefore = time.Date(2026, 11, 28, 23, 15, 0, 0, clock.China)
			e.enqueue(t, m)
			want := time.Date(2026, 11, 29, 7, 30, 0, 0, clock.China)
			if got := find(t, e, m.Key()); !got.NextAttemptAt.Equal(want) {
				t.Fatalf("next attempt %s, want %s (end of quiet hours)", got.NextAttemptAt.In(clock.China), want)
			}
		})
	})
}

// find returns the notification with the idempotency key.
func find(t *testing.T, e *env, key string) notify.Notification {
	t.Helper()
	for _, n := range e.all(t) {
		if n.Key == key {
			return n
		}
	}
	t.Fatalf("no notification with key %s", key)
	return notify.Notification{}
}
