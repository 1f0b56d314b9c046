// Package reminder decides which pushes are due and when: reminders to
// cadres before a supervision cycle ends, overdue notices the morning after,
// escalation to the town office a few days later, the weekly progress post
// to each town's WeCom contact group, the monthly digest to managers, and
// rectification deadlines. Other features add their own reminders through
// Source.
//
// The Planner works out what is due at a moment from the state of the
// register in a fixed number of queries (never one per business or cadre)
// and is pure with respect to sending: it returns messages. The Scheduler
// runs it on a timetable under a leader lock and enqueues what it returns.
// Every message carries an idempotency key (kind, recipient, subject,
// cycle, stage), and each stage stays due for a window of days, so planning
// again is harmless and a run that was missed or cut short is caught up by
// the next one: nothing is sent twice, and nothing is skipped.
package reminder

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
)

// Kinds of message the planner makes.
const (
	KindDue           = "reminder.due"
	KindOverdue       = "reminder.overdue"
	KindEscalation    = "escalation"
	KindWeekly        = "digest.weekly"
	KindMonthly       = "digest.monthly"
	KindRectification = "rectification.due"
)

// Stages that are not "t-N" (N days before a cycle's due day).
const (
	StageOverdue    = "overdue"
	StageEscalation = "escalation"
	// StageDayBefore is a rectification's "d-1": due tomorrow (or today).
	StageDayBefore = "d-1"
)

// Settings are the reminder rules that differ between places (DOMAIN.md).
type Settings struct {
	// Stages are the days before a cycle's due day on which cadres are
	// reminded, e.g. 14, 7, 1. Each stage lasts until the next begins: with
	// 14, 7, 1, "t-7" is due from 7 to 2 days left, "t-1" from 1 day left to
	// the due day itself. Only the current stage is ever sent.
	Stages []int
	// EscalateAfter is how many days overdue a business must be before the
	// office hears of it.
	EscalateAfter int
	// CatchUp is how many days an event that fires once (the overdue
	// notice, the escalation, a rectification turning overdue) stays due,
	// so that a planner that did not run on the day still sends it; past
	// that it is stale and left out. The cadre's list keeps showing overdue
	// businesses at every later stage.
	CatchUp int
	// EscalateToGroup also posts an escalation to the office's WeCom
	// contact group when it has a robot.
	EscalateToGroup bool
}

// DefaultSettings are DOMAIN.md's: 14, 7 and 1 days before, escalation
// after 3 days overdue, a week of catch-up.
func DefaultSettings() Settings {
	return Settings{Stages: []int{14, 7, 1}, EscalateAfter: 3, CatchUp: 7, EscalateToGroup: true}
}

// Validate says what is wrong with the settings, or nil.
func (s Settings) Validate() error {
	if len(s.Stages) == 0 {
		return fmt.Errorf("reminder settings: no reminder stages")
	}
	seen := map[int]bool{}
	for _, d := range s.Stages {
		if d < 0 || d > 366 || seen[d] {
			return fmt.Errorf("reminder settings: stage %d days is out of 0…366 or repeated", d)
		}
		seen[d] = true
	}
	if s.EscalateAfter < 1 || s.EscalateAfter > 90 {
		return fmt.Errorf("reminder settings: escalate after %d days is out of 1…90", s.EscalateAfter)
	}
	if s.CatchUp < 1 || s.CatchUp > 31 {
		return fmt.Errorf("reminder settings: catch-up of %d days is out of 1…31", s.CatchUp)
	}
	return nil
}

// normalized returns the settings with Stages sorted, smallest first, in
// a slice of their own.
func (s Settings) normalized() Settings {
	s.Stages = slices.Sorted(slices.Values(s.Stages))
	return s
}

// stage names the reminder stage a cycle with daysLeft days to its due
// day is in, "" when none is. Stages must be normalized.
func (s Settings) stage(daysLeft int) string {
	for i, d := range s.Stages {
		// The smallest stage runs down to the due day itself.
		lower := 0
		if i > 0 {
			lower = s.Stages[i-1] + 1
		}
		if daysLeft >= lower && daysLeft <= d {
			return "t-" + strconv.Itoa(d)
		}
	}
	return ""
}

// Enqueuer puts messages in the outbox; notify.Service implements it.
// Enqueuing a message whose key is already there is a no-op; the count is
// of the messages newly queued.
type Enqueuer interface {
	Enqueue(ctx context.Context, msgs ...notify.Message) (int, error)
}

// Source is another feature's reminders (letters awaiting acknowledgement,
// for one): the messages due at at. Like the planner's own, they must be
// idempotent by key, because a source is asked again on every run.
type Source interface {
	Due(ctx context.Context, at time.Time) ([]notify.Message, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, at time.Time) ([]notify.Message, error)

// Due calls f.
func (f SourceFunc) Due(ctx context.Context, at time.Time) ([]notify.Message, error) {
	return f(ctx, at)
}

// Links builds the H5 pages messages point to, each for one reader and
// valid until expires; the web package signs them.
type Links interface {
	// CadreTasks is the cadre's list of open tasks.
	CadreTasks(cadreID int64, reader registry.Actor, expires time.Time) string
	// OfficeOverdue is the list of overdue businesses in an office's area.
	OfficeOverdue(officeID int64, reader registry.Actor, expires time.Time) string
	// Rectification is one rectification's page.
	Rectification(id int64, reader registry.Actor, expires time.Time) string
}

// Contacts finds the people who speak for a business; account.Service
// implements it.
type Contacts interface {
	ContactsOf(ctx context.Context, businessID int64) ([]account.Contact, error)
}

var _ Contacts = (*account.Service)(nil)

// Notice is a planned message with the names of the businesses it is
// about, for dry runs and tests (the message's Text lists them too).
type Notice struct {
	Message    notify.Message
	Businesses []string
}
