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

// A person's changes to who packs what in the console, each audited in
// the same transaction.

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
