package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/supervision"
)

// The pages reminders and escalations link to: what a template message
// (20 characters a field) cannot hold.

func (h *H5) signed(c echo.Context, kind string) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || !h.links.verify(kind+":"+c.Param("id"), c.QueryParam("s")) {
		return 0, errs.E(errs.Forbidden, "链接无效或已失效，请从微信消息中重新打开。")
	}
	return id, nil
}

func (h *H5) render(c echo.Context, name string, data any) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().Header().Set("Cache-Control", "private, no-store")
	c.Response().WriteHeader(http.StatusOK)
	return h.pages.ExecuteTemplate(c.Response(), name, data)
}

func (h *H5) cadreTasks(c echo.Context) error {
	id, err := h.signed(c, "cadre-tasks")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cadre, err := h.registry.Cadre(ctx, id)
	if err != nil {
		return err
	}
	tasks, err := h.supervision.Tasks(ctx, id)
	if err != nil {
		return err
	}
	return h.render(c, "tasks", map[string]any{"Cadre": cadre, "Tasks": tasks})
}

func (h *H5) officeOverdue(c echo.Context) error {
	id, err := h.signed(c, "office-overdue")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	office, err := h.registry.Office(ctx, id)
	if err != nil {
		return err
	}
	region, err := h.registry.Region(ctx, office.RegionID)
	if err != nil {
		return err
	}
	items, err := h.supervision.Overdue(ctx, region.Path)
	if err != nil {
		return err
	}
	return h.render(c, "overdue", map[string]any{"Office": office, "Items": items})
}

func (h *H5) rectification(c echo.Context) error {
	id, err := h.signed(c, "rectification")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := h.supervision.RectificationByID(ctx, id)
	if err != nil {
		return err
	}
	events, err := h.supervision.RectificationHistory(ctx, id)
	if err != nil {
		return err
	}
	return h.render(c, "rectification", map[string]any{"R": r, "Events": events, "Open": r.Status == supervision.StatusOpen})
}
