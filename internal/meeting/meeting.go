// Package meeting runs the offices' meetings and training: 工作部署会,
// 干部培训, 主体培训 (businesses trained in batches) and 集中督导 (many
// businesses supervised at one session). A meeting invites people chosen
// by rule (the cadres of a town or village, the businesses of a region by
// category and grade, or a list), sends the invitations and reminders
// through the outbox, takes the invitees' replies (参加 / 请假 理由) from
// the chat, and records check-ins from the meeting's signed QR code inside
// the meeting's window, with the distance to the venue when the person
// shares a location. A manager can check someone in by hand with a reason
// (audited); people who come uninvited are recorded as walk-ins. After the
// meeting absentees get the materials and the quiz, and the cadre who packs
// an absent business is told. A 集中督导's presiding cadre records a short
// result per attending business, and each becomes a supervision visit of
// mode 集中督导 through supervision's own Submit, so it counts towards the
// cycle exactly when the counting modes say so.
//
// A business attends as a business: any of its bound contacts checks it in,
// and the check-in is the business's. Everything a person does is keyed by
// (meeting, kind, subject) under a unique index, so repeated WeChat
// deliveries and races record it once.
package meeting

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Kind is a kind of meeting.
type Kind string

// Kinds of meeting.
const (
	KindWork             Kind = "work"
	KindCadreTraining    Kind = "cadre_training"
	KindBusinessTraining Kind = "business_training"
	KindCentralized      Kind = "centralized"
)

// Kinds lists the kinds in the order a form offers them.
var Kinds = []Kind{KindWork, KindCadreTraining, KindBusinessTraining, KindCentralized}

var kindLabels = map[Kind]string{
	KindWork: "工作部署会", KindCadreTraining: "干部培训", KindBusinessTraining: "主体培训", KindCentralized: "集中督导",
}

// Label is the kind's Chinese name.
func (k Kind) Label() string { return kindLabels[k] }

// Valid reports whether k is known.
func (k Kind) Valid() bool { return kindLabels[k] != "" }

// PersonKind says whether an attendee is a cadre or a business.
type PersonKind string

// Attendee kinds.
const (
	PersonCadre    PersonKind = "cadre"
	PersonBusiness PersonKind = "business"
)

// Replies an invitee can give.
const (
	ReplyAccept  = "accept"
	ReplyExcused = "excused"
)

// How a check-in was made.
const (
	ViaQR     = "qr"
	ViaManual = "manual"
)

// Meeting is a meeting as stored; times are UTC.
type Meeting struct {
	ID               int64
	Kind             Kind
	Title            string
	StartsAt         time.Time
	EndsAt           time.Time
	Place            string
	Latitude         *float64
	Longitude        *float64
	OfficeID         int64
	RegionID         int64
	RegionPath       string
	Agenda           string
	Materials        string
	RuleText         string
	QuizID           string
	OpensBeforeMin   int
	ClosesAfterMin   int
	PresidingCadreID *int64
	CreatedBy        registry.Actor
	CreatedAt        time.Time
	InvitedAt        *time.Time
	RemindedDayAt    *time.Time
	RemindedHoursAt  *time.Time
	FollowedUpAt     *time.Time
}

// Opens is when check-in opens.
func (m *Meeting) Opens() time.Time {
	return m.StartsAt.Add(-time.Duration(m.OpensBeforeMin) * time.Minute)
}

// Closes is when check-in closes.
func (m *Meeting) Closes() time.Time {
	return m.StartsAt.Add(time.Duration(m.ClosesAfterMin) * time.Minute)
}

// Past reports whether the meeting has ended at now.
func (m *Meeting) Past(now time.Time) bool { return !now.Before(m.EndsAt) }

// MaterialList is the meeting's materials, one "title|address" per line.
func (m *Meeting) MaterialList() []Material { return parseMaterials(m.Materials) }

// Material is a reading for the meeting: a knowledge article or a PDF.
type Material struct {
	Title string `json:"title"`
	URL   string `json:"url,omitempty"`
}

func parseMaterials(s string) []Material {
	var out []Material
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		title, url, _ := strings.Cut(line, "|")
		out = append(out, Material{Title: strings.TrimSpace(title), URL: strings.TrimSpace(url)})
	}
	return out
}

func formatMaterials(ms []Material) string {
	lines := make([]string, 0, len(ms))
	for _, m := range ms {
		t := strings.TrimSpace(strings.ReplaceAll(m.Title, "|", "／"))
		if t == "" {
			continue
		}
		if u := strings.TrimSpace(m.URL); u != "" {
			t += "|" + u
		}
		lines = append(lines, t)
	}
	return strings.Join(lines, "\n")
}

// Person is someone expected at or come to a meeting.
type Person struct {
	ID            int64
	MeetingID     int64
	Kind          PersonKind
	SubjectID     int64
	Invited       bool
	Reply         string
	Reason        string
	RepliedAt     *time.Time
	CheckedInAt   *time.Time
	CheckinVia    string
	CheckinBy     string
	CheckinReason string
	DistanceM     *float64
	CreatedAt     time.Time
}

// TableName is the attendees' table.
func (Person) TableName() string { return "meeting_people" }

// Accounts finds a link reader's business; *account.Service implements
// it. (Who scans is read in one query of its own: see who.)
type Accounts interface {
	Contact(ctx context.Context, id int64) (*account.Contact, error)
}

// Visits is what a 集中督导 needs of the supervision record;
// *supervision.Service implements it.
type Visits interface {
	Submit(ctx context.Context, in supervision.VisitInput) (*supervision.Visit, bool, error)
	Checklists() *supervision.Checklists
	Rules() supervision.Rules
}

// Outbox takes invitations and reminders in the meeting's transaction;
// *notify.Service implements it.
type Outbox interface {
	EnqueueTx(tx *gorm.DB, msgs ...notify.Message) (int, error)
}

// QRMaker makes the parameterised QR code of a scene; *wechat.Client
// implements it.
type QRMaker interface {
	CreateQRScene(ctx context.Context, scene string, expire time.Duration) (ticket, qrURL string, err error)
}

var (
	_ Accounts = (*account.Service)(nil)
	_ Visits   = (*supervision.Service)(nil)
	_ Outbox   = (*notify.Service)(nil)
)

// Links builds the quiz page's address for one reader; the web package
// signs it (h5.Links).
type Links interface {
	MeetingQuiz(meetingID int64, reader registry.Actor, expires time.Time) string
}

// Config are the meeting defaults.
type Config struct {
	// OpensBefore and ClosesAfter are a new meeting's check-in window
	// around its start.
	OpensBefore, ClosesAfter time.Duration
	// LocationTTL is how long a shared location is taken as where the
	// person is, for the distance of a check-in.
	LocationTTL time.Duration
	// FollowUpWithin bounds the absentee follow-up: a meeting that ended
	// longer ago (the service was down) gets none.
	FollowUpWithin time.Duration
	// LinkTTL is how long a quiz link in a message stays valid.
	LinkTTL time.Duration
}

// DefaultConfig opens check-in an hour before the start and closes it
// half an hour after it.
func DefaultConfig() Config {
	return Config{OpensBefore: time.Hour, ClosesAfter: 30 * time.Minute, LocationTTL: 15 * time.Minute,
		FollowUpWithin: 7 * 24 * time.Hour, LinkTTL: 30 * 24 * time.Hour}
}

// Deps are what the service works with.
type Deps struct {
	DB       *db.DB
	Registry *registry.Service
	Accounts Accounts
	Visits   Visits
	Outbox   Outbox
	KV       kv.Store
	QR       QRMaker
	// Links, when set, puts the quiz page's link in the follow-up.
	Links   Links
	Quizzes *Quizzes
	Clock   clock.Clock
	// Secret signs the QR scenes.
	Secret []byte
	Config Config
	Log    *slog.Logger
}

// Service runs meetings.
type Service struct {
	d Deps
	// cache keeps meetings for check-ins (meetingByID).
	cache sync.Map
}

// NewService returns the meeting service; zero config values take the
// defaults, a nil Quizzes the shipped configs/quizzes.yaml.
func NewService(d Deps) (*Service, error) {
	def := DefaultConfig()
	if d.Config.OpensBefore <= 0 {
		d.Config.OpensBefore = def.OpensBefore
	}
	if d.Config.ClosesAfter <= 0 {
		d.Config.ClosesAfter = def.ClosesAfter
	}
	if d.Config.LocationTTL <= 0 {
		d.Config.LocationTTL = def.LocationTTL
	}
	if d.Config.FollowUpWithin <= 0 {
		d.Config.FollowUpWithin = def.FollowUpWithin
	}
	if d.Config.LinkTTL <= 0 {
		d.Config.LinkTTL = def.LinkTTL
	}
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Quizzes == nil {
		q, err := DefaultQuizzes()
		if err != nil {
			return nil, err
		}
		d.Quizzes = q
	}
	return &Service{d: d}, nil
}

func (s *Service) now() time.Time { return s.d.Clock.Now().UTC() }

// Quizzes are the loaded quizzes.
func (s *Service) Quizzes() *Quizzes { return s.d.Quizzes }

// Config is the service's settings.
func (s *Service) Config() Config { return s.d.Config }
