package card

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/skip2/go-qrcode"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// Authorize says whether reader may open the business's own card (the
// signed H5 page, with phones in full): a contact of the business, the
// cadre who packs it now, or a manager of an office whose region covers
// it. Forbidden for anyone else; NotFound for an unknown business.
func (s *Service) Authorize(ctx context.Context, businessID int64, reader registry.Actor) error {
	b, err := s.reg.Business(ctx, businessID)
	if err != nil {
		return err
	}
	kind, id, ok := reader.Parse()
	if !ok {
		return errs.E(errs.Forbidden, msgForbidden)
	}
	switch kind {
	case "contact":
		c, err := s.accounts.Contact(ctx, id)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err == nil && c.BusinessID == b.ID {
			return nil
		}
	case "cadre":
		a, err := s.reg.CurrentAssignment(ctx, b.ID)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err == nil && a.CadreID == id {
			return nil
		}
	case "manager":
		if ok, err := s.reg.ManagerCovers(ctx, id, b.RegionID); err != nil || ok {
			return err
		}
	}
	return errs.E(errs.Forbidden, msgForbidden)
}

// AuthorizeVillage says whether reader may print a region's cards: an
// active cadre whose own region covers it (the village's cadre, the
// town's, the county's) or a manager of an office whose region covers
// it. Forbidden for anyone else; NotFound for an unknown region.
func (s *Service) AuthorizeVillage(ctx context.Context, regionID int64, reader registry.Actor) error {
	if _, err := s.reg.Region(ctx, regionID); err != nil {
		return err
	}
	kind, id, ok := reader.Parse()
	if !ok {
		return errs.E(errs.Forbidden, msgForbiddenList)
	}
	switch kind {
	case "cadre":
		c, err := s.reg.Cadre(ctx, id)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err == nil && c.Active {
			if ok, err := s.reg.Covers(ctx, c.RegionID, regionID); err != nil || ok {
				return err
			}
		}
	case "manager":
		if ok, err := s.reg.ManagerCovers(ctx, id, regionID); err != nil || ok {
			return err
		}
	}
	return errs.E(errs.Forbidden, msgForbiddenList)
}

// Ways a card is opened by someone known (the public's views from the QR
// code are counted, not recorded one by one: RecordPublicView).
const (
	ViaH5    = "h5"
	ViaPrint = "print"
)

// Read is one opening of a card: who (an actor such as "contact:12"), how,
// when, and which version was in force. The public's views from the QR
// code are counted apart (View).
type Read struct {
	ID         int64
	BusinessID int64
	Version    int
	Reader     registry.Actor
	Via        string
	ReadAt     time.Time
}

// TableName names the reads' table.
func (Read) TableName() string { return "card_reads" }

// RecordRead notes that reader opened the card of each business (one for
// a card, a village's for a printed sheet), in one statement.
func (s *Service) RecordRead(ctx context.Context, cards []Card, reader registry.Actor, via string) error {
	if len(cards) == 0 {
		return nil
	}
	now := s.now()
	rs := make([]Read, len(cards))
	for i, c := range cards {
		rs[i] = Read{BusinessID: c.BusinessID, Version: c.Version, Reader: reader, Via: via, ReadAt: now}
	}
	if err := s.db.Gorm(ctx).CreateInBatches(rs, 500).Error; err != nil {
		return fmt.Errorf("record card read: %w", err)
	}
	return nil
}

// View counts the public's views of a card on one day (China time) from
// one client.
type View struct {
	BusinessID int64
	// Day is the China-time date, "2026-11-28".
	Day string
	// Client is a keyed hash of the viewer's network, never the address.
	Client string
	// Version is the card's version at the last view.
	Version int
	Views   int
	FirstAt time.Time
	LastAt  time.Time
}

// TableName names the views' table.
func (View) TableName() string { return "card_views" }

// RecordPublicView counts a view of the public card from client (the
// viewer's network, as the web layer sees it: an IPv4 address or an IPv6
// /64) on today's row for that card and client: one upsert, so a busy
// shop's card costs a row per viewer and day however often it is opened,
// and instances sharing the database add to the same row.
func (s *Service) RecordPublicView(ctx context.Context, c Card, client string) error {
	now := s.now()
	mac := hmac.New(sha256.New, s.viewKey)
	mac.Write([]byte(client))
	v := View{BusinessID: c.BusinessID, Day: now.In(clock.China).Format("2006-01-02"),
		Client: hex.EncodeToString(mac.Sum(nil))[:32], Version: c.Version, Views: 1, FirstAt: now, LastAt: now}
	err := s.db.Gorm(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "business_id"}, {Name: "day"}, {Name: "client"}},
		DoUpdates: clause.Assignments(map[string]any{
			"views": gorm.Expr("views + 1"), "version": c.Version, "last_at": now,
		}),
	}).Create(&v).Error
	if err != nil {
		return fmt.Errorf("record public card view: %w", err)
	}
	return nil
}

// PublicViews lists the counted public views of a business's card, by
// day and client.
func (s *Service) PublicViews(ctx context.Context, businessID int64) ([]View, error) {
	var vs []View
	if err := s.db.Gorm(ctx).Where("business_id = ?", businessID).Order("day, first_at, client").Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("public card views: %w", err)
	}
	return vs, nil
}

// Reads lists who opened a business's card, oldest first.
func (s *Service) Reads(ctx context.Context, businessID int64) ([]Read, error) {
	var rs []Read
	if err := s.db.Gorm(ctx).Where("business_id = ?", businessID).Order("read_at, id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("card reads: %w", err)
	}
	return rs, nil
}

// QR encodes a card's public address as a PNG of size×size pixels, with
// enough error correction to survive a scuffed print.
func QR(publicURL string, size int) ([]byte, error) {
	if size < 64 || size > 2048 {
		size = 512
	}
	png, err := qrcode.Encode(publicURL, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("card QR code: %w", err)
	}
	return png, nil
}
