package registry

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// RelocateBusinessTx registers a business in another region inside the
// caller's transaction (a relocation the office approved) and settles who
// packs it there. cadreID, when not 0, becomes its cadre, checked as by
// AssignTx. Without one, a move to another town ends the current
// assignment — the old town's cadre does not pack it there; a cadre of the
// new town is to be assigned — and a move within the town keeps the
// current cadre, whose area must cover the new region (Invalid otherwise).
// It reports whether the business left its town. Invalid for an unknown
// region, NotFound for an unknown business.
func (s *Service) RelocateBusinessTx(tx *gorm.DB, businessID, regionID, cadreID int64, reason string, actor Actor) (otherTown bool, err error) {
	if err := requireRegion(tx, regionID); err != nil {
		return false, err
	}
	var b Business
	if err := lockRow(tx).First(&b, businessID).Error; err != nil {
		return false, db.NotFoundAs(err, "主体不存在")
	}
	regions, err := regionsAroundTx(tx, b.RegionID, regionID)
	if err != nil {
		return false, err
	}
	otherTown = regions.TownOrSelf(b.RegionID).ID != regions.TownOrSelf(regionID).ID
	res := tx.Model(&Business{}).Where("id = ?", businessID).Updates(map[string]any{"region_id": regionID, "updated_at": s.now().UTC()})
	if res.Error != nil {
		return false, res.Error
	}
	switch {
	case cadreID != 0:
		_, err = s.AssignTx(tx, businessID, cadreID, reason, actor)
		return otherTown, err
	case otherTown:
		return true, endAssignmentTx(tx, businessID, s.now().UTC())
	}
	var cur Assignment
	switch err := tx.Where("active_business_id = ?", businessID).First(&cur).Error; {
	case errs.Is(db.Translate(err), errs.NotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	var c Cadre
	if err := tx.First(&c, cur.CadreID).Error; err != nil {
		return false, err
	}
	if regions, err = regionsAroundTx(tx, regionID, c.RegionID); err != nil {
		return false, err
	}
	b.RegionID = regionID
	return false, checkCovers(b, c, regions)
}

// Move is where a business now is, as the office approved it.
type Move struct {
	// Address is the new address, required.
	Address string
	// Lat and Lng are the new coordinates, both or neither. Without them
	// the business is flagged and the next on-site visit locates it.
	Lat, Lng *float64
	// When is the day the move was seen; Actor who approved it.
	When  time.Time
	Actor Actor
}

// MoveTx writes a business's new address and coordinates inside the
// caller's transaction, and records in its status history a relocation
// event that keeps the old address and coordinates. Invalid for an empty
// or too long address or half a coordinate pair, NotFound for an unknown
// business, Conflict for a deregistered one.
func (s *Service) MoveTx(tx *gorm.DB, businessID int64, m Move) error {
	m.Address = strings.TrimSpace(m.Address)
	switch {
	case m.Address == "":
		return errs.InvalidFields(msgMoveAddress, errs.FieldError{Field: "address", Reason: msgMoveAddress})
	case len([]rune(m.Address)) > 255:
		return errs.InvalidFields(msgAddressLong, errs.FieldError{Field: "address", Reason: msgAddressLong})
	case (m.Lat == nil) != (m.Lng == nil):
		return errs.E(errs.Invalid, msgHalfCoordinate)
	}
	var b Business
	if err := lockRow(tx).First(&b, businessID).Error; err != nil {
		return db.NotFoundAs(err, msgBusinessNotFound)
	}
	if b.Status == StatusDeregistered {
		return errs.E(errs.Conflict, msgStatusDeregistered, b.Name)
	}
	now := s.now().UTC()
	if m.When.IsZero() {
		m.When = now
	}
	note := fmt.Sprintf(msgMovedNote, b.Address, place(b.Latitude, b.Longitude), m.Address, place(m.Lat, m.Lng))
	ev := &BusinessEvent{BusinessID: b.ID, Kind: EventRelocated, EffectiveOn: m.When.UTC(), Note: note,
		Actor: m.Actor, Source: SourceConsole, CreatedAt: now}
	if err := tx.Create(ev).Error; err != nil {
		return err
	}
	return tx.Model(&Business{}).Where("id = ?", b.ID).Updates(map[string]any{"address": m.Address,
		"latitude": m.Lat, "longitude": m.Lng, "locate_pending": m.Lat == nil, "updated_at": now}).Error
}

// place says where coordinates put a business, or that they are unknown.
func place(lat, lng *float64) string {
	if lat == nil || lng == nil {
		return msgNoCoordinates
	}
	return fmt.Sprintf(msgCoordinates, strconv.FormatFloat(*lat, 'f', 6, 64), strconv.FormatFloat(*lng, 'f', 6, 64))
}

// LocateTx gives a business flagged by MoveTx the coordinates of an
// on-site visit, inside the visit's transaction, and clears the flag. It
// reports whether it did: a business not flagged keeps its own.
func (s *Service) LocateTx(tx *gorm.DB, businessID int64, lat, lng float64) (bool, error) {
	res := tx.Model(&Business{}).Where("id = ? AND locate_pending = ?", businessID, true).
		Updates(map[string]any{"latitude": lat, "longitude": lng, "locate_pending": false, "updated_at": s.now().UTC()})
	return res.RowsAffected > 0, res.Error
}
