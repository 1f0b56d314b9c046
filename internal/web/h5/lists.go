package h5

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Lists serves the pages reminders and escalations link to, what a
// template message (20 characters a field) cannot hold: a cadre's open
// tasks, an office's overdue list and a rectification with its history
// (templates/h5/lists.html).
type Lists struct {
	Registry    *registry.Service
	Supervision *supervision.Service
	// Query is the read side: an office's overdue list.
	Query *query.Reader
	*mounted
}

func (h *Lists) mount(m *mounted) {
	h.mounted = m
	m.router.GET("/h5/cadres/:id/tasks", h.cadreTasks)
	m.router.GET("/h5/offices/:id/overdue", h.officeOverdue)
	m.router.GET("/h5/rectifications/:id", h.rectification)
}

// open checks the link to the page of the id in the path (resource
// names its signed path) and, with OAuth, who opens it. A nil visitor
// with a nil error means the visitor was sent to sign in.
func (m *mounted) open(c echo.Context, resource func(int64) string) (int64, *h5Visitor, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, nil, errs.E(errs.Forbidden, msgH5LinkInvalid)
	}
	v, err := m.access.identify(c, resource(id))
	return id, v, err
}

func (h *Lists) cadreTasks(c echo.Context) error {
	id, v, err := h.open(c, tasksResource)
	if err != nil || v == nil {
		return err
	}
	ctx := c.Request().Context()
	reader, err := authorizeAnyAs(v, msgH5NotForYou, func(a registry.Actor) error { return h.Supervision.AuthorizeTasks(ctx, id, a) })
	if err != nil {
		return err
	}
	cadre, err := h.Registry.Cadre(ctx, id)
	if err != nil {
		return err
	}
	tasks, err := h.Supervision.Tasks(ctx, id)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "tasks", map[string]any{"Cadre": cadre, "Tasks": tasks, "Forms": h.formLinks(tasks, reader)})
}

func (h *Lists) officeOverdue(c echo.Context) error {
	id, v, err := h.open(c, overdueResource)
	if err != nil || v == nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := authorizeAnyAs(v, msgH5NotForYou, func(a registry.Actor) error { return h.Supervision.AuthorizeOverdue(ctx, id, a) }); err != nil {
		return err
	}
	office, err := h.Registry.Office(ctx, id)
	if err != nil {
		return err
	}
	region, err := h.Registry.Region(ctx, office.RegionID)
	if err != nil {
		return err
	}
	items, err := h.Query.Overdue(ctx, region.Path)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "overdue", map[string]any{"Office": office, "Items": items})
}

func (h *Lists) rectification(c echo.Context) error {
	id, v, err := h.open(c, rectificationResource)
	if err != nil || v == nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := h.Supervision.RectificationByID(ctx, id)
	if err != nil {
		return err
	}
	if _, err := authorizeAnyAs(v, msgH5NotForYou, func(a registry.Actor) error { return h.authorizeRectification(ctx, r, a) }); err != nil {
		return err
	}
	events, err := h.Supervision.RectificationHistory(ctx, id)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "rectification", map[string]any{"R": r, "Events": events, "Open": r.Status == supervision.StatusOpen})
}

// authorizeRectification admits the business's contacts (their reminders
// link here) and whoever may see the visit it came from.
func (h *Lists) authorizeRectification(ctx context.Context, r *supervision.Rectification, reader registry.Actor) error {
	if kind, idText, _ := strings.Cut(string(reader), ":"); kind == "contact" {
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			return errs.E(errs.Forbidden, msgH5NotForYou)
		}
		ct, err := h.access.accounts.Contact(ctx, id)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err == nil && ct.BusinessID == r.BusinessID {
			return nil
		}
		return errs.E(errs.Forbidden, msgH5NotForYou)
	}
	return h.Supervision.AuthorizeRectification(ctx, r, reader)
}
