package console

import (
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// Progress serves the progress table an office sends upward
// (templates/console/progress.html) and the list of businesses overdue
// for a visit (templates/console/overdue.html), with their exports.
type Progress struct {
	// Query is the read side.
	Query       *query.Reader
	Lists       *listing.Lists
	Registry    *registry.Service
	Supervision *supervision.Service
	*mounted
}

func (c *Progress) mount(m *mounted) {
	c.mounted = m
	g := m.group
	g.GET("/overdue", c.overdue)
	g.GET("/overdue.xlsx", c.overdueXLSX)
	g.GET("/progress", c.progressTable)
	g.GET("/progress.xlsx", c.progressXLSX)
}

type overduePage struct {
	Rows  []query.OverdueItem
	Pager pager
}

func (c *Progress) overdue(e echo.Context) error {
	items, err := c.Lists.Overdue(e.Request().Context(), web.Scope(e))
	if err != nil {
		return err
	}
	page, limit, offset := paging(e)
	total := int64(len(items))
	items = listing.PageOf(items, limit, offset)
	return c.render(e, http.StatusOK, "overdue", "逾期未督导", overduePage{Rows: items, Pager: newPager(e, page, total, "/console/overdue.xlsx")})
}

func (c *Progress) overdueXLSX(e echo.Context) error {
	items, err := c.Lists.Overdue(e.Request().Context(), web.Scope(e))
	if err != nil {
		return err
	}
	sh := newSheet(e, exportName("逾期未督导", web.Scope(e).Name, c.clock.Now()), "逾期未督导", []column{{"主体名称", 36}, {"等级", 6}, {"村(社区)", 14}, {"包保干部", 10}, {"干部电话", 14},
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
func (c *Progress) progressRows(e echo.Context) ([]progressRow, string, error) {
	ctx := e.Request().Context()
	lines, cycle, err := c.Query.ProgressTable(ctx, web.ScopePath(e))
	if err != nil {
		return nil, "", err
	}
	tree, err := c.Registry.RegionTree(ctx)
	if err != nil {
		return nil, "", err
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].VillageID < lines[j].VillageID })
	var out []progressRow
	total := progressRow{Kind: "total"}
	total.Village = listing.MsgTotal
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

func (c *Progress) progressTable(e echo.Context) error {
	rows, cycle, err := c.progressRows(e)
	if err != nil {
		return err
	}
	return c.render(e, http.StatusOK, "progress", "进度表", progressPage{Cycle: cycle, Rows: rows})
}

// progressXLSX is the table an office sends upward, in one click.
func (c *Progress) progressXLSX(e echo.Context) error {
	rows, cycle, err := c.progressRows(e)
	if err != nil {
		return err
	}
	sh := newSheet(e, exportName(cycle+"督导进度表", web.Scope(e).Name, c.clock.Now()), "进度表", []column{{"镇(街道)", 12}, {"村(社区)", 18}, {"包保干部", 12}, {"主体数", 8}, {"应督导", 8},
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
