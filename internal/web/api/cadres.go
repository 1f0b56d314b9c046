package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// Cadres serves /api/v1/cadres and a cadre by id, with their loads and coverage.
type Cadres struct {
	Lists    *listing.Lists
	Registry *registry.Service
	*mounted
}

func (c *Cadres) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/cadres", c.apiCadres, m.auth)
	m.group.GET("/cadres/:id", c.apiCadre, m.auth)
}

type apiCadreItem struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Post      string `json:"post"`
	Level     string `json:"level"`
	RegionID  int64  `json:"region_id"`
	Town      string `json:"town"`
	Village   string `json:"village"`
	WorkPhone string `json:"work_phone"`
	Load      int    `json:"load"`
	Due       int    `json:"due"`
	Covered   int    `json:"covered"`
}

func cadreItem(l listing.CadreLine) apiCadreItem {
	return apiCadreItem{ID: l.ID, Name: l.Name, Post: l.Post, Level: string(l.Level), RegionID: l.RegionID, Town: l.Town,
		Village: l.Village, WorkPhone: l.WorkPhone, Load: l.Load, Due: l.Due, Covered: l.Covered}
}

func (c *Cadres) apiCadres(e echo.Context) error {
	ctx := e.Request().Context()
	limit, offset, err := apiPaging(e)
	if err != nil {
		return err
	}
	cs, total, err := c.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: web.ScopePath(e), Query: e.QueryParam("q"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	lines, err := c.Lists.CadreLines(e, cs)
	if err != nil {
		return err
	}
	items := make([]apiCadreItem, len(lines))
	for i, l := range lines {
		items[i] = cadreItem(l)
	}
	return e.JSON(http.StatusOK, newList(items, total, limit, offset))
}

func (c *Cadres) apiCadre(e echo.Context) error {
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
	return e.JSON(http.StatusOK, cadreItem(lines[0]))
}
