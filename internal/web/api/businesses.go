package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// Businesses serves /api/v1/businesses and a business by id.
type Businesses struct {
	Lists       *listing.Lists
	Registry    *registry.Service
	Supervision *supervision.Service
	*mounted
}

func (c *Businesses) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/businesses", c.apiBusinesses, m.auth)
	m.group.GET("/businesses/:id", c.apiBusiness, m.auth)
}

type apiBusinessItem struct {
	ID         int64    `json:"id"`
	Name       string   `json:"name"`
	CreditCode string   `json:"credit_code,omitempty"`
	LicenceNo  string   `json:"licence_no,omitempty"`
	Category   string   `json:"category"`
	Grade      string   `json:"grade"`
	RegionID   int64    `json:"region_id"`
	Village    string   `json:"village"`
	Address    string   `json:"address"`
	Status     string   `json:"status"`
	CadreID    int64    `json:"cadre_id,omitempty"`
	CadreName  string   `json:"cadre_name,omitempty"`
	Covered    bool     `json:"covered"`
	Latitude   *float64 `json:"latitude,omitempty"`
	Longitude  *float64 `json:"longitude,omitempty"`
}

func businessItem(b query.BusinessLine) apiBusinessItem {
	return apiBusinessItem{ID: b.ID, Name: b.Name, CreditCode: deref(b.CreditCode), LicenceNo: deref(b.LicenceNo),
		Category: string(b.Category), Grade: string(b.Grade), RegionID: b.RegionID, Village: b.Village, Address: b.Address,
		Status: string(b.Status), CadreID: b.CadreID, CadreName: b.CadreName, Covered: b.Covered}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (c *Businesses) apiBusinesses(e echo.Context) error {
	q, _, err := c.Lists.BusinessQuery(e)
	if err != nil {
		return err
	}
	if q.Limit, q.Offset, err = apiPaging(e); err != nil {
		return err
	}
	rows, total, err := c.Lists.Businesses(e.Request().Context(), q)
	if err != nil {
		return err
	}
	items := make([]apiBusinessItem, len(rows))
	for i, b := range rows {
		items[i] = businessItem(b)
	}
	return e.JSON(http.StatusOK, newList(items, total, q.Limit, q.Offset))
}

type apiBusinessDetail struct {
	apiBusinessItem
	Town      string    `json:"town"`
	Cycle     string    `json:"cycle"`
	CycleDue  time.Time `json:"cycle_due"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (c *Businesses) apiBusiness(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	b, err := c.Registry.BusinessInScope(ctx, id, web.ScopePath(e))
	if err != nil {
		return err
	}
	covered, cycle, err := c.Supervision.Covered(ctx, b.ID)
	if err != nil {
		return err
	}
	rs, err := c.Registry.Regions(ctx)
	if err != nil {
		return err
	}
	tree := registry.NewRegionTree(rs)
	town, village := tree.TownVillage(b.RegionID)
	d := apiBusinessDetail{apiBusinessItem: apiBusinessItem{ID: b.ID, Name: b.Name, CreditCode: deref(b.CreditCode),
		LicenceNo: deref(b.LicenceNo), Category: string(b.Category), Grade: string(b.Grade), RegionID: b.RegionID,
		Village: village, Address: b.Address, Status: string(b.Status), Covered: covered, Latitude: b.Latitude, Longitude: b.Longitude},
		Town: town, Cycle: cycle.Key, CycleDue: cycle.Due, UpdatedAt: b.UpdatedAt}
	if a, err := c.Registry.CurrentAssignment(ctx, b.ID); err == nil {
		d.CadreID = a.CadreID
		if cd, err := c.Registry.Cadre(ctx, a.CadreID); err == nil {
			d.CadreName = cd.Name
		}
	} else if !errs.Is(err, errs.NotFound) {
		return err
	}
	return e.JSON(http.StatusOK, d)
}
