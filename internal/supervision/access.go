package supervision

import (
	"context"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// Who may open the pages that links in chat lead to: a visit's receipt, a
// rectification, a cadre's open tasks and an office's overdue list. A
// reader is an actor ("cadre:12", "manager:3", "office:2"); each check is
// Forbidden for anyone else. A business's contacts, kept by the account
// package, are checked by the caller where they may read (rectifications).

// AuthorizeVisit: the cadre who reported the visit, the cadre who packs
// the business now, and the managers of an office whose area holds it.
func (s *Service) AuthorizeVisit(ctx context.Context, v *VisitDetail, reader registry.Actor) error {
	return s.authorizeBusinessRecord(ctx, v.CadreID, v.BusinessID, v.Business.RegionID, reader)
}

// AuthorizeRectification: as for the visit it came from.
func (s *Service) AuthorizeRectification(ctx context.Context, r *Rectification, reader registry.Actor) error {
	b, err := s.reg.Business(ctx, r.BusinessID)
	if err != nil {
		return err
	}
	return s.authorizeBusinessRecord(ctx, r.CadreID, b.ID, b.RegionID, reader)
}

func (s *Service) authorizeBusinessRecord(ctx context.Context, cadreID, businessID, regionID int64, reader registry.Actor) error {
	kind, id, _ := reader.Parse()
	switch kind {
	case "cadre":
		if id == cadreID {
			return nil
		}
		a, err := s.reg.CurrentAssignment(ctx, businessID)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err == nil && a.CadreID == id {
			return nil
		}
	case "manager":
		if ok, err := s.reg.ManagerCovers(ctx, id, regionID); err != nil || ok {
			return err
		}
	}
	return errs.E(errs.Forbidden, msgNotYourPage)
}

// AuthorizeTasks: the cadre, and the managers of an office whose area
// holds the cadre's region.
func (s *Service) AuthorizeTasks(ctx context.Context, cadreID int64, reader registry.Actor) error {
	c, err := s.reg.Cadre(ctx, cadreID)
	if err != nil {
		return err
	}
	kind, id, _ := reader.Parse()
	switch kind {
	case "cadre":
		if id == c.ID {
			return nil
		}
	case "manager":
		if ok, err := s.reg.ManagerCovers(ctx, id, c.RegionID); err != nil || ok {
			return err
		}
	}
	return errs.E(errs.Forbidden, msgNotYourPage)
}

// AuthorizeOverdue: the managers of the office or of one above it, and the
// office itself — the reader of the link posted in its WeCom contact group.
func (s *Service) AuthorizeOverdue(ctx context.Context, officeID int64, reader registry.Actor) error {
	o, err := s.reg.Office(ctx, officeID)
	if err != nil {
		return err
	}
	kind, id, _ := reader.Parse()
	switch kind {
	case "office":
		if id == o.ID {
			return nil
		}
	case "manager":
		if ok, err := s.reg.ManagerCovers(ctx, id, o.RegionID); err != nil || ok {
			return err
		}
	}
	return errs.E(errs.Forbidden, msgNotYourPage)
}
