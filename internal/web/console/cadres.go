package console

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// Cadres serves the cadre list and its export, a cadre's page
// (templates/console/cadre.html) and the changes made from it: a handover
// of their businesses, a binding code.
type Cadres struct {
	// Query is the read side.
	Query       *query.Reader
	Lists       *listing.Lists
	Registry    *registry.Service
	Supervision *supervision.Service
	Accounts    *account.Service
	// Cards may be nil: no card is then reissued after a handover.
	Cards *card.Service
	// Pledges may be nil: the page then leaves the pledge out.
	Pledges *pledge.Service
	*mounted
}

func (c *Cadres) mount(m *mounted) {
	c.mounted = m
	g := m.group
	g.GET("/cadres", c.cadres)
	g.GET("/cadres.xlsx", c.cadresXLSX)
	g.GET("/cadres/:id", c.cadre)
	g.POST("/cadres/:id/handover", c.handover, web.RequireWriter)
	g.POST("/cadres/:id/codes", c.cadreCode, web.RequireWriter)
}

type cadresPage struct {
	Q     string
	Rows  []listing.CadreLine
	Pager pager
	Cycle string
}

func (c *Cadres) cadres(e echo.Context) error {
	ctx := e.Request().Context()
	q := strings.TrimSpace(e.QueryParam("q"))
	page, limit, offset := paging(e)
	cs, total, err := c.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: web.ScopePath(e), Query: q, Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	rows, err := c.Lists.CadreLines(e, cs)
	if err != nil {
		return err
	}
	return c.render(e, http.StatusOK, "cadres", "包保干部", cadresPage{Q: q, Rows: rows, Cycle: c.Lists.CycleLabel(),
		Pager: newPager(e, page, total, "/console/cadres.xlsx")})
}

func (c *Cadres) cadresXLSX(e echo.Context) error {
	ctx := e.Request().Context()
	q := strings.TrimSpace(e.QueryParam("q"))
	sh := newSheet(e, exportName("包保干部", web.Scope(e).Name, c.clock.Now()), "包保干部", []column{{"姓名", 10}, {"职务", 20}, {"层级", 8}, {"镇(街道)", 12}, {"村(社区)", 14},
		{"工作电话", 14}, {"包保主体数", 10}, {"本周期应督导", 12}, {"已覆盖", 8}, {"覆盖率", 8}})
	const batch = 1000
	for offset := 0; ; offset += batch {
		cs, _, err := c.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: web.ScopePath(e), Query: q, Limit: batch, Offset: offset})
		if err != nil {
			sh.close()
			return err
		}
		rows, err := c.Lists.CadreLines(e, cs)
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
	Line       listing.CadreLine
	Cycle      string
	Tasks      []supervision.Task
	Businesses []query.BusinessLine
	Visits     []query.VisitLine
	Targets    []registry.Cadre
	Flash      string
	Problem    string
	CanWrite   bool
	Pledge     *pledgeBox
}

func (c *Cadres) cadre(e echo.Context) error { return c.renderCadre(e, http.StatusOK, "") }

func (c *Cadres) renderCadre(e echo.Context, status int, problem string) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	cd, err := c.Registry.CadreInScope(ctx, id, web.ScopePath(e))
	if err != nil {
		return err
	}
	lines, err := c.Lists.CadreLines(e, []registry.Cadre{*cd})
	if err != nil {
		return err
	}
	p := cadrePage{Line: lines[0], Cycle: c.Lists.CycleLabel(), Flash: flash(e), Problem: problem, CanWrite: web.User(e).Role.CanWrite()}
	if p.Businesses, err = c.Query.CadreBusinesses(ctx, cd.ID, web.ScopePath(e)); err != nil {
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
	if p.Visits, _, err = c.Query.Visits(ctx, query.VisitFilter{ScopePath: web.ScopePath(e), CadreID: cd.ID, Limit: 20}); err != nil {
		return err
	}
	if p.Pledge, err = pledgeBoxOf(ctx, c.Pledges, pledge.KindCadre, cd.ID); err != nil {
		return err
	}
	if p.CanWrite {
		all, _, err := c.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: web.ScopePath(e), Limit: 1000})
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
	return c.render(e, status, "cadre", cd.Name, p)
}

// handover moves a cadre's businesses of the user's scope to another
// cadre of the scope in one transaction, audited, then reissues the
// knowledge cards whose cadre changed.
func (c *Cadres) handover(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	if _, err := c.Registry.CadreInScope(ctx, id, web.ScopePath(e)); err != nil {
		return err
	}
	to := formID(e, "to_cadre_id")
	if _, err := c.Registry.CadreInScope(ctx, to, web.ScopePath(e)); err != nil {
		return err
	}
	moved, err := c.Registry.HandoverAudited(ctx, id, to, web.ScopePath(e), e.FormValue("reason"), web.Actor(e))
	if err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Conflict {
			return c.renderCadre(e, errs.HTTPStatus(k), errs.MessageOf(err))
		}
		return err
	}
	if c.Cards != nil && len(moved) > 0 {
		if _, err := c.Cards.ReissueChanged(ctx); err != nil {
			c.log.Warn("reissue cards after handover", "rid", web.RequestID(e), "err", err.Error())
		} else {
			return done(e, fmt.Sprintf("/console/cadres/%d", to), "reissued", len(moved))
		}
	}
	return done(e, fmt.Sprintf("/console/cadres/%d", to), "handover", len(moved))
}

// cadreCode issues a binding code for a cadre of the user's scope.
func (c *Cadres) cadreCode(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	cd, err := c.Registry.CadreInScope(ctx, id, web.ScopePath(e))
	if err != nil {
		return err
	}
	return c.issueCode(e, c.Accounts, account.RoleCadre, cd.ID, msgCodeForCadre+cd.Name, fmt.Sprintf("/console/cadres/%d", cd.ID))
}
