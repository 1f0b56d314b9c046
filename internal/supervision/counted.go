package supervision

import (
	"fmt"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// SetCountedTx takes a visit off coverage (counted false: a review found it
// 不属实) or puts it back, in the caller's transaction, and records who did
// it and why in the audit log. The record itself is untouched: the visit,
// its findings and rectifications stay, and it shows as "不计入覆盖".
// NotFound for an unknown visit.
func (s *Service) SetCountedTx(tx *gorm.DB, visitID int64, counted bool, by registry.Actor, reason string) error {
	var v []struct {
		BusinessID int64
		Counted    bool
	}
	if err := tx.Raw("SELECT business_id, counted FROM visits WHERE id = ?", visitID).Scan(&v).Error; err != nil {
		return err
	}
	if len(v) == 0 {
		return errs.E(errs.NotFound, msgVisitNotFound)
	}
	if v[0].Counted == counted {
		return nil
	}
	if err := tx.Exec("UPDATE visits SET counted = ? WHERE id = ?", counted, visitID).Error; err != nil {
		return err
	}
	action, what := "visit.uncount", "takes visit %d off coverage: %s"
	if counted {
		action, what = "visit.count", "counts visit %d again: %s"
	}
	return registry.AuditTx(tx, audit.Entry{At: s.now(), Actor: string(by), Action: action,
		SubjectType: registry.AuditBusiness, SubjectID: v[0].BusinessID, Detail: fmt.Sprintf(what, visitID, reason)})
}
