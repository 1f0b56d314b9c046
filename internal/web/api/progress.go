package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// Progress serves this cycle's coverage (/api/v1/progress) and the businesses overdue for a visit (/api/v1/overdue) over the scope.
type Progress struct {
	Lists    *listing.Lists
	Registry *registry.Service
	*mounted
}

func (c *Progress) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/progress", c.apiProgress, m.auth)
	m.group.GET("/overdue", c.apiOverdue, m.auth)
}

type apiCoverage struct {
	ID      int64   `json:"id,omitempty"`
	Name    string  `json:"name"`
	Due     int     `json:"due"`
	Covered int     `json:"covered"`
	Percent float64 `json:"percent"`
}

type apiProgressBody struct {
	Cycle     string        `json:"cycle"`
	Total     apiCoverage   `json:"total"`
	ByTown    []apiCoverage `json:"by_town"`
	ByVillage []apiCoverage `json:"by_village"`
	ByCadre   []apiCoverage `json:"by_cadre"`
}

func coverageItems(rows []query.CoverageRow) []apiCoverage {
	out := make([]apiCoverage, len(rows))
	for i, r := range rows {
		out[i] = apiCoverage{ID: r.ID, Name: r.Name, Due: r.Due, Covered: r.Covered, Percent: r.Percent}
	}
	return out
}

func (c *Progress) apiProgress(e echo.Context) error {
	ctx := e.Request().Context()
	p, err := c.Lists.Progress(ctx, web.Scope(e))
	if err != nil {
		return err
	}
	rs, err := c.Registry.Regions(ctx)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, apiProgressBody{Cycle: p.Cycle,
		Total:     apiCoverage{Name: p.Total.Name, Due: p.Total.Due, Covered: p.Total.Covered, Percent: p.Total.Percent},
		ByTown:    coverageItems(listing.ByTown(registry.NewRegionTree(rs), p.ByVillage)),
		ByVillage: coverageItems(p.ByVillage), ByCadre: coverageItems(p.ByCadre)})
}

type apiOverdueItem struct {
	BusinessID  int64  `json:"business_id"`
	Business    string `json:"business"`
	Grade       string `json:"grade"`
	VillageID   int64  `json:"village_id"`
	Village     string `json:"village"`
	CadreID     int64  `json:"cadre_id,omitempty"`
	CadreName   string `json:"cadre_name,omitempty"`
	Cycle       string `json:"cycle"`
	DaysOverdue int    `json:"days_overdue"`
}

func (c *Progress) apiOverdue(e echo.Context) error {
	limit, offset, err := apiPaging(e)
	if err != nil {
		return err
	}
	all, err := c.Lists.Overdue(e.Request().Context(), web.Scope(e))
	if err != nil {
		return err
	}
	page := listing.PageOf(all, limit, offset)
	items := make([]apiOverdueItem, len(page))
	for i, it := range page {
		items[i] = apiOverdueItem{BusinessID: it.BusinessID, Business: it.BusinessName, Grade: string(it.Grade), VillageID: it.VillageID,
			Village: it.Village, CadreID: it.CadreID, CadreName: it.CadreName, Cycle: it.CycleLabel, DaysOverdue: it.DaysOverdue}
	}
	return e.JSON(http.StatusOK, newList(items, int64(len(all)), limit, offset))
}
