package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// Rectifications serves /api/v1/rectifications.
type Rectifications struct {
	// Query is the read side.
	Query       *query.Reader
	Supervision *supervision.Service
	*mounted
}

func (c *Rectifications) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/rectifications", c.apiRectifications, m.auth)
}

type apiRectItem struct {
	ID          int64      `json:"id"`
	BusinessID  int64      `json:"business_id"`
	Business    string     `json:"business"`
	Village     string     `json:"village"`
	VisitID     int64      `json:"visit_id"`
	ItemID      string     `json:"item_id"`
	ItemLabel   string     `json:"item_label"`
	Description string     `json:"description"`
	Requirement string     `json:"requirement,omitempty"`
	Deadline    string     `json:"deadline"`
	Status      string     `json:"status"`
	DaysLeft    int        `json:"days_left"`
	CadreID     int64      `json:"cadre_id,omitempty"`
	CadreName   string     `json:"cadre_name,omitempty"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
}

func (c *Rectifications) apiRectifications(e echo.Context) error {
	q := listing.RectQuery(e)
	var err error
	if q.Limit, q.Offset, err = apiPaging(e); err != nil {
		return err
	}
	rows, total, err := c.Query.Rectifications(e.Request().Context(), q)
	if err != nil {
		return err
	}
	items := make([]apiRectItem, len(rows))
	for i, r := range rows {
		items[i] = apiRectItem{ID: r.ID, BusinessID: r.BusinessID, Business: r.Business, Village: r.Village, VisitID: r.VisitID,
			ItemID: r.ItemID, ItemLabel: r.ItemLabel, Description: r.Description, Requirement: r.Requirement,
			Deadline: r.Deadline.Format("2006-01-02"), Status: r.Status, DaysLeft: r.DaysLeft, CadreID: r.CadreID,
			CadreName: r.CadreName, ClosedAt: r.ClosedAt}
	}
	return e.JSON(http.StatusOK, newList(items, total, q.Limit, q.Offset))
}
