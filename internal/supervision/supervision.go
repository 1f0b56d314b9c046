// Package supervision keeps the record of package supervision (包保督导):
// the checklist, visits (督导记录) with their checklist results, findings
// and rectifications (整改) with follow-up checks (复查), photo evidence,
// the cycle and frequency rules, and the figures built on them — a cadre's
// tasks, coverage by village and cadre, overdue businesses.
//
// A business is covered in a cycle once it has a current visit submitted
// within the cycle in a mode that counts for its grade. Coverage is worked
// out from submission times, not from the cycle key stored on each visit,
// so regrading a business or changing a frequency setting never strands
// old visits in the wrong cycle. Submitted visits are never edited: a
// correction is a new revision that supersedes the old one, and only
// current revisions count.
package supervision

import (
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/registry"
)

// Service is the supervision record.
type Service struct {
	db    *db.DB
	reg   *registry.Service
	lists *Checklists
	rules Rules
	clock clock.Clock
	// letters issues the letter of a report that asks for one.
	letters LetterIssuer
	// obs hears visits stored (nil: nobody listens).
	obs VisitObserver
	// photoNotices is the outbox: it tells the sender of a photo that could
	// not be fetched, and confirms a report stored outside the chat.
	photoNotices PhotoNotifier
}

// NewService returns the supervision record over d. The bulk methods
// (InsertVisitsTx) use only the transaction they are given, so the demo
// generator may pass a nil d.
func NewService(d *db.DB, reg *registry.Service, lists *Checklists, rules Rules, c clock.Clock) *Service {
	if c == nil {
		c = clock.Real{}
	}
	return &Service{db: d, reg: reg, lists: lists, rules: rules, clock: c}
}

// Checklists returns the checklist visits are recorded against.
func (s *Service) Checklists() *Checklists { return s.lists }

// Rules returns the settings the service was built with.
func (s *Service) Rules() Rules { return s.rules }

func (s *Service) now() time.Time { return s.clock.Now() }

// Mode is how a visit was made (督导方式).
type Mode string

// Modes.
const (
	ModeOnsite      Mode = "onsite"
	ModeOnline      Mode = "online"
	ModeCentralized Mode = "centralized"
	ModeReport      Mode = "report"
)

// Modes lists every mode in display order.
var Modes = []Mode{ModeOnsite, ModeOnline, ModeCentralized, ModeReport}

var modeLabels = map[Mode]string{ModeOnsite: "现场督导", ModeOnline: "在线督导", ModeCentralized: "集中督导", ModeReport: "集中汇报"}

// Label is the Chinese name of the mode.
func (m Mode) Label() string { return modeLabels[m] }

// Valid reports whether m is known.
func (m Mode) Valid() bool { return modeLabels[m] != "" }

// ParseMode reads a mode from its identifier or Chinese name ("现场", "现场督导").
func ParseMode(s string) (Mode, bool) {
	for m, l := range modeLabels {
		if s == string(m) || s == l || s+"督导" == l {
			return m, true
		}
	}
	return "", false
}

// Result is the outcome of one checklist item.
type Result string

// Results.
const (
	ResultOK    Result = "ok"
	ResultIssue Result = "issue"
	ResultNA    Result = "na"
)

var resultLabels = map[Result]string{ResultOK: "合格", ResultIssue: "有问题", ResultNA: "不适用"}

// Label is the Chinese name of the result.
func (r Result) Label() string { return resultLabels[r] }

// Valid reports whether r is known.
func (r Result) Valid() bool { return resultLabels[r] != "" }
