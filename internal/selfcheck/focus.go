package selfcheck

import (
	"context"

	"github.com/shianbao/shianbao/internal/supervision"
)

// Focus lists what the business's daily control (日管控) should check
// first: the checklist items of its open rectifications, earliest deadline
// first, each with the knowledge text that explains it. An item leaves
// the list when its rectification is closed. Nil without Deps.Visits.
func (s *Service) Focus(ctx context.Context, businessID int64) ([]supervision.OpenFinding, error) {
	if s.d.Visits == nil {
		return nil, nil
	}
	return s.d.Visits.OpenFindingsOf(ctx, businessID)
}
