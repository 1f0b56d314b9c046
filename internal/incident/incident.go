// Package incident handles food-safety incidents (应急处置): anyone bound to
// the service — a cadre, a business contact, a manager — or a stranger
// reports one in chat; the town office is told at once, whatever the quiet
// hours (urgent outbox messages to its managers and its WeCom group), and
// the district office too when the kind says so; the office tracks it
// through 上报 → 已受理 → 处置中 → 已办结, each step with who, when, a note
// and photos, against a deadline per kind and step; a step left past its
// deadline is escalated to the office above, once; the reporter hears of
// every step.
//
// A report carries its chat conversation's id as its key (unique), so a
// report delivered three times is stored once. A stranger's report is
// accepted and marked 未核实 (not verified): it is the office that judges.
// Every change is audited in its own transaction under the incident's
// region, and every read by id is limited to the reader's region subtree:
// an incident outside it is answered as one that does not exist.
package incident

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
)

// Kind is what happened.
type Kind string

// Kinds of incident.
const (
	Poisoning Kind = "poisoning" // 疑似食物中毒
	Complaint Kind = "complaint" // 投诉举报
	Accident  Kind = "accident"  // 食品安全事故
	Other     Kind = "other"     // 其他
)

// Kinds lists the kinds in the order chat and pages offer them.
var Kinds = []Kind{Poisoning, Complaint, Accident, Other}

var kindLabels = map[Kind]string{Poisoning: "疑似食物中毒", Complaint: "投诉举报", Accident: "食品安全事故", Other: "其他"}

// Label is the kind's Chinese name.
func (k Kind) Label() string { return kindLabels[k] }

// Valid reports whether k is known.
func (k Kind) Valid() bool { return kindLabels[k] != "" }

// State is where an incident stands.
type State string

// States, in order.
const (
	Reported State = "reported" // 上报
	Accepted State = "accepted" // 已受理
	Handling State = "handling" // 处置中
	Closed   State = "closed"   // 已办结
)

// States lists the states in order.
var States = []State{Reported, Accepted, Handling, Closed}

var stateLabels = map[State]string{Reported: "上报", Accepted: "已受理", Handling: "处置中", Closed: "已办结"}

// stepVerbs name what moves an incident out of a state: what its
// deadline is for.
var stepVerbs = map[State]string{Reported: "受理", Accepted: "开始处置", Handling: "办结"}

// Label is the state's Chinese name.
func (s State) Label() string { return stateLabels[s] }

// Valid reports whether s is known.
func (s State) Valid() bool { return stateLabels[s] != "" }

// Next is the state after s ("" after Closed).
func (s State) Next() State {
	switch s {
	case Reported:
		return Accepted
	case Accepted:
		return Handling
	case Handling:
		return Closed
	}
	return ""
}

// Verb names the step that leaves s (受理 for Reported); "" for Closed.
func (s State) Verb() string { return stepVerbs[s] }

// Rule is how one kind of incident is handled: whether the district office
// is told at once, and how long each step may take.
type Rule struct {
	EscalateToDistrict bool
	// Accept, Start and Close bound the time from reaching a state to
	// leaving it: 上报 → 已受理, 已受理 → 处置中, 处置中 → 已办结.
	Accept, Start, Close time.Duration
}

// Deadline is how long an incident may stay in state s.
func (r Rule) Deadline(s State) time.Duration {
	switch s {
	case Reported:
		return r.Accept
	case Accepted:
		return r.Start
	case Handling:
		return r.Close
	}
	return 0
}

// Settings are the rules per kind.
type Settings map[Kind]Rule

// DefaultSettings: poisoning and accidents go to the district at once and
// must be accepted within half an hour; complaints within a working day.
func DefaultSettings() Settings {
	return Settings{
		Poisoning: {EscalateToDistrict: true, Accept: 30 * time.Minute, Start: 2 * time.Hour, Close: 72 * time.Hour},
		Accident:  {EscalateToDistrict: true, Accept: 30 * time.Minute, Start: 2 * time.Hour, Close: 72 * time.Hour},
		Complaint: {Accept: 24 * time.Hour, Start: 48 * time.Hour, Close: 15 * 24 * time.Hour},
		Other:     {Accept: 4 * time.Hour, Start: 24 * time.Hour, Close: 7 * 24 * time.Hour},
	}
}

// Rule is the kind's rule (the default one when the settings leave it out).
func (s Settings) Rule(k Kind) Rule {
	if r, ok := s[k]; ok {
		return r
	}
	return DefaultSettings()[k]
}

// Enqueuer writes outbox rows in the caller's transaction; *notify.Service
// implements it.
type Enqueuer interface {
	EnqueueTx(tx *gorm.DB, msgs ...notify.Message) (int, error)
}

var _ Enqueuer = (*notify.Service)(nil)

// Links builds the signed H5 address of an incident's page for one
// reader; the web layer signs it.
type Links interface {
	Incident(id int64, reader registry.Actor, expires time.Time) string
}

// Deps are what the service works with; all but Groups, Links, BaseURL
// and Clock are required.
type Deps struct {
	DB       *db.DB
	Registry *registry.Service
	Accounts *account.Service
	Outbox   Enqueuer
	Settings Settings
	// Groups reports whether an office (by short name) has a WeCom group
	// robot; nil: none has.
	Groups func(short string) bool
	// Links signs the H5 page each message links to (LinkTTL long, 30
	// days by default); without it messages link to the console page
	// under BaseURL.
	Links   Links
	LinkTTL time.Duration
	BaseURL string
	Clock   clock.Clock
}

// Service keeps the incidents.
type Service struct {
	d Deps
}

// NewService returns the service.
func NewService(d Deps) (*Service, error) {
	if d.DB == nil || d.Registry == nil || d.Accounts == nil || d.Outbox == nil {
		return nil, fmt.Errorf("incident: DB, Registry, Accounts and Outbox are required")
	}
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.Settings == nil {
		d.Settings = DefaultSettings()
	}
	if d.LinkTTL <= 0 {
		d.LinkTTL = 30 * 24 * time.Hour
	}
	return &Service{d: d}, nil
}

// Settings are the rules per kind in force.
func (s *Service) Settings() Settings { return s.d.Settings }

func (s *Service) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Millisecond) }

// Incident is one reported incident and where it stands.
type Incident struct {
	ID int64
	// ReportKey is the reporting conversation's id: unique, so a report
	// delivered again is the same incident.
	ReportKey string
	Kind      Kind
	State     State
	// RegionID is where it happened: the business's village, or the town
	// the reporter named.
	RegionID     int64
	BusinessID   int64
	BusinessName string
	Description  string
	// Affected is how many people are affected; -1 when unknown.
	Affected int
	// Lat, Lng and Place are where the reporter sent a location from
	// (HasLocation false when none).
	HasLocation bool
	Lat, Lng    float64
	Place       string
	// ReporterKind is cadre, manager, contact or stranger; ReporterID the
	// person's id (0 for a stranger, whose ReporterRef is a hash of the
	// WeChat id, never the id itself).
	ReporterKind string
	ReporterID   int64
	ReporterName string
	ReporterRef  string
	// Verified is false for a stranger's report until the office accepts it.
	Verified bool
	// OfficeID is the office told first (the town's).
	OfficeID int64
	// StateAt is when it reached its state; DueAt when the next step is
	// due (nil once closed); EscalatedState the state whose overdue step
	// was already escalated.
	StateAt        time.Time
	DueAt          *time.Time
	EscalatedState string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ClosedAt       *time.Time
}

// TableName names the incidents' table.
func (Incident) TableName() string { return "incidents" }

// Overdue reports whether the step the incident waits for is past its
// deadline at now.
func (i Incident) Overdue(now time.Time) bool {
	return i.State != Closed && i.DueAt != nil && now.After(*i.DueAt)
}

// AffectedText is how many people are affected, in words.
func (i Incident) AffectedText() string {
	if i.Affected < 0 {
		return "不详"
	}
	return fmt.Sprintf("%d人", i.Affected)
}

// Event is one step of an incident: its report, a change of state, or a
// note added on the way.
type Event struct {
	ID         int64
	IncidentID int64
	// FromState is "" for the report itself; ToState equals FromState for
	// a note without a change.
	FromState string
	ToState   string
	Actor     string
	ActorName string
	Note      string
	CreatedAt time.Time
}

// TableName names the events' table.
func (Event) TableName() string { return "incident_events" }

// StateLabel names the state the event moved to.
func (e Event) StateLabel() string { return State(e.ToState).Label() }

// Changed reports whether the event changed the state.
func (e Event) Changed() bool { return e.FromState != e.ToState }
