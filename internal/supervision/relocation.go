package supervision

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// Relocation request statuses.
const (
	RelocationPending  = "pending"
	RelocationApproved = "approved"
	RelocationRejected = "rejected"
)

// RelocationRequest asks the office to reassign a business a cadre found
// moved (搬迁): it may now lie in another village, with another cadre.
// The office decides; the reassignment itself is the register's.
type RelocationRequest struct {
	ID         int64
	BusinessID int64
	VisitID    int64
	Note       string
	Status     string
	DecidedBy  registry.Actor
	DecidedAt  *time.Time
	CreatedAt  time.Time
}

// RelocationRequests lists the pending requests for businesses in a
// region subtree, oldest first.
func (s *Service) RelocationRequests(ctx context.Context, scopePath string) ([]RelocationRequest, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, err
	}
	var rs []RelocationRequest
	err := s.db.Gorm(ctx).Where("status = ? AND business_id IN (?)", RelocationPending, businessesIn(s.db.Gorm(ctx), scopePath)).
		Order("id").Find(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("relocation requests: %w", err)
	}
	return rs, nil
}

// DecideRelocation records the office's decision on a pending request.
// NotFound for an unknown request, Conflict when already decided.
func (s *Service) DecideRelocation(ctx context.Context, id int64, approve bool, by registry.Actor) error {
	status := RelocationRejected
	if approve {
		status = RelocationApproved
	}
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&RelocationRequest{}).Where("id = ? AND status = ?", id, RelocationPending).
			Updates(map[string]any{"status": status, "decided_by": by, "decided_at": now})
		if res.Error != nil {
			return fmt.Errorf("decide relocation: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			var r RelocationRequest
			if err := tx.First(&r, id).Error; err != nil {
				return db.NotFoundAs(err, msgRelocationNotFound)
			}
			return errs.E(errs.Conflict, msgRelocationDecided)
		}
		return nil
	})
}

// businessesIn selects the ids of businesses in a region subtree.
func businessesIn(q *gorm.DB, scopePath string) *gorm.DB {
	return q.Table("businesses").Select("id").Where("region_id IN (?)", regionsIn(q, scopePath))
}

func regionsIn(q *gorm.DB, scopePath string) *gorm.DB {
	return q.Table("regions").Select("id").Where("path LIKE ?", scopePath+"%")
}

// checkScope accepts a region path ("/1/2/7/"). Paths hold digits and
// slashes only, so they need no LIKE escaping.
func checkScope(path string) error {
	if len(path) < 3 || path[0] != '/' || path[len(path)-1] != '/' || strings.Trim(path, "/0123456789") != "" || strings.Contains(path, "//") {
		return errs.E(errs.Invalid, msgBadScope)
	}
	return nil
}
