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

// CadreLoads counts the businesses each cadre packs now. One query.
func (s *Service) CadreLoads(ctx context.Context, cadreIDs []int64) (map[int64]int, error) {
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
		if err := s.db.Gorm(ctx).Model(&Assignment{}).Select("cadre_id, COUNT(*) AS n").
			Where("cadre_id IN ? AND active_business_id IS NOT NULL", chunk).Group("cadre_id").Scan(&part).Error; err != nil {
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

// HandoverAudited is Handover with an audit entry ("cadre.handover") in the
// same transaction. The receiving cadre must be active and fit every
// business's grade; nothing moves otherwise.
func (s *Service) HandoverAudited(ctx context.Context, fromCadreID, toCadreID int64, reason string, actor Actor) ([]int64, error) {
	reason = strings.TrimSpace(reason)
	if fromCadreID == toCadreID {
		return nil, errs.E(errs.Invalid, "交接双方不能是同一人")
	}
	if reason == "" {
		return nil, errs.InvalidFields("请填写交接原因", errs.FieldError{Field: "reason", Reason: "请填写交接原因"})
	}
	var moved []int64
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&Assignment{}).Where("cadre_id = ? AND active_business_id IS NOT NULL", fromCadreID).
			Order("business_id").Pluck("business_id", &moved).Error; err != nil {
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

// MoveBusinessTx registers a business in another region inside the
// caller's transaction (a relocation the office approved). Invalid for an
// unknown region.
func (s *Service) MoveBusinessTx(tx *gorm.DB, businessID, regionID int64) error {
	if err := requireRegion(tx, regionID); err != nil {
		return err
	}
	res := tx.Model(&Business{}).Where("id = ?", businessID).Updates(map[string]any{"region_id": regionID, "updated_at": s.now().UTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return errs.E(errs.NotFound, "主体不存在")
	}
	return nil
}
