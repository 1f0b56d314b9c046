package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// cadreLine is a cadre with their load (businesses packed now) and this
// cycle's coverage of them.
type cadreLine struct {
	registry.Cadre
	Town, Village string
	Load          int
	Due, Covered  int
}

type cadresPage struct {
	Q     string
	Rows  []cadreLine
	Pager pager
	Cycle string
}

// cadreLines adds loads and this cycle's coverage to a page of cadres:
// one query each, whatever the size of the scope. Both count only the
// businesses of the user's scope.
func (c *Console) cadreLines(e echo.Context, cs []registry.Cadre) ([]cadreLine, error) {
	ctx := e.Request().Context()
	ids := make([]int64, len(cs))
	for i, cd := range cs {
		ids[i] = cd.ID
	}
	loads, err := c.Query.CadreLoads(ctx, ids, scopePath(e))
	if err != nil {
		return nil, err
	}
	rs, err := c.Registry.Regions(ctx)
	if err != nil {
		return nil, err
	}
	tree := registry.NewRegionTree(rs)
	cov, err := c.Query.CadreCoverage(ctx, ids, scopePath(e))
	if err != nil {
		return nil, err
	}
	out := make([]cadreLine, len(cs))
	for i, cd := range cs {
		l := cadreLine{Cadre: cd, Load: loads[cd.ID], Due: cov[cd.ID].Due, Covered: cov[cd.ID].Covered}
		l.Town, l.Village = tree.TownVillage(cd.RegionID)
		out[i] = l
	}
	return out, nil
}

func (c *Console) cadres(e echo.Context) error {
	ctx := e.Request().Context()
	q := strings.TrimSpace(e.QueryParam("q"))
	page, limit, offset := paging(e)
	cs, total, err := c.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: scopePath(e), Query: q, Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	rows, err := c.cadreLines(e, cs)
	if err != nil {
		return err
	}
	return c.Render(e, http.StatusOK, "cadres", "包保干部", cadresPage{Q: q, Rows: rows, Cycle: c.cycleLabel(),
		Pager: newPager(e, page, total, "/console/cadres.xlsx")})
}

func (c *Console) cadresXLSX(e echo.Context) error {
	ctx := e.Request().Context()
	q := strings.TrimSpace(e.QueryParam("q"))
	sh := newSheet(e, exportName("包保干部", ConsoleScope(e).Name, c.Clock.Now()), "包保干部", []column{{"姓名", 10}, {"职务", 20}, {"层级", 8}, {"镇(街道)", 12}, {"村(社区)", 14},
		{"工作电话", 14}, {"包保主体数", 10}, {"本周期应督导", 12}, {"已覆盖", 8}, {"覆盖率", 8}})
	const batch = 1000
	for offset := 0; ; offset += batch {
		cs, _, err := c.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: scopePath(e), Query: q, Limit: batch, Offset: offset})
		if err != nil {
			sh.close()
			return err
		}
		rows, err := c.cadreLines(e, cs)
		if err != nil {
			sh.close()
			return err
		}
		for _, l := range rows {
			if err := sh.add(l.Name, l.Post, l.Level.Label(), l.Town, l.Village, l.WorkPhone, l.Load, l.Due, l.Covered, rate(l.Covered, l.Due)); err != nil {
				sh.close()
				return err
			}
		}
		if len(cs) < batch {
			break
		}
	}
	return sh.send()
}

// rate is covered of due as a percentage cell, or nil when nothing is due.
func rate(covered, due int) any {
	if due == 0 {
		return nil
	}
	return percent(float64(int(float64(covered)*10000/float64(due)+0.5)) / 10000)
}

type cadrePage struct {
	Line       cadreLine
	Cycle      string
	Tasks      []supervision.Task
	Businesses []query.BusinessLine
	Visits     []query.VisitLine
	Targets    []registry.Cadre
	Flash      string
	Problem    string
	CanWrite   bool
}

func (c *Console) cadre(e echo.Context) error { return c.renderCadre(e, http.StatusOK, "") }

func (c *Console) renderCadre(e echo.Context, status int, problem string) error {
	ctx := e.Request().Context()
	id, err := idParam(e)
	if err != nil {
		return err
	}
	cd, err := c.Registry.CadreInScope(ctx, id, scopePath(e))
	if err != nil {
		return err
	}
	lines, err := c.cadreLines(e, []registry.Cadre{*cd})
	if err != nil {
		return err
	}
	p := cadrePage{Line: lines[0], Cycle: c.cycleLabel(), Flash: flash(e), Problem: problem, CanWrite: ConsoleUser(e).Role.CanWrite()}
	if p.Businesses, err = c.Query.CadreBusinesses(ctx, cd.ID, scopePath(e)); err != nil {
		return err
	}
	tasks, err := c.Supervision.Tasks(ctx, cd.ID)
	if err != nil {
		return err
	}
	// The cadre's tasks of the user's scope only, as their businesses.
	inScope := make(map[int64]bool, len(p.Businesses))
	for _, b := range p.Businesses {
		inScope[b.ID] = true
	}
	for _, t := range tasks {
		if inScope[t.BusinessID] {
			p.Tasks = append(p.Tasks, t)
		}
	}
	if p.Visits, _, err = c.Query.Visits(ctx, query.VisitFilter{ScopePath: scopePath(e), CadreID: cd.ID, Limit: 20}); err != nil {
		return err
	}
	if p.CanWrite {
		all, _, err := c.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: scopePath(e), Limit: 1000})
		if err != nil {
			return err
		}
		rs, err := c.Registry.Regions(ctx)
		if err != nil {
			return err
		}
		// Only a cadre whose area covers this one's can take their businesses over.
		tree := registry.NewRegionTree(rs)
		area, _ := tree.Coverage(*cd)
		for _, t := range all {
			if theirs, ok := tree.Coverage(t); ok && t.ID != cd.ID && t.Level == cd.Level && theirs.Contains(area) {
				p.Targets = append(p.Targets, t)
			}
		}
	}
	return c.Render(e, status, "cadre", cd.Name, p)
}

// handover moves a cadre's businesses of the user's scope to another
// cadre of the scope in one transaction, audited, then reissues the
// knowledge cards whose cadre changed.
func (c *Console) handover(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := idParam(e)
	if err != nil {
		return err
	}
	if _, err := c.Registry.CadreInScope(ctx, id, scopePath(e)); err != nil {
		return err
	}
	to := formID(e, "to_cadre_id")
	if _, err := c.Registry.CadreInScope(ctx, to, scopePath(e)); err != nil {
		return err
	}
	moved, err := c.Registry.HandoverAudited(ctx, id, to, scopePath(e), e.FormValue("reason"), actor(e))
	if err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Conflict {
			return c.renderCadre(e, errs.HTTPStatus(k), errs.MessageOf(err))
		}
		return err
	}
	if c.Cards != nil && len(moved) > 0 {
		if _, err := c.Cards.ReissueChanged(ctx); err != nil {
			c.logger().Warn("reissue cards after handover", "rid", RequestID(e), "err", err.Error())
		} else {
			return done(e, fmt.Sprintf("/console/cadres/%d", to), "reissued", len(moved))
		}
	}
	return done(e, fmt.Sprintf("/console/cadres/%d", to), "handover", len(moved))
}

// cadreCode issues a binding code for a cadre of the user's scope.
func (c *Console) cadreCode(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := idParam(e)
	if err != nil {
		return err
	}
	cd, err := c.Registry.CadreInScope(ctx, id, scopePath(e))
	if err != nil {
		return err
	}
	return c.issueCode(e, account.RoleCadre, cd.ID, msgCodeForCadre+cd.Name, fmt.Sprintf("/console/cadres/%d", cd.ID))
}

// cycleLabel names this cycle (grade D's, the quarter by default).
func (c *Console) cycleLabel() string {
	return supervision.CycleFor(c.Supervision.Rules().Period(registry.GradeD), c.Clock.Now()).Label
}
