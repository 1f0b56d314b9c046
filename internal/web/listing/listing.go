// Package listing is what the console and the JSON API both read: a
// list's filters taken from a request and checked against the signed-in
// user's region subtree, and the scoped lists and figures both show
// (businesses with their coverage, cadres with their loads, progress and
// overdue over the scope). The console renders them as pages and XLSX
// files, the API as JSON.
package listing

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
)

// Lists reads the scoped lists and figures.
type Lists struct {
	Registry    *registry.Service
	Supervision *supervision.Service
	// Query is the read side: the scoped lists, counts, figures and
	// export rows.
	Query *query.Reader
	// KV keeps the counts of slow lists for a minute (count.go).
	KV    kv.Store
	Clock clock.Clock
	Log   *slog.Logger
}

func (l *Lists) logger() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.New(slog.DiscardHandler)
}

// MaxOffset bounds list offsets, far past any register, so that the
// arithmetic on them (offset+limit, page×size) cannot overflow.
const MaxOffset = 1 << 30

// PageOf is the part of items a page shows.
func PageOf[T any](items []T, limit, offset int) []T {
	from := min(max(offset, 0), len(items))
	return items[from : from+min(max(limit, 0), len(items)-from)]
}

// RegionFilter reads ?region= as a region in scope and returns its id and
// path (0 and "" when absent). A region outside the scope is NotFound.
func (l *Lists) RegionFilter(e echo.Context) (int64, string, error) {
	id, _ := strconv.ParseInt(e.QueryParam("region"), 10, 64)
	if id <= 0 {
		return 0, "", nil
	}
	r, err := l.Registry.RegionInScope(e.Request().Context(), id, web.ScopePath(e))
	if err != nil {
		return 0, "", err
	}
	return id, r.Path, nil
}

// CycleLabel names this cycle (grade D's, the quarter by default).
func (l *Lists) CycleLabel() string { return l.Cycle().Label }

// Cycle is this cycle (grade D's, the quarter by default).
func (l *Lists) Cycle() supervision.Cycle {
	return supervision.CycleFor(l.Supervision.Rules().Period(registry.GradeD), l.Clock.Now())
}

// Tree is the region tree (shared: read only).
func (l *Lists) Tree(ctx context.Context) (*registry.RegionTree, error) {
	return l.Registry.RegionTree(ctx)
}
