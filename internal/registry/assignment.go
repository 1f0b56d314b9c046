package registry

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// Assignment says a cadre packs a business from StartedAt until EndedAt
// (nil while current). At most one assignment per business is current:
// ActiveBusinessID equals BusinessID while current and is NULL after, and a
// unique index on it enforces this on both engines (neither MySQL nor older
// SQLite has partial unique indexes everywhere we need them).
type Assignment struct {
	ID               int64
	BusinessID       int64
	CadreID          int64
	StartedAt        time.Time
	EndedAt          *time.Time
	ActiveBusinessID *int64
	Reason           string
	Actor            Actor
	CreatedAt        time.Time
}

// Assign makes cadreID the business's cadre from now on, ending the current
// assignment. Assigning the current cadre again changes nothing.
// Invalid when the cadre's level does not fit the grade (unless the rules
// allow a higher level) or the cadre's area does not cover the business,
// NotFound for unknown ids.
func (s *Service) Assign(ctx context.Context, businessID, cadreID int64, reason string, actor Actor) (*Assignment, error) {
	var a *Assignment
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		var err error
		a, err = s.AssignTx(tx, businessID, cadreID, reason, actor)
		return err
	})
	return a, db.Translate(err)
}

// AssignTx is Assign inside the caller's transaction.
func (s *Service) AssignTx(tx *gorm.DB, businessID, cadreID int64, reason string, actor Actor) (*Assignment, error) {
	var b Business
	if err := lockRow(tx).First(&b, businessID).Error; err != nil {
		return nil, db.NotFoundAs(err, msgBusinessNotFound)
	}
	var c Cadre
	if err := tx.First(&c, cadreID).Error; err != nil {
		return nil, db.NotFoundAs(err, msgCadreNotFound)
	}
	regions, err := regionsAroundTx(tx, b.RegionID, c.RegionID)
	if err != nil {
		return nil, err
	}
	if err := s.CheckAssignable(b, c, regions); err != nil {
		return nil, err
	}
	var cur Assignment
	err = tx.Where("active_business_id = ?", businessID).First(&cur).Error
	switch {
	case err == nil && cur.CadreID == cadreID:
		return &cur, nil
	case err == nil:
		if err := endAssignmentTx(tx, businessID, s.now().UTC()); err != nil {
			return nil, err
		}
	case !errs.Is(db.Translate(err), errs.NotFound):
		return nil, err
	}
	now := s.now().UTC()
	a := &Assignment{BusinessID: businessID, CadreID: cadreID, StartedAt: now, ActiveBusinessID: &b.ID,
		Reason: strings.TrimSpace(reason), Actor: actor, CreatedAt: now}
	if err := tx.Create(a).Error; err != nil {
		return nil, err
	}
	return a, nil
}

// CheckAssignable says whether c may pack b under the rules: an active
// cadre of the level b's grade calls for (or higher, when the rules allow
// it) whose area covers b's region (see Coverage). regions holds b's and
// c's regions with their ancestors. Invalid, with the reason, otherwise.
func (s *Service) CheckAssignable(b Business, c Cadre, regions *RegionTree) error {
	if !c.Active {
		return errs.E(errs.Invalid, msgCadreInactive, c.Name)
	}
	if b.Status == StatusDeregistered {
		return errs.E(errs.Invalid, msgDeregisteredNoPack, b.Name)
	}
	want := b.Grade.CadreLevel()
	switch {
	case c.Level == want:
	case c.Level.rank() > want.rank() && s.rules.AllowHigherLevelCadre:
	case c.Level.rank() > want.rank():
		return errs.E(errs.Invalid, msgLevelHigher, b.Grade, want.Label(), c.Name, c.Level.Label())
	default:
		return errs.E(errs.Invalid, msgLevelLower, b.Grade, want.Label(), c.Name, c.Level.Label())
	}
	return checkCovers(b, c, regions)
}

// Coverage is the region whose businesses c may pack: a city- or
// county-level cadre's own region, a town- or village-level cadre's town
// (village cadres help out across their town; one registered above the
// town level covers their own region). False when c's region is unknown.
func (t *RegionTree) Coverage(c Cadre) (Region, bool) {
	r, ok := t.ByID[c.RegionID]
	if !ok {
		return Region{}, false
	}
	if c.Level == CadreTown || c.Level == CadreVillage {
		if town, ok := t.Ancestor(r, LevelTown); ok {
			return town, true
		}
	}
	return r, true
}

// checkCovers refuses a cadre whose area does not cover the business's
// region: a cadre of one town must not pack (nor, through a handover,
// carry along) a business of another, which that town's office would then
// no longer see.
func checkCovers(b Business, c Cadre, regions *RegionTree) error {
	area, ok := regions.Coverage(c)
	where, known := regions.ByID[b.RegionID]
	if !ok || !known {
		return errs.E(errs.Invalid, msgRegionUnknown, b.Name, c.Name)
	}
	if area.Contains(where) {
		return nil
	}
	return errs.E(errs.Invalid, msgOutsideCoverage, c.Name, area.Name, b.Name, regions.Place(where))
}

// regionsAroundTx loads the given regions with their ancestors: what
// CheckAssignable needs of the tree for one business and cadre.
func regionsAroundTx(tx *gorm.DB, ids ...int64) (*RegionTree, error) {
	var own []Region
	if err := tx.Where("id IN ?", ids).Find(&own).Error; err != nil {
		return nil, fmt.Errorf("regions of assignment: %w", err)
	}
	seen := map[int64]bool{}
	var all []int64
	for _, r := range own {
		for _, id := range pathIDs(r.Path) {
			if !seen[id] {
				seen[id] = true
				all = append(all, id)
			}
		}
	}
	var rs []Region
	if len(all) > 0 {
		if err := tx.Where("id IN ?", all).Order("path").Find(&rs).Error; err != nil {
			return nil, fmt.Errorf("regions of assignment: %w", err)
		}
	}
	return NewRegionTree(rs), nil
}

func endAssignmentTx(tx *gorm.DB, businessID int64, at time.Time) error {
	return tx.Model(&Assignment{}).Where("active_business_id = ?", businessID).
		Updates(map[string]any{"ended_at": at, "active_business_id": nil}).Error
}

// Unassign ends a business's current assignment, if any.
func (s *Service) Unassign(ctx context.Context, businessID int64) error {
	return db.Translate(endAssignmentTx(s.db.Gorm(ctx), businessID, s.now().UTC()))
}

// CurrentAssignment returns the business's current assignment. NotFound if unassigned.
func (s *Service) CurrentAssignment(ctx context.Context, businessID int64) (*Assignment, error) {
	var a Assignment
	if err := s.db.Gorm(ctx).Where("active_business_id = ?", businessID).First(&a).Error; err != nil {
		return nil, db.NotFoundAs(err, msgNotAssigned)
	}
	return &a, nil
}

// AssignmentHistory lists a business's assignments, oldest first.
func (s *Service) AssignmentHistory(ctx context.Context, businessID int64) ([]Assignment, error) {
	var as []Assignment
	if err := s.db.Gorm(ctx).Where("business_id = ?", businessID).Order("started_at, id").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("assignment history: %w", err)
	}
	return as, nil
}

// AssignedBusinesses lists the businesses a cadre currently packs, by name.
func (s *Service) AssignedBusinesses(ctx context.Context, cadreID int64) ([]Business, error) {
	var bs []Business
	err := s.db.Gorm(ctx).Where("id IN (?)", s.db.Gorm(ctx).Model(&Assignment{}).Select("business_id").
		Where("cadre_id = ? AND active_business_id IS NOT NULL", cadreID)).Order("name, id").Find(&bs).Error
	if err != nil {
		return nil, fmt.Errorf("assigned businesses: %w", err)
	}
	return bs, nil
}

// Handover moves every business of one cadre to another in one transaction
// (a cadre leaves or changes post). It returns the businesses moved.
func (s *Service) Handover(ctx context.Context, fromCadreID, toCadreID int64, reason string, actor Actor) ([]int64, error) {
	if fromCadreID == toCadreID {
		return nil, errs.E(errs.Invalid, msgHandoverSame)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, errs.E(errs.Invalid, msgHandoverReason)
	}
	var moved []int64
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&Assignment{}).Where("cadre_id = ? AND active_business_id IS NOT NULL", fromCadreID).
			Order("business_id").Pluck("business_id", &moved).Error; err != nil {
			return err
		}
		for _, id := range moved {
			if _, err := s.AssignTx(tx, id, toCadreID, reason, actor); err != nil {
				return fmt.Errorf("business %d: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, db.Translate(err)
	}
	return moved, nil
}

// lockRow locks the selected row on MySQL; SQLite transactions are already
// serialised (IMMEDIATE) and it has no row locks.
func lockRow(tx *gorm.DB) *gorm.DB {
	if tx.Dialector.Name() == "mysql" {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}
