package query

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// RelocationPending is the status of a relocation request not yet decided,
// as supervision stores it.
const RelocationPending = "pending"

// RelocationLine is a relocation request as the console lists it: the
// business where it is registered now, and the cadre whose visit reported
// the move. Status is supervision's word; DecidedBy who decided it.
type RelocationLine struct {
	ID          int64
	BusinessID  int64
	VisitID     int64
	Note        string
	Status      string
	DecidedBy   string
	DecidedAt   *time.Time
	CreatedAt   time.Time
	Business    string
	Address     string
	RegionID    int64
	Village     string
	CadreID     int64
	CadreName   string
	SubmittedAt time.Time
}

func (r *Reader) relocations(ctx context.Context, scopePath string) *gorm.DB {
	q := r.db.Gorm(ctx).Table("relocation_requests q").Select(`q.id, q.business_id, q.visit_id, q.note, q.status,
	q.decided_by, q.decided_at, q.created_at, b.name AS business, b.address, b.region_id, r.name AS village,
	v.cadre_id, COALESCE(c.name, '') AS cadre_name, v.submitted_at`).
		Joins("JOIN businesses b ON b.id = q.business_id").
		Joins("JOIN regions r ON r.id = b.region_id").
		Joins("LEFT JOIN visits v ON v.id = q.visit_id").
		Joins("LEFT JOIN cadres c ON c.id = v.cadre_id")
	if scopePath != "" {
		q = q.Where(subtree("r.path"), subtreeArg(scopePath))
	}
	return q
}

// Relocations lists the relocation requests of a region subtree with the
// given status ("" for all): pending ones oldest first, then decided ones
// newest first. One query; at most 500.
func (r *Reader) Relocations(ctx context.Context, scopePath, status string) ([]RelocationLine, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, err
	}
	q := r.relocations(ctx, scopePath)
	if status != "" {
		q = q.Where("q.status = ?", status)
	}
	var rows []RelocationLine
	err := q.Order("CASE WHEN q.status = 'pending' THEN 0 ELSE 1 END, CASE WHEN q.status = 'pending' THEN q.id ELSE -q.id END").
		Limit(500).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("relocations: %w", db.Translate(err))
	}
	return rows, nil
}

// Relocation returns a relocation request of a business in the subtree.
// NotFound when absent or outside, so a page never reveals what lies
// outside a user's scope.
func (r *Reader) Relocation(ctx context.Context, id int64, scopePath string) (*RelocationLine, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, err
	}
	var rows []RelocationLine
	if err := r.relocations(ctx, scopePath).Where("q.id = ?", id).Limit(1).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("relocation: %w", db.Translate(err))
	}
	if len(rows) == 0 {
		return nil, errs.E(errs.NotFound, msgNoSuchRelocation)
	}
	return &rows[0], nil
}
