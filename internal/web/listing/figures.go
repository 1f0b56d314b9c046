package listing

import (
	"context"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
)

// CadreLine is a cadre with their load (businesses packed now) and this
// cycle's coverage of them.
type CadreLine struct {
	registry.Cadre
	Town, Village string
	Load          int
	Due, Covered  int
}

// CadreLines adds loads and this cycle's coverage to a page of cadres:
// one query each, whatever the size of the scope. Both count only the
// businesses of the user's scope.
func (l *Lists) CadreLines(e echo.Context, cs []registry.Cadre) ([]CadreLine, error) {
	ctx := e.Request().Context()
	ids := make([]int64, len(cs))
	for i, cd := range cs {
		ids[i] = cd.ID
	}
	loads, err := l.Registry.CadreLoads(ctx, ids, web.ScopePath(e))
	if err != nil {
		return nil, err
	}
	rs, err := l.Registry.Regions(ctx)
	if err != nil {
		return nil, err
	}
	tree := registry.NewRegionTree(rs)
	cov, err := l.Supervision.CadreCoverage(ctx, ids, web.ScopePath(e))
	if err != nil {
		return nil, err
	}
	out := make([]CadreLine, len(cs))
	for i, cd := range cs {
		line := CadreLine{Cadre: cd, Load: loads[cd.ID], Due: cov[cd.ID].Due, Covered: cov[cd.ID].Covered}
		line.Town, line.Village = tree.TownVillage(cd.RegionID)
		out[i] = line
	}
	return out, nil
}

// Progress is supervision.Progress over the user's scope.
func (l *Lists) Progress(ctx context.Context, scope account.Scope) (*supervision.Progress, error) {
	roots, err := l.supervisionRoots(ctx, scope)
	if err != nil {
		return nil, err
	}
	out := &supervision.Progress{Total: supervision.CoverageRow{Name: MsgTotal}}
	for _, root := range roots {
		p, err := l.Supervision.Progress(ctx, root)
		if err != nil {
			return nil, err
		}
		out.Cycle, out.Cycles = p.Cycle, p.Cycles
		out.Total.Due += p.Total.Due
		out.Total.Covered += p.Total.Covered
		out.ByVillage = append(out.ByVillage, p.ByVillage...)
		out.ByCadre = append(out.ByCadre, p.ByCadre...)
	}
	if out.Total.Due > 0 {
		out.Total.Percent = float64(out.Total.Covered) * 100 / float64(out.Total.Due)
	}
	if out.Cycle == "" {
		out.Cycle = l.CycleLabel()
	}
	return out, nil
}

// Overdue is supervision.Overdue over the user's scope.
func (l *Lists) Overdue(ctx context.Context, scope account.Scope) ([]supervision.OverdueItem, error) {
	roots, err := l.supervisionRoots(ctx, scope)
	if err != nil {
		return nil, err
	}
	var out []supervision.OverdueItem
	for _, root := range roots {
		items, err := l.Supervision.Overdue(ctx, root)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

// ByTown adds village rows up to their towns, in region order.
func ByTown(tree *registry.RegionTree, villages []supervision.CoverageRow) []supervision.CoverageRow {
	idx := map[int64]*supervision.CoverageRow{}
	var order []int64
	for _, v := range villages {
		r, ok := tree.ByID[v.ID]
		id, name := v.ID, v.Name
		if ok {
			if t, ok := tree.Ancestor(r, registry.LevelTown); ok {
				id, name = t.ID, t.Name
			}
		}
		row := idx[id]
		if row == nil {
			row = &supervision.CoverageRow{ID: id, Name: name}
			idx[id] = row
			order = append(order, id)
		}
		row.Due += v.Due
		row.Covered += v.Covered
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	out := make([]supervision.CoverageRow, 0, len(order))
	for _, id := range order {
		r := *idx[id]
		if r.Due > 0 {
			r.Percent = float64(r.Covered) * 100 / float64(r.Due)
		}
		out = append(out, r)
	}
	return out
}
