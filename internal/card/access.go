package card

import (
	"context"
	"fmt"
	"time"

	"github.com/skip2/go-qrcode"

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
	kind, id, ok := parseActor(reader)
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
		if ok, err := s.managerCovers(ctx, id, b.RegionID); err != nil || ok {
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
	kind, id, ok := parseActor(reader)
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
			if ok, err := s.covers(ctx, c.RegionID, regionID); err != nil || ok {
				return err
			}
		}
	case "manager":
		if ok, err := s.managerCovers(ctx, id, regionID); err != nil || ok {
			return err
		}
	}
	return errs.E(errs.Forbidden, msgForbiddenList)
}

// managerCovers reports whether an active manager's office covers a region.
func (s *Service) managerCovers(ctx context.Context, managerID, regionID int64) (bool, error) {
	m, err := s.reg.Manager(ctx, managerID)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	if err != nil || !m.Active {
		return false, err
	}
	o, err := s.reg.Office(ctx, m.OfficeID)
	if err != nil {
		return false, err
	}
	return s.covers(ctx, o.RegionID, regionID)
}

// covers reports whether region outer contains region inner.
func (s *Service) covers(ctx context.Context, outer, inner int64) (bool, error) {
	o, err := s.reg.Region(ctx, outer)
	if err != nil {
		return false, err
	}
	in, err := s.reg.Region(ctx, inner)
	if err != nil {
		return false, err
	}
	return o.Contains(*in), nil
}

// Ways a card is opened.
const (
	ViaH5     = "h5"
	ViaPublic = "public"
	ViaPrint  = "print"
)

// Read is one opening of a card: who (an actor such as "contact:12", or
// "public" for the QR code), how, when, and which version was in force.
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
