package supervision

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/errs"
)

// The by-id reads a person's page makes, limited to the region subtree of
// the person's scope ("" for everything, an administrator): an id outside
// it is NotFound, so a page never reveals what lies elsewhere. Lists and
// figures over a scope are the read side's (internal/query).

// consoleScope checks a scope that may be empty.
func consoleScope(path string) error {
	if path == "" {
		return nil
	}
	return checkScope(path)
}

// inRegions limits q, whose regions are aliased alias, to the subtree.
func inRegions(q *gorm.DB, alias, path string) *gorm.DB {
	if path == "" {
		return q
	}
	return q.Where(alias+".path LIKE ?", path+"%")
}

// VisitInScope returns a visit of a business in the subtree, with
// everything recorded in it. NotFound when absent or outside.
func (s *Service) VisitInScope(ctx context.Context, id int64, scopePath string) (*VisitDetail, error) {
	if err := consoleScope(scopePath); err != nil {
		return nil, err
	}
	if scopePath != "" {
		var n int64
		err := s.db.Gorm(ctx).Table("visits v").Joins("JOIN businesses b ON b.id = v.business_id").
			Joins("JOIN regions r ON r.id = b.region_id").Where("v.id = ? AND r.path LIKE ?", id, scopePath+"%").Count(&n).Error
		if err != nil {
			return nil, fmt.Errorf("visit: %w", err)
		}
		if n == 0 {
			return nil, errs.E(errs.NotFound, msgVisitNotFound)
		}
	}
	return s.Visit(ctx, id)
}

// PhotoInScope returns a stored or pending photo of a visit, finding or
// rectification check whose business lies in the subtree. NotFound when
// absent or outside.
func (s *Service) PhotoInScope(ctx context.Context, id int64, scopePath string) (*Photo, error) {
	if err := consoleScope(scopePath); err != nil {
		return nil, err
	}
	q := s.db.Gorm(ctx).Table("photos p").Select("p.*").
		Joins("LEFT JOIN visits v ON v.id = p.visit_id").
		Joins("LEFT JOIN rectification_events e ON e.id = p.rectification_event_id").
		Joins("LEFT JOIN rectifications rc ON rc.id = e.rectification_id").
		Joins("JOIN businesses b ON b.id = COALESCE(v.business_id, rc.business_id)").
		Joins("JOIN regions r ON r.id = b.region_id").
		Where("p.id = ?", id)
	q = inRegions(q, "r", scopePath)
	var ps []Photo
	if err := q.Limit(1).Scan(&ps).Error; err != nil {
		return nil, fmt.Errorf("photo: %w", err)
	}
	if len(ps) == 0 {
		return nil, errs.E(errs.NotFound, "照片不存在。")
	}
	return &ps[0], nil
}
