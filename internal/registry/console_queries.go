package registry

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// This file holds what the managers' console needs of the register beyond
// the services above: lookups limited to a region subtree (an id outside
// it is NotFound, so the console never reveals that it exists) and the
// console's changes, each audited in its own transaction.

// inScopeTx limits q (a query whose region column is column) to the region
// subtree scopePath ("" for everything).
func inScopeTx(q *gorm.DB, column, scopePath string) *gorm.DB {
	if scopePath == "" {
		return q
	}
	return q.Where(column+" IN (?)", q.Session(&gorm.Session{NewDB: true}).Model(&Region{}).Select("id").
		Where("path LIKE ?", escapeLike(scopePath)+"%"))
}

// BusinessInScope returns a business of the region subtree scopePath ("" for
// everything). NotFound when it is absent or lies outside the subtree.
func (s *Service) BusinessInScope(ctx context.Context, id int64, scopePath string) (*Business, error) {
	var b Business
	q := inScopeTx(s.db.Gorm(ctx).Model(&Business{}), "region_id", scopePath)
	if err := q.Where("id = ?", id).First(&b).Error; err != nil {
		return nil, db.NotFoundAs(err, "主体不存在")
	}
	return &b, nil
}

// CadreInScope returns a cadre of the region subtree scopePath. NotFound
// when absent or outside it.
func (s *Service) CadreInScope(ctx context.Context, id int64, scopePath string) (*Cadre, error) {
	var c Cadre
	q := inScopeTx(s.db.Gorm(ctx).Model(&Cadre{}), "region_id", scopePath)
	if err := q.Where("id = ?", id).First(&c).Error; err != nil {
		return nil, db.NotFoundAs(err, "干部不存在")
	}
	return &c, nil
}

// RegionInScope returns a region of the subtree scopePath. NotFound when
// absent or outside it.
func (s *Service) RegionInScope(ctx context.Context, id int64, scopePath string) (*Region, error) {
	r, err := s.Region(ctx, id)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(r.Path, scopePath) {
		return nil, errs.E(errs.NotFound, "区域不存在")
	}
	return r, nil
}

// ManagerInScope returns a manager whose office's region lies in the
// subtree scopePath. NotFound when absent or outside it.
func (s *Service) ManagerInScope(ctx context.Context, id int64, scopePath string) (*Manager, error) {
	var m Manager
	g := s.db.Gorm(ctx)
	q := g.Model(&Manager{}).Where("id = ?", id)
	if scopePath != "" {
		q = q.Where("office_id IN (?)", inScopeTx(g.Model(&Office{}).Select("id"), "region_id", scopePath))
	}
	if err := q.First(&m).Error; err != nil {
		return nil, db.NotFoundAs(err, "管理人员不存在")
	}
	return &m, nil
}

// ManagerRef is a manager with the office they work for.
type ManagerRef struct {
	Manager
	OfficeName string
}

// ManagersInScope lists the active managers of the offices in a region
// subtree, by office and name. One query.
func (s *Service) ManagersInScope(ctx context.Context, scopePath string) ([]ManagerRef, error) {
	g := s.db.Gorm(ctx)
	q := g.Table("managers m").Select("m.*, o.name AS office_name").Joins("JOIN offices o ON o.id = m.office_id").
		Where("m.active = ?", true)
	if scopePath != "" {
		q = q.Where("o.region_id IN (?)", g.Model(&Region{}).Select("id").Where("path LIKE ?", escapeLike(scopePath)+"%"))
	}
	var out []ManagerRef
	if err := q.Order("o.region_id, m.name, m.id").Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("managers in scope: %w", err)
	}
	return out, nil
}

// AssignedBusinessesInScope lists the businesses a cadre packs now that lie
// in the region subtree scopePath ("" for everything), by name: a cadre's
// page shows a town's office none of another town's businesses, even one
// packed across the boundary before the register refused that.
func (s *Service) AssignedBusinessesInScope(ctx context.Context, cadreID int64, scopePath string) ([]Business, error) {
	g := s.db.Gorm(ctx)
	q := inScopeTx(g.Model(&Business{}), "region_id", scopePath).Where("id IN (?)", g.Model(&Assignment{}).Select("business_id").
		Where("cadre_id = ? AND active_business_id IS NOT NULL", cadreID))
	var bs []Business
	if err := q.Order("name, id").Find(&bs).Error; err != nil {
		return nil, fmt.Errorf("assigned businesses in scope: %w", err)
	}
	return bs, nil
}

// CadreLoads counts the businesses of the region subtree scopePath ("" for
// everything) each cadre packs now. One query per thousand cadres.
func (s *Service) CadreLoads(ctx context.Context, cadreIDs []int64, scopePath string) (map[int64]int, error) {
	out := make(map[int64]int, len(cadreIDs))
	if len(cadreIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		CadreID int64
		N       int
	}
	err := inChunks(cadreIDs, func(chunk []int64) error {
		var part []struct {
			CadreID int64
			N       int
		}
		g := s.db.Gorm(ctx)
		q := g.Model(&Assignment{}).Select("cadre_id, COUNT(*) AS n").Where("cadre_id IN ? AND active_business_id IS NOT NULL", chunk)
		if scopePath != "" {
			q = q.Where("business_id IN (?)", inScopeTx(g.Model(&Business{}).Select("id"), "region_id", scopePath))
		}
		if err := q.Group("cadre_id").Scan(&part).Error; err != nil {
			return err
		}
		rows = append(rows, part...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cadre loads: %w", err)
	}
	for _, r := range rows {
		out[r.CadreID] = r.N
	}
	return out, nil
}

// CadresByID returns the cadres with the given ids (unknown ids left out).
func (s *Service) CadresByID(ctx context.Context, ids []int64) (map[int64]*Cadre, error) {
	return s.cadresByID(ctx, ids)
}

// AssignAudited is Assign with an audit entry ("assignment.change") in the
// same transaction, for a person's change in the console.
func (s *Service) AssignAudited(ctx context.Context, businessID, cadreID int64, reason string, actor Actor) (*Assignment, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, errs.InvalidFields("请填写调整原因", errs.FieldError{Field: "reason", Reason: "请填写调整原因"})
	}
	var a *Assignment
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		var prev []int64
		if err := tx.Model(&Assignment{}).Where("active_business_id = ?", businessID).Pluck("cadre_id", &prev).Error; err != nil {
			return err
		}
		var err error
		if a, err = s.AssignTx(tx, businessID, cadreID, reason, actor); err != nil {
			return err
		}
		from := int64(0)
		if len(prev) > 0 {
			from = prev[0]
		}
		if from == cadreID {
			return nil
		}
		return AuditTx(tx, audit.Entry{At: s.now(), Actor: string(actor), Action: "assignment.change",
			SubjectType: "business", SubjectID: businessID,
			Detail: fmt.Sprintf("cadre %d → %d; %s", from, cadreID, strings.TrimSpace(reason))})
	})
	if err != nil {
		return nil, fmt.Errorf("reassign business %d: %w", businessID, db.Translate(err))
	}
	return a, nil
}

// HandoverAudited moves the businesses of one cadre that lie in the
// region subtree scopePath ("" for everything) to another cadre in one
// transaction, a person's change in the console: an audit entry about the
// cadre ("cadre.handover") and one about each business moved
// ("assignment.change", in the log of the business's town). A business
// outside the subtree stays with its cadre: it is another office's to
// hand over. The receiving cadre must be active, fit every business's
// grade and cover its region; nothing moves otherwise, and the Invalid
// error names the business in the way.
func (s *Service) HandoverAudited(ctx context.Context, fromCadreID, toCadreID int64, scopePath, reason string, actor Actor) ([]int64, error) {
	reason = strings.TrimSpace(reason)
	if fromCadreID == toCadreID {
		return nil, errs.E(errs.Invalid, "交接双方不能是同一人")
	}
	if reason == "" {
		return nil, errs.InvalidFields("请填写交接原因", errs.FieldError{Field: "reason", Reason: "请填写交接原因"})
	}
	var moved []int64
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&Assignment{}).Where("cadre_id = ? AND active_business_id IS NOT NULL", fromCadreID)
		if scopePath != "" {
			q = q.Where("business_id IN (?)", inScopeTx(tx.Session(&gorm.Session{NewDB: true}).Model(&Business{}).Select("id"), "region_id", scopePath))
		}
		if err := q.Order("business_id").Pluck("business_id", &moved).Error; err != nil {
			return err
		}
		for _, id := range moved {
			if _, err := s.AssignTx(tx, id, toCadreID, reason, actor); err != nil {
				var b Business
				if tx.Select("name").First(&b, id).Error == nil && errs.KindOf(err) == errs.Invalid {
					return errs.Wrap(errs.Invalid, err, fmt.Sprintf("「%s」：%s", b.Name, errs.MessageOf(err)))
				}
				return err
			}
			if err := AuditTx(tx, audit.Entry{At: s.now(), Actor: string(actor), Action: "assignment.change",
				SubjectType: AuditBusiness, SubjectID: id,
				Detail: fmt.Sprintf("cadre %d → %d; handover: %s", fromCadreID, toCadreID, reason)}); err != nil {
				return err
			}
		}
		return AuditTx(tx, audit.Entry{At: s.now(), Actor: string(actor), Action: "cadre.handover",
			SubjectType: "cadre", SubjectID: fromCadreID,
			Detail: fmt.Sprintf("to cadre %d, %d businesses; %s", toCadreID, len(moved), reason)})
	})
	if err != nil {
		return nil, fmt.Errorf("handover: %w", db.Translate(err))
	}
	return moved, nil
}

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
