package listing

import (
	"context"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
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
	loads, err := l.Query.CadreLoads(ctx, ids, web.ScopePath(e))
	if err != nil {
		return nil, err
	}
	tree, err := l.Registry.RegionTree(ctx)
	if err != nil {
		return nil, err
	}
	cov, err := l.Query.CadreCoverage(ctx, ids, web.ScopePath(e))
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

// Progress is the coverage of the user's scope.
func (l *Lists) Progress(ctx context.Context, scope account.Scope) (*query.Progress, error) {
	return l.Query.Progress(ctx, scope.Path)
}

// Overdue lists the overdue businesses of the user's scope.
func (l *Lists) Overdue(ctx context.Context, scope account.Scope) ([]query.OverdueItem, error) {
	return l.Query.Overdue(ctx, scope.Path)
}

// ByTown adds village rows up to their towns, in region order.
func ByTown(tree *registry.RegionTree, villages []query.CoverageRow) []query.CoverageRow {
	return ByLevel(tree, villages, registry.LevelTown)
}

// AreaLevel is the level a scope's figures are broken down by: towns, or
// cities when the scope is a whole province (a province's two thousand
// towns make no chart to read).
func AreaLevel(tree *registry.RegionTree, scopePath string) registry.RegionLevel {
	for _, r := range tree.ByID {
		if r.Level == registry.LevelProvince && strings.HasPrefix(r.Path, scopePath) {
			return registry.LevelCity
		}
	}
	return registry.LevelTown
}

// ByLevel adds village rows up to their regions of the given level, in
// region order.
func ByLevel(tree *registry.RegionTree, villages []query.CoverageRow, level registry.RegionLevel) []query.CoverageRow {
	idx := map[int64]*query.CoverageRow{}
	var order []int64
	for _, v := range villages {
		r, ok := tree.ByID[v.ID]
		id, name := v.ID, v.Name
		if ok {
			if t, ok := tree.Ancestor(r, level); ok {
				id, name = t.ID, t.Name
			}
		}
		row := idx[id]
		if row == nil {
			row = &query.CoverageRow{ID: id, Name: name}
			idx[id] = row
			order = append(order, id)
		}
		row.Due += v.Due
		row.Covered += v.Covered
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	out := make([]query.CoverageRow, 0, len(order))
	for _, id := range order {
		r := *idx[id]
		if r.Due > 0 {
			r.Percent = float64(r.Covered) * 100 / float64(r.Due)
		}
		out = append(out, r)
	}
	return out
}
