package supervision

import (
	"context"
	"fmt"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// RectificationByID returns one rectification, open or not, with its
// business and item. NotFound if absent.
func (s *Service) RectificationByID(ctx context.Context, id int64) (*Rectification, error) {
	var row struct {
		Rectification
		CheckKind string
	}
	res := s.db.Gorm(ctx).Raw(`
SELECT r.id, r.finding_id, r.business_id, r.cadre_id, b.name AS business_name, f.item_id, f.description, f.requirement,
	r.deadline, r.status, v.check_kind
FROM rectifications r
JOIN businesses b ON b.id = r.business_id
JOIN findings f ON f.id = r.finding_id
JOIN visits v ON v.id = f.visit_id
WHERE r.id = ?`, id).Scan(&row)
	if res.Error != nil {
		return nil, fmt.Errorf("rectification: %w", db.Translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return nil, errs.E(errs.NotFound, "整改记录不存在")
	}
	r := row.Rectification
	r.ItemLabel = s.lists.Label(row.ItemID, row.CheckKind)
	r.Deadline = r.Deadline.In(clock.China)
	r.DaysLeft = DaysBetween(s.now(), r.Deadline)
	return &r, nil
}
