package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/supervision"
)

// The console's rectification page (/console/rectifications/:id): the
// finding, its deadline, every feedback of the business and follow-up
// check of the cadre with their photos, extensions with reasons, and who
// did what when. The read is query.RectificationInScope; a rectification
// outside the user's scope is answered as a missing one.

type rectificationPage struct {
	R         *query.RectificationDetail
	ItemLabel string
	ModeLabel string
	DaysLeft  int
}

func (c *Console) rectification(e echo.Context) error {
	id, err := idParam(e)
	if err != nil {
		return err
	}
	r, err := c.Query.RectificationInScope(e.Request().Context(), id, scopePath(e))
	if err != nil {
		return err
	}
	p := rectificationPage{R: r, ItemLabel: c.Supervision.Checklists().Label(r.ItemID, r.CheckKind),
		ModeLabel: supervision.Mode(r.VisitMode).Label(), DaysLeft: supervision.DaysBetween(c.Clock.Now(), r.Deadline)}
	return c.Render(e, http.StatusOK, "rectification", "整改详情", p)
}
