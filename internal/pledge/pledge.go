// Package pledge keeps the pledges (承诺书) cadres and businesses sign: a
// cadre's 包保责任承诺书 naming the businesses it packs, a business's
// 食品安全主体责任承诺书 naming its 包保干部 and the office. The texts and
// their versions are configuration (configs/pledges.yaml); a signed pledge
// freezes the text it was signed on, with the signer, the WeChat identity
// it came from, the time and the handwritten signature (a PNG in the media
// store under its SHA-256) or the typed full name that stood in for it.
//
// A pledge answers one basis: the calendar year (China time), the text's
// version and, for a business, the assignment of its cadre. Nothing is
// stored when the basis moves on — a new year, a new version, a handover —
// the subject is simply unsigned again until it signs anew, and the old
// pledges stay as history. Unsigned pledges are reminded through the
// outbox, to the signer, then (for businesses) to the cadre, then to the
// office (Due, a source of the reminder planner).
package pledge

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
)

// Kind is whose pledge it is.
type Kind string

// Kinds of pledge.
const (
	KindCadre    Kind = "cadre"
	KindBusiness Kind = "business"
)

// ParseKind reads a kind from a URL or a filter; ok is false for anything else.
func ParseKind(s string) (Kind, bool) {
	switch Kind(s) {
	case KindCadre, KindBusiness:
		return Kind(s), true
	}
	return "", false
}

// Label is the kind's Chinese name as people say it.
func (k Kind) Label() string {
	if k == KindCadre {
		return "包保干部"
	}
	return "包保主体"
}

// Ways of signing.
const (
	MethodDrawn = "drawn"
	MethodTyped = "typed"
)

// MethodLabel names a way of signing in Chinese.
func MethodLabel(m string) string {
	if m == MethodDrawn {
		return "手写签名"
	}
	return "输入姓名确认"
}

// Enqueuer writes notifications to the outbox inside the caller's
// transaction (notify.Service).
type Enqueuer interface {
	EnqueueTx(tx *gorm.DB, msgs ...notify.Message) (int, error)
}

// Links builds a pledge page's H5 address for one reader, valid until
// expires (signed by the web layer).
type Links interface {
	Pledge(kind string, subjectID int64, reader registry.Actor, expires time.Time) string
}

// Config holds the settings that differ between places.
type Config struct {
	// SignerAfterDays, CadreAfterDays, OfficeAfterDays: how long after a
	// pledge falls due it is reminded to the signer, to the business's
	// cadre and to the office.
	SignerAfterDays, CadreAfterDays, OfficeAfterDays int
	// LinkTTL is how long a link in a message stays valid.
	LinkTTL time.Duration
}

// DefaultConfig reminds after 3, 7 and 14 days; links last 30 days.
func DefaultConfig() Config {
	return Config{SignerAfterDays: 3, CadreAfterDays: 7, OfficeAfterDays: 14, LinkTTL: 30 * 24 * time.Hour}
}

// Deps are what the service is built on.
type Deps struct {
	DB        *db.DB
	Registry  *registry.Service
	Accounts  *account.Service
	Media     media.Store
	Outbox    Enqueuer
	Links     Links
	Templates *Templates
	Config    Config
	Clock     clock.Clock
}

// Service signs pledges and says who has yet to.
type Service struct {
	db       *db.DB
	reg      *registry.Service
	accounts *account.Service
	media    media.Store
	out      Enqueuer
	links    Links
	tpl      *Templates
	cfg      Config
	clock    clock.Clock
}

// NewService returns the pledge service. Zero settings take their
// defaults; nil templates are the shipped ones.
func NewService(d Deps) (*Service, error) {
	def := DefaultConfig()
	c := d.Config
	if c.SignerAfterDays == 0 {
		c.SignerAfterDays = def.SignerAfterDays
	}
	if c.CadreAfterDays == 0 {
		c.CadreAfterDays = def.CadreAfterDays
	}
	if c.OfficeAfterDays == 0 {
		c.OfficeAfterDays = def.OfficeAfterDays
	}
	if c.LinkTTL == 0 {
		c.LinkTTL = def.LinkTTL
	}
	if d.Templates == nil {
		t, err := DefaultTemplates()
		if err != nil {
			return nil, err
		}
		d.Templates = t
	}
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	return &Service{db: d.DB, reg: d.Registry, accounts: d.Accounts, media: d.Media, out: d.Outbox, links: d.Links,
		tpl: d.Templates, cfg: c, clock: d.Clock}, nil
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// Templates are the texts the service asks people to sign.
func (s *Service) Templates() *Templates { return s.tpl }

// Year is the calendar year (China time) pledges are due for at t.
func Year(t time.Time) int { return t.In(clock.China).Year() }

// Basis is what the current pledges must answer: the year and each kind's
// version. The read side's lists take it to tell signed from unsigned.
type Basis struct {
	Year            int
	CadreVersion    string
	BusinessVersion string
}

// Current is the basis now.
func (s *Service) Current() Basis {
	return Basis{Year: Year(s.now()), CadreVersion: s.tpl.Cadre.Version, BusinessVersion: s.tpl.Business.Version}
}

// Pledge is one signed pledge. Times are in UTC.
type Pledge struct {
	ID        int64
	Kind      Kind
	SubjectID int64
	Year      int
	Version   string
	// AssignmentID and CadreID are the business's cadre when signed (0
	// for a cadre's own pledge, which is the cadre's in SubjectID).
	AssignmentID int64
	CadreID      int64
	OfficeID     int64
	RegionID     int64
	Basis        string
	Content      Content
	// Signer is who signed ("contact:12", "cadre:5"); SignerName the name
	// they signed with.
	Signer          registry.Actor
	SignerName      string
	Method          string
	SignatureKey    string
	SignatureSHA256 string `gorm:"column:signature_sha256"`
	IdentityID      int64
	OpenID          string `gorm:"column:openid"`
	SignedAt        time.Time
}

// TableName names the pledges' table.
func (Pledge) TableName() string { return "pledges" }

// MethodLabel names how the pledge was signed.
func (p Pledge) MethodLabel() string { return MethodLabel(p.Method) }

// Drawn reports whether the pledge carries a handwritten signature.
func (p Pledge) Drawn() bool { return p.SignatureKey != "" }

// Content is the text as shown and signed.
type Content struct {
	Title      string   `json:"title"`
	Version    string   `json:"version"`
	Year       int      `json:"year"`
	Paragraphs []string `json:"paragraphs"`
	// Party is who pledges: the business's or the cadre's name.
	Party string `json:"party"`
	// Cadre is the business's 包保干部 (a business's pledge).
	Cadre  string `json:"cadre,omitempty"`
	Office string `json:"office"`
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
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), c)
	case []byte:
		return json.Unmarshal(v, c)
	case nil:
		*c = Content{}
		return nil
	}
	return fmt.Errorf("pledge content: cannot scan %T", src)
}

// Pledge returns one pledge. NotFound if absent.
func (s *Service) Pledge(ctx context.Context, id int64) (*Pledge, error) {
	var p Pledge
	if err := s.db.Gorm(ctx).First(&p, id).Error; err != nil {
		return nil, db.NotFoundAs(err, msgNotFound)
	}
	return &p, nil
}

// History lists a subject's pledges, newest first.
func (s *Service) History(ctx context.Context, kind Kind, subjectID int64) ([]Pledge, error) {
	var ps []Pledge
	err := s.db.Gorm(ctx).Where("kind = ? AND subject_id = ?", kind, subjectID).Order("signed_at DESC, id DESC").Find(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("pledge history: %w", err)
	}
	return ps, nil
}

// URL is a subject's pledge page for a reader, valid for the configured
// link TTL: what the bot and the reminders send.
func (s *Service) URL(kind Kind, subjectID int64, reader registry.Actor) string {
	if s.links == nil {
		return ""
	}
	return s.links.Pledge(string(kind), subjectID, reader, s.now().Add(s.cfg.LinkTTL))
}
