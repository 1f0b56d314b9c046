// Package selfcheck keeps a business's own food-safety records under SAMR
// Order 60 — the daily control (日管控), the weekly review (周排查) and the
// monthly dispatch (月调度) — and what is built on them: the printable
// ledger (台账), the figures a cadre sees before a visit, record-keeping
// rates by village for the office, and gentle reminders.
//
// A record covers one period of one business: a day, an ISO week (Monday
// to Sunday) or a calendar month, in China. There is one record per
// business, kind and period, enforced by a unique index; submitting again
// for the same period amends it, and every submission is kept as a
// revision, so nothing is ever deleted and the ledger shows the history.
// A submission carries the chat conversation's id as its key: the same
// submission delivered twice is stored once. A period may be recorded
// until LateDays after it ends; such a record is marked late.
//
// Records are the business's own: they are written by its bound contacts
// (any of them — small shops have one person in every post — with who
// wrote it kept), and read by those contacts and the cadre who packs the
// business now (Authorize).
package selfcheck

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Kind is a kind of self-check record.
type Kind string

// Kinds of record.
const (
	Daily   Kind = "daily"
	Weekly  Kind = "weekly"
	Monthly Kind = "monthly"
)

var kindLabels = map[Kind]string{Daily: "日管控", Weekly: "周排查", Monthly: "月调度"}

// Label is the kind's short Chinese name (日管控).
func (k Kind) Label() string { return kindLabels[k] }

// Valid reports whether k is known.
func (k Kind) Valid() bool { return kindLabels[k] != "" }

// Visits finds supervision visits; *supervision.Service implements it.
type Visits interface {
	VisitsOf(ctx context.Context, businessID int64, from, to time.Time, limit int) ([]supervision.VisitBrief, error)
	// OpenFindingsOf lists the problems the business has yet to rectify
	// (Focus).
	OpenFindingsOf(ctx context.Context, businessID int64) ([]supervision.OpenFinding, error)
}

// Letters lists a business's prompt letters; *letter.Service implements it.
type Letters interface {
	ForBusiness(ctx context.Context, businessID int64) ([]letter.Letter, error)
}

// Links builds the ledger's H5 address; the web package signs it.
type Links interface {
	Ledger(businessID int64, reader registry.Actor, expires time.Time) string
}

// Enqueuer puts reminders in the outbox; *notify.Service implements it.
type Enqueuer interface {
	Enqueue(ctx context.Context, msgs ...notify.Message) (int, error)
}

var (
	_ Visits   = (*supervision.Service)(nil)
	_ Letters  = (*letter.Service)(nil)
	_ Enqueuer = (*notify.Service)(nil)
)

// Deps are what the service works with. DB, Registry and Accounts are
// required; without Visits and Letters the monthly figures and the visit
// prefill leave out the supervision side; without KV and Outbox the
// reminder tick (RemindTick) does nothing, while Due still plans.
type Deps struct {
	DB       *db.DB
	Registry *registry.Service
	Accounts *account.Service
	Visits   Visits
	Letters  Letters
	Links    Links
	// Risks defaults to the shipped configs/risks.yaml.
	Risks  *Risks
	KV     kv.Store
	Outbox Enqueuer
	Clock  clock.Clock
	// LinkTTL is how long a ledger link sent in chat stays valid (30 days
	// by default).
	LinkTTL time.Duration
}

// Service keeps the self-check records.
type Service struct {
	d     Deps
	risks *Risks
	clock clock.Clock
}

// defaultLinkTTL is how long a ledger link stays valid.
const defaultLinkTTL = 30 * 24 * time.Hour

// NewService returns the service, or an error when the shipped risk list
// does not load.
func NewService(d Deps) (*Service, error) {
	if d.DB == nil || d.Registry == nil || d.Accounts == nil {
		return nil, fmt.Errorf("selfcheck: DB, Registry and Accounts are required")
	}
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.LinkTTL <= 0 {
		d.LinkTTL = defaultLinkTTL
	}
	rs := d.Risks
	if rs == nil {
		var err error
		if rs, err = DefaultRisks(); err != nil {
			return nil, err
		}
	}
	return &Service{d: d, risks: rs, clock: d.Clock}, nil
}

// Risks returns the daily control points.
func (s *Service) Risks() *Risks { return s.risks }

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

// today is the current day in China, at midnight.
func (s *Service) today() time.Time { return clock.Date(s.clock.Now()) }

// LedgerURL is the business's ledger for reader, valid for the link TTL;
// "" without Links.
func (s *Service) LedgerURL(businessID int64, reader registry.Actor) string {
	if s.d.Links == nil {
		return ""
	}
	return s.d.Links.Ledger(businessID, reader, s.clock.Now().Add(s.d.LinkTTL))
}
