package console

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
)

// The console's rectification page (/console/rectifications/:id): the
// finding, its deadline, every feedback of the business and follow-up
// check of the cadre with their photos, extensions with reasons, and who
// did what when. The read is query.RectificationInScope; a rectification
// outside the user's scope is answered as a missing one.

// Rectification serves a rectification's page (templates/console/rectification.html).
type Rectification struct {
	Query       *query.Reader
	Supervision *supervision.Service
	*mounted
}

func (c *Rectification) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/rectifications/:id", c.rectification)
}

type rectificationPage struct {
	R         *query.RectificationDetail
	ItemLabel string
	ModeLabel string
	DaysLeft  int
}

func (c *Rectification) rectification(e echo.Context) error {
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	r, err := c.Query.RectificationInScope(e.Request().Context(), id, web.ScopePath(e))
	if err != nil {
		return err
	}
	p := rectificationPage{R: r, ItemLabel: c.Supervision.Checklists().Label(r.ItemID, r.CheckKind),
		ModeLabel: supervision.Mode(r.VisitMode).Label(), DaysLeft: supervision.DaysBetween(c.clock.Now(), r.Deadline)}
	return c.render(e, http.StatusOK, "rectification", "整改详情", p)
}
