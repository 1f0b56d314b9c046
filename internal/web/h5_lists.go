package web

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// The pages reminders and escalations link to: what a template message
// (20 characters a field) cannot hold.

// open checks the link to the page of the id in the path (resource
// names its signed path) and, with OAuth, who opens it. A nil visitor
// with a nil error means the visitor was sent to sign in.
func (h *H5) open(c echo.Context, resource func(int64) string) (int64, *h5Visitor, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, nil, errs.E(errs.Forbidden, msgH5LinkInvalid)
	}
	v, err := h.access.identify(c, resource(id))
	return id, v, err
}

func (h *H5) render(c echo.Context, name string, data any) error {
	var buf bytes.Buffer
	if err := h.pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	h5Page(c)
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

func (h *H5) cadreTasks(c echo.Context) error {
	id, v, err := h.open(c, tasksResource)
	if err != nil || v == nil {
		return err
	}
	ctx := c.Request().Context()
	reader, err := authorizeAnyAs(v, msgH5NotForYou, func(a registry.Actor) error { return h.supervision.AuthorizeTasks(ctx, id, a) })
	if err != nil {
		return err
	}
	cadre, err := h.registry.Cadre(ctx, id)
	if err != nil {
		return err
	}
	tasks, err := h.supervision.Tasks(ctx, id)
	if err != nil {
		return err
	}
	return h.render(c, "tasks", map[string]any{"Cadre": cadre, "Tasks": tasks, "Forms": h.formLinks(tasks, reader)})
}

func (h *H5) officeOverdue(c echo.Context) error {
	id, v, err := h.open(c, overdueResource)
	if err != nil || v == nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := authorizeAnyAs(v, msgH5NotForYou, func(a registry.Actor) error { return h.supervision.AuthorizeOverdue(ctx, id, a) }); err != nil {
		return err
	}
	office, err := h.registry.Office(ctx, id)
	if err != nil {
		return err
	}
	region, err := h.registry.Region(ctx, office.RegionID)
	if err != nil {
		return err
	}
	items, err := h.query.Overdue(ctx, region.Path)
	if err != nil {
		return err
	}
	return h.render(c, "overdue", map[string]any{"Office": office, "Items": items})
}

func (h *H5) rectification(c echo.Context) error {
	id, v, err := h.open(c, rectificationResource)
	if err != nil || v == nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := h.supervision.RectificationByID(ctx, id)
	if err != nil {
		return err
	}
	if _, err := authorizeAnyAs(v, msgH5NotForYou, func(a registry.Actor) error { return h.authorizeRectification(ctx, r, a) }); err != nil {
		return err
	}
	events, err := h.supervision.RectificationHistory(ctx, id)
	if err != nil {
		return err
	}
	return h.render(c, "rectification", map[string]any{"R": r, "Events": events, "Open": r.Status == supervision.StatusOpen})
}

// authorizeRectification admits the business's contacts (their reminders
// link here) and whoever may see the visit it came from.
func (h *H5) authorizeRectification(ctx context.Context, r *supervision.Rectification, reader registry.Actor) error {
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
	return h.supervision.AuthorizeRectification(ctx, r, reader)
}
