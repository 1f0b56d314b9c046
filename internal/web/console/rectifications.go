package console

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// Rectifications serves the rectification list and its export
// (templates/console/rectifications.html).
type Rectifications struct {
	// Query is the read side.
	Query       *query.Reader
	Supervision *supervision.Service
	*mounted
}

func (c *Rectifications) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/rectifications", c.rectifications)
	m.group.GET("/rectifications.xlsx", c.rectificationsXLSX)
}

// rectificationsPage is the rectification list.
type rectificationsPage struct {
	Status string
	Rows   []query.RectificationLine
	Pager  pager
}

func (c *Rectifications) rectifications(e echo.Context) error {
	q := listing.RectQuery(e)
	page, limit, offset := paging(e)
	q.Limit, q.Offset = limit, offset
	rows, total, err := c.Query.Rectifications(e.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.render(e, http.StatusOK, "rectifications", "整改", rectificationsPage{Status: q.Status, Rows: rows,
		Pager: newPager(e, page, total, "/console/rectifications.xlsx")})
}

func (c *Rectifications) rectificationsXLSX(e echo.Context) error {
	sh := newSheet(e, exportName("整改", web.Scope(e).Name, c.clock.Now()), "整改", []column{{"主体名称", 36}, {"村(社区)", 14}, {"检查项目", 24}, {"问题描述", 40}, {"整改要求", 30},
		{"整改期限", 12}, {"状态", 8}, {"剩余天数", 10}, {"包保干部", 10}, {"完成时间", 17}})
	err := c.Query.EachRectification(e.Request().Context(), listing.RectQuery(e), func(rows []query.RectificationLine) error {
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
