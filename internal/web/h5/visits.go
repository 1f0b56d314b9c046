package h5

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Visits serves a visit's receipt (templates/h5/visit.html), opened from
// the message a cadre gets when a report is stored.
type Visits struct {
	Supervision *supervision.Service
	*mounted
}

func (h *Visits) mount(m *mounted) {
	h.mounted = m
	m.router.GET("/h5/visits/:id", h.visit)
}

type visitPage struct {
	*supervision.VisitDetail
}

func (h *Visits) visit(c echo.Context) error {
	id, v, err := h.open(c, visitResource)
	if err != nil || v == nil {
		return err
	}
	ctx := c.Request().Context()
	detail, err := h.Supervision.Visit(ctx, id)
	if err != nil {
		return err
	}
	if _, err := authorizeAnyAs(v, msgH5NotForYou, func(a registry.Actor) error { return h.Supervision.AuthorizeVisit(ctx, detail, a) }); err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "visit", visitPage{VisitDetail: detail})
}
