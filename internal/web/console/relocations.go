package console

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
)

// Relocations serves the relocation requests cadres file from chat
// (templates/console/relocations.html) and the decisions on them.
type Relocations struct {
	Query       *query.Reader
	Registry    *registry.Service
	Supervision *supervision.Service
	// Cards may be nil: no card is then reissued after a move.
	Cards *card.Service
	*mounted
}

func (c *Relocations) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/relocations", c.relocations)
	m.group.POST("/relocations/:id/decide", c.decideRelocation, web.RequireWriter)
}

type relocationsPage struct {
	Status   string
	Rows     []query.RelocationLine
	Regions  []regionOption
	Cadres   []registry.Cadre
	Flash    string
	Problem  string
	CanWrite bool
	People   map[string]query.Person
}

func (c *Relocations) relocations(e echo.Context) error {
	return c.renderRelocations(e, http.StatusOK, "")
}

func (c *Relocations) renderRelocations(e echo.Context, status int, problem string) error {
	ctx := e.Request().Context()
	st := e.QueryParam("status")
	if st == "" {
		st = supervision.RelocationPending
	}
	if st == "all" {
		st = ""
	}
	rows, err := c.Query.Relocations(ctx, web.ScopePath(e), st)
	if err != nil {
		return err
	}
	p := relocationsPage{Status: e.QueryParam("status"), Rows: rows, Flash: flash(e), Problem: problem, CanWrite: web.User(e).Role.CanWrite()}
	if p.CanWrite && len(rows) > 0 {
		if p.Regions, _, err = regionOptions(ctx, c.Registry, web.Scope(e)); err != nil {
			return err
		}
		if p.Cadres, _, err = c.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: web.ScopePath(e), Limit: 1000}); err != nil {
			return err
		}
	}
	deciders := make([]string, len(rows))
	for i, r := range rows {
		deciders[i] = string(r.DecidedBy)
	}
	if p.People, err = people(e, c.Query, deciders...); err != nil {
		return err
	}
	return c.render(e, status, "relocations", "搬迁申请", p)
}

// decideRelocation approves (moving and reassigning the business inside
// the scope) or rejects a relocation request, audited.
func (c *Relocations) decideRelocation(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	req, err := c.Query.Relocation(ctx, id, web.ScopePath(e))
	if err != nil {
		return err
	}
	d := supervision.RelocationDecision{Approve: e.FormValue("decision") == "approve", Address: e.FormValue("address"),
		Note: e.FormValue("note"), By: web.Actor(e)}
	if d.Approve {
		if rid := formID(e, "region_id"); rid != 0 {
			if _, err := c.Registry.RegionInScope(ctx, rid, web.ScopePath(e)); err != nil {
				return err
			}
			d.RegionID = rid
		}
		if cid := formID(e, "cadre_id"); cid != 0 {
			if _, err := c.Registry.CadreInScope(ctx, cid, web.ScopePath(e)); err != nil {
				return err
			}
			d.CadreID = cid
		}
		// Moving to another town ends the old town's cadre's assignment:
		// the business must not be left without a cadre.
		if d.RegionID != 0 && d.CadreID == 0 {
			rs, err := c.Registry.Regions(ctx)
			if err != nil {
				return err
			}
			tree := registry.NewRegionTree(rs)
			from, to := tree.TownOrSelf(req.RegionID), tree.TownOrSelf(d.RegionID)
			if from.ID != to.ID {
				return c.renderRelocations(e, http.StatusBadRequest, fmt.Sprintf(msgRelocationCadre, req.Business, tree.Place(tree.ByID[d.RegionID]), to.Name))
			}
		}
	}
	if err := c.Supervision.DecideRelocationAudited(ctx, id, d); err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Conflict {
			return c.renderRelocations(e, errs.HTTPStatus(k), errs.MessageOf(err))
		}
		return err
	}
	// The card shows the address and the cadre: it is reissued with both.
	if d.Approve && c.Cards != nil {
		if err := c.Cards.Renew(ctx, req.BusinessID, msgRelocatedReason); err != nil {
			c.log.Warn("reissue card after relocation", "rid", web.RequestID(e), "business", req.BusinessID, "err", err.Error())
		}
	}
	key := "rejected"
	if d.Approve {
		key = "approved"
	}
	return done(e, "/console/relocations", key)
}
