package notify

import (
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
)

// quietHours is a daily period, in China time, when nothing is pushed.
type quietHours struct {
	on         bool
	start, end time.Duration // since midnight
}

// parseQuiet reads "HH:MM" bounds; both empty turns quiet hours off.
func parseQuiet(start, end string) (quietHours, error) {
	if start == "" && end == "" {
		return quietHours{}, nil
	}
	s, err1 := time.Parse("15:04", start)
	e, err2 := time.Parse("15:04", end)
	if err1 != nil || err2 != nil || s.Equal(e) {
		return quietHours{}, fmt.Errorf("notify: quiet hours %q–%q are not two different HH:MM times", start, end)
	}
	since := func(t time.Time) time.Duration {
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	}
	return quietHours{on: true, start: since(s), end: since(e)}, nil
}

// until reports whether t falls inside quiet hours and, if so, when they end.
func (q quietHours) until(t time.Time) (time.Time, bool) {
	if !q.on {
		return time.Time{}, false
	}
	local := t.In(clock.China)
	y, m, d := local.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, clock.China)
	tod := local.Sub(midnight)
	switch {
	case q.start < q.end && tod >= q.start && tod < q.end:
		return midnight.Add(q.end), true
	case q.start > q.end && tod >= q.start:
		// Spans midnight, evening side: ends tomorrow.
		return time.Date(y, m, d+1, 0, 0, 0, 0, clock.China).Add(q.end), true
	case q.start > q.end && tod < q.end:
		return midnight.Add(q.end), true
	}
	return time.Time{}, false
}

// after returns t, or the end of the quiet hours t falls in: the earliest
// time a message due at t may go.
func (q quietHours) after(t time.Time) time.Time {
	if end, quiet := q.until(t); quiet {
		return end
	}
	return t
}

// quietAfter is when a message due at t may go: t itself when it is urgent
// (quiet hours hold back routine pushes, not an incident at night), else
// after the quiet hours.
func (s *Service) quietAfter(urgent bool, t time.Time) time.Time {
	if urgent {
		return t
	}
	return s.quiet.after(t)
}
