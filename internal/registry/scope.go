package registry

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// The by-id reads a person's page makes, limited to the region subtree of
// the person's scope: an id outside it is NotFound, so a page never
// reveals that it exists. Lists over a scope are the read side's
// (internal/query).

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

// Covers reports whether region outer contains region inner. NotFound for
// an unknown region.
func (s *Service) Covers(ctx context.Context, outer, inner int64) (bool, error) {
	o, err := s.Region(ctx, outer)
	if err != nil {
		return false, err
	}
	in, err := s.Region(ctx, inner)
	if err != nil {
		return false, err
	}
	return o.Contains(*in), nil
}

// ManagerCovers reports whether an active manager's office's region holds
// a region: what a manager may see of it. An unknown or inactive manager
// covers nothing.
func (s *Service) ManagerCovers(ctx context.Context, managerID, regionID int64) (bool, error) {
	m, err := s.Manager(ctx, managerID)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	if err != nil || !m.Active {
		return false, err
	}
	o, err := s.Office(ctx, m.OfficeID)
	if err != nil {
		return false, err
	}
	return s.Covers(ctx, o.RegionID, regionID)
}
