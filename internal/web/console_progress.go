package web

import (
	"fmt"
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// rectificationsPage is the rectification list.
type rectificationsPage struct {
	Status string
	Rows   []query.RectificationLine
	Pager  pager
}

func rectQuery(e echo.Context) query.RectificationFilter {
	return query.RectificationFilter{ScopePath: scopePath(e), Status: e.QueryParam("status")}
}

func (c *Console) rectifications(e echo.Context) error {
	q := rectQuery(e)
	page, limit, offset := paging(e)
	q.Limit, q.Offset = limit, offset
	rows, total, err := c.Query.Rectifications(e.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.Render(e, http.StatusOK, "rectifications", "整改", rectificationsPage{Status: q.Status, Rows: rows,
		Pager: newPager(e, page, total, "/console/rectifications.xlsx")})
}

func (c *Console) rectificationsXLSX(e echo.Context) error {
	sh := newSheet(e, exportName("整改", ConsoleScope(e).Name, c.Clock.Now()), "整改", []column{{"主体名称", 36}, {"村(社区)", 14}, {"检查项目", 24}, {"问题描述", 40}, {"整改要求", 30},
		{"整改期限", 12}, {"状态", 8}, {"剩余天数", 10}, {"包保干部", 10}, {"完成时间", 17}})
	err := c.Query.EachRectification(e.Request().Context(), rectQuery(e), func(rows []query.RectificationLine) error {
		for _, r := range rows {
			var left any
			if r.Status == supervision.StatusOpen {
				left = r.DaysLeft
			}
			if err := sh.add(r.Business, r.Village, r.ItemLabel, r.Description, r.Requirement, r.Deadline.Format("2006-01-02"),
				supervision.StatusLabel(r.Status), left, r.CadreName, r.ClosedAt); err != nil {
				return err
			}
		}
		return nil
	})
	return sh.finish(err)
}

type overduePage struct {
	Rows  []query.OverdueItem
	Pager pager
}

func (c *Console) overdue(e echo.Context) error {
	items, err := c.overdueItems(e.Request().Context(), ConsoleScope(e))
	if err != nil {
		return err
	}
	page, limit, offset := paging(e)
	total := int64(len(items))
	items = pageOf(items, limit, offset)
	return c.Render(e, http.StatusOK, "overdue", "逾期未督导", overduePage{Rows: items, Pager: newPager(e, page, total, "/console/overdue.xlsx")})
}

func (c *Console) overdueXLSX(e echo.Context) error {
	items, err := c.overdueItems(e.Request().Context(), ConsoleScope(e))
	if err != nil {
		return err
	}
	sh := newSheet(e, exportName("逾期未督导", ConsoleScope(e).Name, c.Clock.Now()), "逾期未督导", []column{{"主体名称", 36}, {"等级", 6}, {"村(社区)", 14}, {"包保干部", 10}, {"干部电话", 14},
		{"未督导周期", 16}, {"逾期天数", 10}})
	for _, it := range items {
		if err := sh.add(it.BusinessName, string(it.Grade), it.Village, it.CadreName, it.CadreWorkPhone, it.CycleLabel, it.DaysOverdue); err != nil {
			sh.close()
			return err
		}
	}
	return sh.send()
}

// progressRow is a line of the progress table: a village and cadre, a
// village subtotal or the grand total.
type progressRow struct {
	query.ProgressLine
	Town string
	// Kind is "line", "village" (subtotal) or "total".
	Kind string
}

type progressPage struct {
	Cycle string
	Rows  []progressRow
}

// progressRows arranges the table: each village's lines by cadre, then
// the village's subtotal; the grand total last.
func (c *Console) progressRows(e echo.Context) ([]progressRow, string, error) {
	ctx := e.Request().Context()
	lines, cycle, err := c.Query.ProgressTable(ctx, scopePath(e))
	if err != nil {
		return nil, "", err
	}
	rs, err := c.Registry.Regions(ctx)
	if err != nil {
		return nil, "", err
	}
	tree := registry.NewRegionTree(rs)
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].VillageID < lines[j].VillageID })
	var out []progressRow
	total := progressRow{Kind: "total"}
	total.Village = msgTotal
	for i := 0; i < len(lines); {
		j := i
		sub := progressRow{Kind: "village"}
		for ; j < len(lines) && lines[j].VillageID == lines[i].VillageID; j++ {
			l := progressRow{ProgressLine: lines[j], Kind: "line"}
			l.Town, _ = tree.TownVillage(l.VillageID)
			if l.CadreName == "" {
				l.CadreName = msgUnassigned
			}
			out = append(out, l)
			add(&sub.ProgressLine, lines[j])
			add(&total.ProgressLine, lines[j])
		}
		sub.VillageID, sub.Village = lines[i].VillageID, lines[i].Village+msgSubtotal
		sub.Town, _ = tree.TownVillage(sub.VillageID)
		if j-i > 1 {
			out = append(out, sub)
		}
		i = j
	}
	out = append(out, total)
	return out, cycle, nil
}

func add(sum *query.ProgressLine, l query.ProgressLine) {
	sum.Businesses += l.Businesses
	sum.Due += l.Due
	sum.Covered += l.Covered
	sum.Findings += l.Findings
	sum.Rectified += l.Rectified
}

func (c *Console) progressTable(e echo.Context) error {
	rows, cycle, err := c.progressRows(e)
	if err != nil {
		return err
	}
	return c.Render(e, http.StatusOK, "progress", "进度表", progressPage{Cycle: cycle, Rows: rows})
}

// progressXLSX is the table an office sends upward, in one click.
func (c *Console) progressXLSX(e echo.Context) error {
	rows, cycle, err := c.progressRows(e)
	if err != nil {
		return err
	}
	sh := newSheet(e, exportName(cycle+"督导进度表", ConsoleScope(e).Name, c.Clock.Now()), "进度表", []column{{"镇(街道)", 12}, {"村(社区)", 18}, {"包保干部", 12}, {"主体数", 8}, {"应督导", 8},
		{"已督导", 8}, {"覆盖率", 8}, {"发现问题", 10}, {"已整改", 8}, {"周期", 16}})
	for _, r := range rows {
		cadre := r.CadreName
		if r.Kind != "line" {
			cadre = ""
		}
		if err := sh.add(r.Town, r.Village, cadre, r.Businesses, r.Due, r.Covered, rate(r.Covered, r.Due), r.Findings, r.Rectified, cycle); err != nil {
			sh.close()
			return err
		}
	}
	return sh.send()
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

func (c *Console) relocations(e echo.Context) error { return c.renderRelocations(e, http.StatusOK, "") }

func (c *Console) renderRelocations(e echo.Context, status int, problem string) error {
	ctx := e.Request().Context()
	st := e.QueryParam("status")
	if st == "" {
		st = supervision.RelocationPending
	}
	if st == "all" {
		st = ""
	}
	rows, err := c.Query.Relocations(ctx, scopePath(e), st)
	if err != nil {
		return err
	}
	p := relocationsPage{Status: e.QueryParam("status"), Rows: rows, Flash: flash(e), Problem: problem, CanWrite: ConsoleUser(e).Role.CanWrite()}
	if p.CanWrite && len(rows) > 0 {
		if p.Regions, _, err = c.regionOptions(ctx, ConsoleScope(e)); err != nil {
			return err
		}
		if p.Cadres, _, err = c.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: scopePath(e), Limit: 1000}); err != nil {
			return err
		}
	}
	deciders := make([]string, len(rows))
	for i, r := range rows {
		deciders[i] = string(r.DecidedBy)
	}
	if p.People, err = c.people(e, deciders...); err != nil {
		return err
	}
	return c.Render(e, status, "relocations", "搬迁申请", p)
}

// decideRelocation approves (moving and reassigning the business inside
// the scope) or rejects a relocation request, audited.
func (c *Console) decideRelocation(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := idParam(e)
	if err != nil {
		return err
	}
	req, err := c.Query.Relocation(ctx, id, scopePath(e))
	if err != nil {
		return err
	}
	d := supervision.RelocationDecision{Approve: e.FormValue("decision") == "approve", Address: e.FormValue("address"),
		Note: e.FormValue("note"), By: actor(e)}
	if d.Approve {
		if rid := formID(e, "region_id"); rid != 0 {
			if _, err := c.Registry.RegionInScope(ctx, rid, scopePath(e)); err != nil {
				return err
			}
			d.RegionID = rid
		}
		if cid := formID(e, "cadre_id"); cid != 0 {
			if _, err := c.Registry.CadreInScope(ctx, cid, scopePath(e)); err != nil {
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
			c.logger().Warn("reissue card after relocation", "rid", RequestID(e), "business", req.BusinessID, "err", err.Error())
		}
	}
	key := "rejected"
	if d.Approve {
		key = "approved"
	}
	return done(e, "/console/relocations", key)
}
