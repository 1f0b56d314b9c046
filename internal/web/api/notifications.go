package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// Notifications serves the outbox of the scope (/api/v1/notifications) and a retry.
type Notifications struct {
	Query  *query.Reader
	Notify *notify.Service
	*mounted
}

func (c *Notifications) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/notifications", c.apiNotifications, m.auth)
	m.group.POST("/notifications/:id/retry", c.apiRetry, m.auth, web.RequireWriter)
}

// apiNotifications lists the outbox of the scope: ?status=failed,dead,unreachable
// (comma-separated or repeated) shows who cannot be reached and why.
func (c *Notifications) apiNotifications(e echo.Context) error {
	f, err := listing.NotificationFilter(e)
	if err != nil {
		return err
	}
	if f.Limit, f.Offset, err = apiPaging(e); err != nil {
		return err
	}
	rows, total, err := c.Query.Notifications(e.Request().Context(), f, web.ScopePath(e))
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, newList(rows, total, f.Limit, f.Offset))
}

func (c *Notifications) apiRetry(e echo.Context) error {
	id, err := listing.Retry(e, c.Query, c.Notify)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, map[string]any{"id": id, "status": notify.StatusPending})
}
