// Package letter issues supervision prompt letters (责任督导提示函): a
// numbered letter to a business, issued at the end of a visit with
// findings or by a manager, delivered to the business's bound contacts,
// acknowledged by one of them (回执) with optional rectification feedback,
// and reminded about while it stays unacknowledged.
//
// Numbers run per issuing office and year without gaps or duplicates: a
// counter row per office and year is raised in the same transaction that
// inserts the letter, so a rolled-back issue gives its number back and two
// concurrent issues queue on the counter's row lock. What a letter says —
// the business, the visit, the findings, the office's contacts — is frozen
// at issue time as a JSON snapshot, so later changes to the register never
// rewrite a letter already sent.
package letter

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Enqueuer writes notifications to the outbox inside the caller's
// transaction (notify.Service), so a letter and the messages about it
// commit together.
type Enqueuer interface {
	EnqueueTx(tx *gorm.DB, msgs ...notify.Message) (int, error)
}

// Links builds the H5 address of a letter for one reader, valid until
// expires (signed by the web layer).
type Links interface {
	Letter(token string, reader registry.Actor, expires time.Time) string
}

// Config holds the letter settings that differ between places.
type Config struct {
	// NumberFormat builds a letter's number from {office} (the office's
	// short name), {year} and {seq} — {seq:04} pads it to four digits.
	NumberFormat string
	// AckReminderDays: a letter unacknowledged this many days after issue
	// is reminded to the business, and after twice as many to the cadre.
	AckReminderDays int
	// LinkTTL is how long a link in a message stays valid.
	LinkTTL time.Duration
	// Hotline is the complaints line printed on every letter.
	Hotline string
}

// DefaultConfig is the seed document's: 胡埭食安督〔2026〕0001号, reminders
// after 3 and 6 days, links valid for 30 days, 12315.
func DefaultConfig() Config {
	return Config{
		NumberFormat:    "{office}食安督〔{year}〕{seq:04}号",
		AckReminderDays: 3,
		LinkTTL:         30 * 24 * time.Hour,
		Hotline:         "12315",
	}
}

// Validate says what is wrong with the settings, or nil.
func (c Config) Validate() error {
	if _, err := parseNumberFormat(c.NumberFormat); err != nil {
		return err
	}
	if c.AckReminderDays < 1 || c.AckReminderDays > 90 {
		return fmt.Errorf("letter: ack reminder days %d out of 1…90", c.AckReminderDays)
	}
	if c.LinkTTL < time.Hour {
		return fmt.Errorf("letter: link TTL %s is shorter than an hour", c.LinkTTL)
	}
	if strings.TrimSpace(c.Hotline) == "" {
		return fmt.Errorf("letter: hotline is empty")
	}
	return nil
}

// withDefaults fills zero settings with the defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.NumberFormat == "" {
		c.NumberFormat = d.NumberFormat
	}
	if c.AckReminderDays == 0 {
		c.AckReminderDays = d.AckReminderDays
	}
	if c.LinkTTL == 0 {
		c.LinkTTL = d.LinkTTL
	}
	if c.Hotline == "" {
		c.Hotline = d.Hotline
	}
	return c
}

// Service issues, delivers and receives letters.
type Service struct {
	db       *db.DB
	reg      *registry.Service
	sup      *supervision.Service
	accounts *account.Service
	out      Enqueuer
	links    Links
	cfg      Config
	number   numberFormat
	clock    clock.Clock
}

// NewService returns the letter service. Zero settings take their
// defaults; NewService panics on settings Validate rejects, which the
// configuration check rules out before start-up.
func NewService(d *db.DB, reg *registry.Service, sup *supervision.Service, accounts *account.Service, out Enqueuer, links Links, cfg Config, c clock.Clock) *Service {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	nf, _ := parseNumberFormat(cfg.NumberFormat)
	if c == nil {
		c = clock.Real{}
	}
	return &Service{db: d, reg: reg, sup: sup, accounts: accounts, out: out, links: links, cfg: cfg, number: nf, clock: c}
}

// Config returns the settings the service runs with.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// Letter statuses: issued (no bound contact had it yet), delivered (sent
// to at least one bound contact), acknowledged (receipt given).
const (
	StatusIssued       = "issued"
	StatusDelivered    = "delivered"
	StatusAcknowledged = "acknowledged"
)

var statusLabels = map[string]string{StatusIssued: "未送达", StatusDelivered: "待签收", StatusAcknowledged: "已签收"}

// StatusLabel is the Chinese name of a letter status.
func StatusLabel(status string) string { return statusLabels[status] }

// Letter is an issued prompt letter. Times are in UTC.
type Letter struct {
	ID       int64
	OfficeID int64
	Year     int
	Seq      int
	// Number is the letter's number as printed: 胡埭食安督〔2026〕0001号.
	Number     string
	BusinessID int64
	VisitID    *int64
	// CadreID is the cadre of the business when issued (0 if none).
	CadreID  int64
	IssuedBy registry.Actor
	IssuedAt time.Time
	Content  Content
	Status   string
	// DeliveredAt is when it first went to a bound contact.
	DeliveredAt    *time.Time
	AcknowledgedAt *time.Time
	AckContactID   *int64
	// AckIdentityID is the bound WeChat identity the receipt came from.
	AckIdentityID *int64
	AckFeedback   string
	// Token names the letter in its H5 address: random, never the id.
	Token     string
	CreatedAt time.Time
}

// StatusLabel is the Chinese name of the letter's status.
func (l Letter) StatusLabel() string { return StatusLabel(l.Status) }

// Acknowledged reports whether a receipt was given.
func (l Letter) Acknowledged() bool { return l.AcknowledgedAt != nil }

// Content is what a letter says, frozen when it is issued.
type Content struct {
	Business BusinessInfo  `json:"business"`
	Office   OfficeInfo    `json:"office"`
	Cadre    *PersonInfo   `json:"cadre,omitempty"`
	Visit    *VisitInfo    `json:"visit,omitempty"`
	Findings []FindingInfo `json:"findings"`
	Season   Season        `json:"season"`
	Remarks  string        `json:"remarks,omitempty"`
	Hotline  string        `json:"hotline"`
	// Articles explain the findings' checklist items (knowledge.go).
	Articles []ArticleInfo `json:"articles,omitempty"`
}

// BusinessInfo is the addressee.
type BusinessInfo struct {
	Name     string            `json:"name"`
	Code     string            `json:"code"`
	Address  string            `json:"address"`
	Category registry.Category `json:"category"`
	Grade    registry.Grade    `json:"grade"`
	Town     string            `json:"town"`
	Village  string            `json:"village"`
}

// CategoryLabel is the business's category in Chinese.
func (b BusinessInfo) CategoryLabel() string { return b.Category.Label() }

// Catering reports whether the business cooks (a restaurant or canteen):
// the letter then reminds it of sample retention and tableware cleaning.
func (b BusinessInfo) Catering() bool {
	return b.Category == registry.CategoryCatering || b.Category == registry.CategoryCanteen
}

// OfficeInfo is the issuing office and the market-supervision station.
type OfficeInfo struct {
	Name         string `json:"name"`
	ShortName    string `json:"short_name"`
	Phone        string `json:"phone"`
	Address      string `json:"address"`
	StationPhone string `json:"station_phone"`
}

// PersonInfo is the cadre as printed.
type PersonInfo struct {
	Name  string `json:"name"`
	Post  string `json:"post"`
	Phone string `json:"phone"`
}

// VisitInfo is the visit a letter follows.
type VisitInfo struct {
	ID        int64     `json:"id"`
	Date      time.Time `json:"date"`
	Mode      string    `json:"mode"`
	ModeLabel string    `json:"mode_label"`
}

// FindingInfo is one problem with what must be done by when. Deadline is
// a day (midnight China time).
type FindingInfo struct {
	Label           string    `json:"label"`
	Description     string    `json:"description"`
	Requirement     string    `json:"requirement"`
	Deadline        time.Time `json:"deadline"`
	RectificationID int64     `json:"rectification_id,omitempty"`
	// ItemID is the checklist item of a finding from a visit ("" for a
	// problem a manager wrote).
	ItemID string `json:"item_id,omitempty"`
}

// Season is the seasonal note of the month the letter was issued in.
type Season struct {
	Name  string   `json:"name"`
	Notes []string `json:"notes"`
}

// Value stores the content as JSON.
func (c Content) Value() (driver.Value, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// Scan reads content stored as JSON.
func (c *Content) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		*c = Content{}
		return nil
	default:
		return fmt.Errorf("letter content: cannot scan %T", src)
	}
	return json.Unmarshal(b, c)
}

// rectificationIDs lists the rectifications the letter's findings track.
func (c Content) rectificationIDs() []int64 {
	var ids []int64
	for _, f := range c.Findings {
		if f.RectificationID != 0 {
			ids = append(ids, f.RectificationID)
		}
	}
	return ids
}

// url is the letter's H5 address for a reader.
func (s *Service) url(l *Letter, reader registry.Actor) string {
	if s.links == nil {
		return ""
	}
	return s.links.Letter(l.Token, reader, s.now().Add(s.cfg.LinkTTL))
}

// URL is the letter's H5 address for a reader ("cadre:5", "contact:12",
// "manager:3"), valid for the configured link TTL: what the bot sends.
func (s *Service) URL(l *Letter, reader registry.Actor) string { return s.url(l, reader) }

// Letter returns one letter. NotFound if absent.
func (s *Service) Letter(ctx context.Context, id int64) (*Letter, error) {
	var l Letter
	if err := s.db.Gorm(ctx).First(&l, id).Error; err != nil {
		return nil, db.NotFoundAs(err, msgNotFound)
	}
	return &l, nil
}

// ByToken returns the letter an H5 address names. NotFound if none.
func (s *Service) ByToken(ctx context.Context, token string) (*Letter, error) {
	if token == "" || len(token) > 32 {
		return nil, db.NotFoundAs(gorm.ErrRecordNotFound, msgNotFound)
	}
	var l Letter
	if err := s.db.Gorm(ctx).Where("token = ?", token).First(&l).Error; err != nil {
		return nil, db.NotFoundAs(err, msgNotFound)
	}
	return &l, nil
}

// ForBusiness lists a business's letters: unacknowledged first, then
// newest first.
func (s *Service) ForBusiness(ctx context.Context, businessID int64) ([]Letter, error) {
	var ls []Letter
	err := s.db.Gorm(ctx).Where("business_id = ?", businessID).
		Order("CASE WHEN acknowledged_at IS NULL THEN 0 ELSE 1 END, issued_at DESC, id DESC").Find(&ls).Error
	if err != nil {
		return nil, fmt.Errorf("letters of business: %w", err)
	}
	return ls, nil
}

// ForVisit returns the letter issued for a visit, or nil when none was.
func (s *Service) ForVisit(ctx context.Context, visitID int64) (*Letter, error) {
	var ls []Letter
	if err := s.db.Gorm(ctx).Where("visit_id = ?", visitID).Limit(1).Find(&ls).Error; err != nil {
		return nil, fmt.Errorf("letter of visit: %w", err)
	}
	if len(ls) == 0 {
		return nil, nil
	}
	return &ls[0], nil
}
