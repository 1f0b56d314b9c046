// Package card makes the "two responsibilities" knowledge cards (两个责任
// 知晓卡): each business's card names its cadre and the duties of both
// sides, from the register and the current assignment. A business gets
// its card in chat; the public sees it from the QR code on the shop's
// notice board, at a stable address with personal phone numbers masked;
// cadres print a village's cards to hand out. When a business's cadre
// changes, its card is reissued (a new version) and the business told,
// once per version. Who opened which card, when, is recorded.
package card

import (
	"context"
	"crypto/rand"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
)

// Enqueuer writes notifications to the outbox inside the caller's
// transaction (notify.Service).
type Enqueuer interface {
	EnqueueTx(tx *gorm.DB, msgs ...notify.Message) (int, error)
}

// Links builds the addresses of cards (signed by the web layer).
type Links interface {
	// Card is a business's own card for one reader, valid until expires.
	Card(businessID int64, reader registry.Actor, expires time.Time) string
	// PublicCard is the public card's stable address.
	PublicCard(code string) string
}

// Service makes and reissues cards.
type Service struct {
	db        *db.DB
	reg       *registry.Service
	accounts  *account.Service
	out       Enqueuer
	links     Links
	clock     clock.Clock
	frequency func(registry.Grade) string
	linkTTL   time.Duration
	hotline   string
	viewKey   []byte
}

// Option adjusts a Service.
type Option func(*Service)

// WithFrequency says how often a grade is visited, as printed on the card
// ("每季度"); the default is the seed document's (A yearly, B half-yearly,
// C and D quarterly). Pass the supervision rules' labels.
func WithFrequency(f func(registry.Grade) string) Option { return func(s *Service) { s.frequency = f } }

// WithLinkTTL sets how long the link in a card message stays valid (30 days).
func WithLinkTTL(d time.Duration) Option { return func(s *Service) { s.linkTTL = d } }

// WithViewKey keys the hash that stands for a public viewer in the view
// counts. Instances sharing a database must share the key (the service's
// secret), or one viewer counts once per instance; the default is a
// random key of this process.
func WithViewKey(key []byte) Option {
	return func(s *Service) { s.viewKey = append([]byte(nil), key...) }
}

// NewService returns the card service.
func NewService(d *db.DB, reg *registry.Service, accounts *account.Service, out Enqueuer, links Links, c clock.Clock, opts ...Option) *Service {
	if c == nil {
		c = clock.Real{}
	}
	s := &Service{db: d, reg: reg, accounts: accounts, out: out, links: links, clock: c,
		frequency: defaultFrequency, linkTTL: 30 * 24 * time.Hour, hotline: "12315"}
	for _, o := range opts {
		o(s)
	}
	if len(s.viewKey) == 0 {
		s.viewKey = make([]byte, 32)
		rand.Read(s.viewKey)
	}
	return s
}

func defaultFrequency(g registry.Grade) string {
	switch g {
	case registry.GradeA:
		return "每年"
	case registry.GradeB:
		return "每半年"
	}
	return "每季度"
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// Card is a business's knowledge card as shown: the register's details
// now, and the version issued. Phones are in full; Public masks them.
type Card struct {
	BusinessID int64
	// Code is the public card's slug; PublicURL its address.
	Code      string
	PublicURL string
	Version   int
	IssuedAt  time.Time

	Name string
	// RegisterCode is the credit code, or the licence number when none.
	RegisterCode string
	Address      string
	Category     registry.Category
	Grade        registry.Grade
	Town         string
	Village      string

	// Cadre is nil while nobody packs the business.
	Cadre     *Person
	Frequency string

	Principal, Director, Officer Person
	OfficeName                   string
	OfficePhone                  string
	StationPhone                 string
	Hotline                      string
	// Masked is true on the public card.
	Masked bool
}

// Person is a name with a post and a phone.
type Person struct {
	Name  string
	Post  string
	Phone string
}

// CategoryLabel is the business's category in Chinese.
func (c Card) CategoryLabel() string { return c.Category.Label() }

// Catering reports whether the business cooks (restaurant or canteen).
func (c Card) Catering() bool {
	return c.Category == registry.CategoryCatering || c.Category == registry.CategoryCanteen
}

// Public is the card as the public sees it: the principal's, director's
// and officer's phones masked (138****5678); the cadre's work line and
// the office and station lines stay, as they are there to be called.
func (c Card) Public() Card {
	c.Masked = true
	for _, p := range []*Person{&c.Principal, &c.Director, &c.Officer} {
		if p.Phone != "" {
			p.Phone = registry.MaskPhone(p.Phone)
		}
	}
	return c
}

// row is a cards row: the card in force.
type row struct {
	BusinessID int64 `gorm:"primaryKey;autoIncrement:false"`
	Code       string
	Version    int
	CadreID    int64
	IssuedAt   time.Time
	CreatedAt  time.Time
}

func (row) TableName() string { return "cards" }

// Version is one issue of a card.
type Version struct {
	BusinessID int64 `gorm:"primaryKey;autoIncrement:false"`
	Version    int   `gorm:"primaryKey;autoIncrement:false"`
	CadreID    int64
	Reason     string
	IssuedAt   time.Time
}

// TableName names the versions' table.
func (Version) TableName() string { return "card_versions" }

var codePattern = regexp.MustCompile(`^[a-z2-7]{10}$`)

// ValidCode reports whether s looks like a public card code, so a
// request for anything else is refused before the database is asked.
func ValidCode(s string) bool { return codePattern.MatchString(s) }

// newCode is a public code: ten base-32 characters, 50 random bits.
func newCode() string { return strings.ToLower(rand.Text()[:10]) }

// ensure returns the business's card row, issuing version 1 (under its
// current cadre, without telling anyone) when it has none.
func (s *Service) ensure(ctx context.Context, businessID int64) (*row, error) {
	rows, err := s.ensureAll(ctx, []int64{businessID})
	if err != nil {
		return nil, err
	}
	r, ok := rows[businessID]
	if !ok {
		return nil, errs.E(errs.NotFound, msgNoBusiness)
	}
	return r, nil
}

// ensureAll is ensure for many businesses: a fixed number of statements.
// Unknown ids are left out.
func (s *Service) ensureAll(ctx context.Context, ids []int64) (map[int64]*row, error) {
	out := map[int64]*row{}
	for attempt := 1; ; attempt++ {
		var have []row
		if err := s.db.Gorm(ctx).Where("business_id IN ?", ids).Find(&have).Error; err != nil {
			return nil, fmt.Errorf("cards: %w", err)
		}
		for i := range have {
			out[have[i].BusinessID] = &have[i]
		}
		var missing []int64
		for _, id := range ids {
			if out[id] == nil {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			return out, nil
		}
		var known []int64
		if err := s.db.Gorm(ctx).Model(&registry.Business{}).Where("id IN ?", missing).Order("id").Pluck("id", &known).Error; err != nil {
			return nil, fmt.Errorf("cards: %w", err)
		}
		if len(known) == 0 {
			return out, nil
		}
		cadres, err := s.cadresOf(s.db.Gorm(ctx), known)
		if err != nil {
			return nil, err
		}
		now := s.now()
		rs := make([]row, len(known))
		vs := make([]Version, len(known))
		for i, id := range known {
			rs[i] = row{BusinessID: id, Code: newCode(), Version: 1, CadreID: cadres[id], IssuedAt: now, CreatedAt: now}
			vs[i] = Version{BusinessID: id, Version: 1, CadreID: cadres[id], Reason: reasonFirst, IssuedAt: now}
		}
		err = s.db.InTx(ctx, func(tx *gorm.DB) error {
			if err := tx.CreateInBatches(rs, 500).Error; err != nil {
				return err
			}
			return tx.CreateInBatches(vs, 500).Error
		})
		switch {
		case err == nil:
			for i := range rs {
				out[rs[i].BusinessID] = &rs[i]
			}
			return out, nil
		case (errs.Is(err, errs.Conflict) || errs.Is(err, errs.Unavailable)) && attempt < 3 && ctx.Err() == nil:
			// Another request issued some of them first: read them back.
			continue
		}
		return nil, fmt.Errorf("issue cards: %w", err)
	}
}

// cadresOf maps businesses to the cadre packing each now (absent: none).
func (s *Service) cadresOf(q *gorm.DB, ids []int64) (map[int64]int64, error) {
	var as []registry.Assignment
	if err := q.Where("active_business_id IN ?", ids).Find(&as).Error; err != nil {
		return nil, fmt.Errorf("current assignments: %w", err)
	}
	out := make(map[int64]int64, len(as))
	for _, a := range as {
		out[a.BusinessID] = a.CadreID
	}
	return out, nil
}

// Card returns the business's current card, issuing its first version if
// it has none. NotFound for an unknown business.
func (s *Service) Card(ctx context.Context, businessID int64) (*Card, error) {
	cs, err := s.cards(ctx, []int64{businessID})
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, errs.E(errs.NotFound, msgNoBusiness)
	}
	return &cs[0], nil
}

// ByCode returns the business a public code names. NotFound if none.
func (s *Service) ByCode(ctx context.Context, code string) (int64, error) {
	if !ValidCode(code) {
		return 0, errs.E(errs.NotFound, msgNoCard)
	}
	var r row
	if err := s.db.Gorm(ctx).Where("code = ?", code).First(&r).Error; err != nil {
		return 0, db.NotFoundAs(err, msgNoCard)
	}
	return r.BusinessID, nil
}

// PublicURL is the stable public address of the business's card (what its
// QR code holds). The code is made on first use and never changes.
func (s *Service) PublicURL(ctx context.Context, businessID int64) (string, error) {
	r, err := s.ensure(ctx, businessID)
	if err != nil {
		return "", err
	}
	return s.publicURL(r.Code), nil
}

func (s *Service) publicURL(code string) string {
	if s.links == nil {
		return "/c/" + code
	}
	return s.links.PublicCard(code)
}

// URL is the business's own card for a reader ("contact:12"), valid for
// the link TTL: the address the bot's news message points to.
func (s *Service) URL(businessID int64, reader registry.Actor) string {
	if s.links == nil {
		return ""
	}
	return s.links.Card(businessID, reader, s.now().Add(s.linkTTL))
}

// Village lists the cards of a region's businesses (a village's, for the
// printed sheet), deregistered ones left out, by name. A fixed number of
// queries however many businesses. NotFound for an unknown region.
func (s *Service) Village(ctx context.Context, regionID int64) ([]Card, error) {
	r, err := s.reg.Region(ctx, regionID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	err = s.db.Gorm(ctx).Model(&registry.Business{}).
		Where("region_id IN (?) AND status <> ?", s.db.Gorm(ctx).Model(&registry.Region{}).Select("id").Where("path LIKE ?", r.Path+"%"),
			registry.StatusDeregistered).Order("name, id").Limit(maxSheet).Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("village cards: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return s.cards(ctx, ids)
}

// maxSheet caps a printed sheet; a village has a hundred or so businesses.
const maxSheet = 2000

// cards builds the cards of businesses, in the order given, in a fixed
// number of queries.
func (s *Service) cards(ctx context.Context, ids []int64) ([]Card, error) {
	rows, err := s.ensureAll(ctx, ids)
	if err != nil {
		return nil, err
	}
	g := s.db.Gorm(ctx)
	var bs []registry.Business
	if err := g.Where("id IN ?", ids).Find(&bs).Error; err != nil {
		return nil, fmt.Errorf("cards: businesses: %w", err)
	}
	byID := make(map[int64]*registry.Business, len(bs))
	var cadreIDs []int64
	for i := range bs {
		byID[bs[i].ID] = &bs[i]
	}
	current, err := s.cadresOf(g, ids)
	if err != nil {
		return nil, err
	}
	for _, c := range current {
		cadreIDs = append(cadreIDs, c)
	}
	cadres := map[int64]registry.Cadre{}
	if len(cadreIDs) > 0 {
		var cs []registry.Cadre
		if err := g.Where("id IN ?", cadreIDs).Find(&cs).Error; err != nil {
			return nil, fmt.Errorf("cards: cadres: %w", err)
		}
		for _, c := range cs {
			cadres[c.ID] = c
		}
	}
	tree, offices, err := s.places(g, bs)
	if err != nil {
		return nil, err
	}
	out := make([]Card, 0, len(ids))
	for _, id := range ids {
		b, r := byID[id], rows[id]
		if b == nil || r == nil {
			continue
		}
		c := Card{
			BusinessID: b.ID, Code: r.Code, PublicURL: s.publicURL(r.Code), Version: r.Version, IssuedAt: r.IssuedAt,
			Name: b.Name, RegisterCode: b.Code(), Address: b.Address, Category: b.Category, Grade: b.Grade,
			Frequency: s.frequency(b.Grade), Hotline: s.hotline,
			Principal: Person{Name: b.Principal, Post: msgPrincipal, Phone: b.PrincipalPhone},
			Director:  Person{Name: b.Director, Post: msgDirector, Phone: b.DirectorPhone},
			Officer:   Person{Name: b.Officer, Post: msgOfficer, Phone: b.OfficerPhone},
		}
		c.Town, c.Village = tree.TownVillage(b.RegionID)
		if cid, ok := current[b.ID]; ok {
			if cd, ok := cadres[cid]; ok {
				c.Cadre = &Person{Name: cd.Name, Post: cadrePost(cd), Phone: cd.WorkPhone}
			}
		}
		if o := officeIn(tree, offices, b.RegionID); o != nil {
			c.OfficeName, c.OfficePhone, c.StationPhone = o.Name, o.Phone, o.StationPhone
		}
		out = append(out, c)
	}
	return out, nil
}

// places loads the regions the businesses lie in with their ancestors,
// and the offices over them: three small queries, however many cards.
func (s *Service) places(g *gorm.DB, bs []registry.Business) (*registry.RegionTree, []registry.Office, error) {
	var own []int64
	for _, b := range bs {
		own = append(own, b.RegionID)
	}
	if len(own) == 0 {
		return registry.NewRegionTree(nil), nil, nil
	}
	var paths []string
	if err := g.Model(&registry.Region{}).Where("id IN ?", own).Distinct().Pluck("path", &paths).Error; err != nil {
		return nil, nil, fmt.Errorf("cards: regions: %w", err)
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, p := range paths {
		for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
			if id, err := strconv.ParseInt(part, 10, 64); err == nil && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	var regions []registry.Region
	if err := g.Where("id IN ?", ids).Find(&regions).Error; err != nil {
		return nil, nil, fmt.Errorf("cards: regions: %w", err)
	}
	var offices []registry.Office
	if err := g.Where("region_id IN ?", ids).Find(&offices).Error; err != nil {
		return nil, nil, fmt.Errorf("cards: offices: %w", err)
	}
	return registry.NewRegionTree(regions), offices, nil
}

// cadrePost is the cadre's post, or their level when none is recorded.
func cadrePost(c registry.Cadre) string {
	if c.Post != "" {
		return c.Post
	}
	return c.Level.Label() + msgCadreSuffix
}

// officeIn finds the office nearest above a region.
func officeIn(tree *registry.RegionTree, offices []registry.Office, regionID int64) *registry.Office {
	r, ok := tree.ByID[regionID]
	if !ok {
		return nil
	}
	for {
		for i := range offices {
			if offices[i].RegionID == r.ID {
				return &offices[i]
			}
		}
		if r.ParentID == nil {
			return nil
		}
		if r, ok = tree.ByID[*r.ParentID]; !ok {
			return nil
		}
	}
}

// reasons are why a card was issued, in its history.
const reasonFirst = "首次发放"
