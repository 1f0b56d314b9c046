package incident

import (
	"context"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// Authorize returns the incident when reader may see it: a manager whose
// office covers its region, an office covering it (its group's link), or
// whoever reported it. Forbidden for anyone else; NotFound for an unknown
// incident.
func (s *Service) Authorize(ctx context.Context, id int64, reader registry.Actor) (*Incident, error) {
	inc, err := s.InScope(ctx, id, "")
	if err != nil {
		return nil, err
	}
	kind, rid, ok := reader.Parse()
	if !ok {
		return nil, errs.E(errs.Forbidden, msgNotYours)
	}
	switch kind {
	case "manager":
		if covers, err := s.d.Registry.ManagerCovers(ctx, rid, inc.RegionID); err != nil || covers {
			return inc, err
		}
	case "office":
		o, err := s.d.Registry.Office(ctx, rid)
		if errs.Is(err, errs.NotFound) {
			break
		}
		if err != nil {
			return nil, err
		}
		if covers, err := s.d.Registry.Covers(ctx, o.RegionID, inc.RegionID); err != nil || covers {
			return inc, err
		}
	}
	if kind == inc.ReporterKind && rid == inc.ReporterID {
		return inc, nil
	}
	return nil, errs.E(errs.Forbidden, msgNotYours)
}
