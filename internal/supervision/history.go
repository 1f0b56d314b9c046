package supervision

import (
	"context"
	"fmt"
	"time"
)

// VisitBrief is one current visit of a business with how many findings
// it recorded.
type VisitBrief struct {
	ID          int64
	SubmittedAt time.Time
	Findings    int
}

// VisitsOf lists a business's current visits submitted in [from, to)
// (zero bounds are open), newest first, at most limit (1000 when not
// positive). One query.
func (s *Service) VisitsOf(ctx context.Context, businessID int64, from, to time.Time, limit int) ([]VisitBrief, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	q := s.db.Gorm(ctx).Table("visits v").
		Select("v.id, v.submitted_at, (SELECT COUNT(*) FROM findings f WHERE f.visit_id = v.id) AS findings").
		Where("v.business_id = ? AND v.is_current = ?", businessID, true)
	if !from.IsZero() {
		q = q.Where("v.submitted_at >= ?", from.UTC())
	}
	if !to.IsZero() {
		q = q.Where("v.submitted_at < ?", to.UTC())
	}
	var out []VisitBrief
	if err := q.Order("v.submitted_at DESC, v.id DESC").Limit(limit).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("visits of business %d: %w", businessID, err)
	}
	return out, nil
}
