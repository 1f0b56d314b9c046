package notify

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shianbao/shianbao/internal/db"
)

// Observer hears what the dispatcher does, for metrics. Its labels come
// from fixed sets: channels, the platform's error codes, outcome names.
type Observer interface {
	// NotifySend is one call to the platform on channel and how long it
	// took; errcode is "" when the platform accepted the message, else its
	// errcode ("0" when the call got no answer: a timeout, a network
	// failure, a group without a robot).
	NotifySend(channel, errcode string, took time.Duration)
	// NotifyOutcome is what one attempt at a row came to: "sent",
	// "retried", "throttled", "deferred", "unreachable" or "dead".
	NotifyOutcome(outcome string)
}

// Observe makes the dispatcher report to o. Call it before Run.
func (s *Service) Observe(o Observer) { s.obs = o }

var outcomeNames = map[outcomeKind]string{
	outcomeSent: "sent", outcomeRetry: "retried", outcomeThrottled: "throttled", outcomeDeferred: "deferred",
	outcomeUnreachable: "unreachable", outcomeDead: "dead",
}

// observeSend reports one call on ch that took took and returned err.
func (s *Service) observeSend(ch Channel, took time.Duration, err error) {
	if s.obs == nil {
		return
	}
	code := ""
	if err != nil {
		code = strconv.Itoa(asSendError(err).Code)
	}
	s.obs.NotifySend(string(ch), code, took)
}

// observeOutcome reports an attempt's outcome as recorded.
func (s *Service) observeOutcome(kind outcomeKind) {
	if name, ok := outcomeNames[kind]; ok && s.obs != nil {
		s.obs.NotifyOutcome(name)
	}
}

// Backlog is the outbox's state for metrics: the rows not sent yet or given
// up, by status and kind, the age of the oldest row that is due but not
// sent, and whether it is quiet hours (when nothing is sent, so a backlog
// is expected).
type Backlog struct {
	Rows []BacklogRows
	// OldestDue is how long the oldest due row (pending, failed or claimed)
	// has waited past its next attempt; 0 when none is due.
	OldestDue time.Duration
	Quiet     bool
}

// BacklogRows counts the rows of one status and kind.
type BacklogRows struct {
	Status Status
	Kind   string
	N      int
}

// backlogStatuses are what Backlog counts: everything but sent and
// delivered, which are the bulk of the table and are counted as they
// happen (NotifyOutcome) rather than by scanning it.
var backlogStatuses = []Status{StatusPending, StatusSending, StatusFailed, StatusDead, StatusUnreachable}

// Backlog counts the outbox in one grouped query over the (status,
// next_attempt_at) index.
func (s *Service) Backlog(ctx context.Context) (Backlog, error) {
	var rows []struct {
		Status string
		Kind   string
		N      int
		Oldest db.Time
	}
	err := s.db.Gorm(ctx).Table("outbox").
		Select("status, kind, COUNT(*) AS n, MIN(next_attempt_at) AS oldest").
		Where("status IN ?", backlogStatuses).Group("status, kind").Order("status, kind").Scan(&rows).Error
	if err != nil {
		return Backlog{}, fmt.Errorf("notify backlog: %w", db.Translate(err))
	}
	now := s.now()
	_, quiet := s.quiet.until(now)
	b := Backlog{Quiet: quiet}
	for _, r := range rows {
		st := Status(r.Status)
		b.Rows = append(b.Rows, BacklogRows{Status: st, Kind: r.Kind, N: r.N})
		if isDue(st) && !r.Oldest.IsZero() {
			b.OldestDue = max(b.OldestDue, now.Sub(r.Oldest.Time()))
		}
	}
	return b, nil
}

func isDue(st Status) bool {
	for _, d := range due {
		if st == d {
			return true
		}
	}
	return false
}
