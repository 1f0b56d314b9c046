package reminder

import (
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/notify"
)

// Observer hears what the scheduler does, for metrics.
type Observer interface {
	// ReminderLeader is true when this instance takes the leader lease
	// for a run and false when it gives it up.
	ReminderLeader(held bool)
	// RemindersPlanned is how many messages of kind a run found due.
	RemindersPlanned(kind string, n int)
	// RemindersEnqueued is how many of them were new to the outbox.
	RemindersEnqueued(n int)
	// ReminderDayDone is the due time of a day's run known to be done,
	// by this instance or (read from kv) by another.
	ReminderDayDone(due time.Time)
}

func (s *Scheduler) leader(held bool) {
	if s.Observer != nil {
		s.Observer.ReminderLeader(held)
	}
}

// planned reports msgs by kind; kinds are the planner's and its sources'
// constants, a handful.
func (s *Scheduler) planned(msgs []notify.Message) {
	if s.Observer == nil {
		return
	}
	byKind := map[string]int{}
	for _, m := range msgs {
		byKind[m.Kind]++
	}
	for kind, n := range byKind {
		s.Observer.RemindersPlanned(kind, n)
	}
}

func (s *Scheduler) enqueued(n int) {
	if s.Observer != nil && n > 0 {
		s.Observer.RemindersEnqueued(n)
	}
}

// dayDone reports the day slot ("2006-01-02", China time) done, as the
// time its run was due.
func (s *Scheduler) dayDone(slot string) {
	if s.Observer == nil {
		return
	}
	day, err := time.ParseInLocation(time.DateOnly, slot, clock.China)
	if err == nil {
		s.Observer.ReminderDayDone(day.Add(s.at()))
	}
}
