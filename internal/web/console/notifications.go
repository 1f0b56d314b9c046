package console

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// Notifications serves the outbox of the scope (templates/console/notifications.html):
// who was told what, who cannot be reached and why, with a retry.
type Notifications struct {
	Query  *query.Reader
	Notify *notify.Service
	*mounted
}

func (c *Notifications) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/notifications", c.notifications)
	m.group.GET("/notifications.xlsx", c.notificationsXLSX)
	m.group.POST("/notifications/:id/retry", c.retryNotification, web.RequireWriter)
}

type notificationsPage struct {
	Status   string
	Statuses []string
	Labels   map[string]string
	Rows     []query.Notification
	Pager    pager
	Flash    string
	CanWrite bool
}

// Retryable reports whether the console may requeue n.
func (notificationsPage) Retryable(n query.Notification) bool {
	switch notify.Status(n.Status) {
	case notify.StatusFailed, notify.StatusDead, notify.StatusUnreachable:
		return true
	}
	return false
}

func (c *Notifications) notifications(e echo.Context) error {
	f, err := listing.NotificationFilter(e)
	if err != nil {
		return err
	}
	page, limit, offset := paging(e)
	f.Limit, f.Offset = limit, offset
	rows, total, err := c.Query.Notifications(e.Request().Context(), f, web.ScopePath(e))
	if err != nil {
		return err
	}
	return c.render(e, http.StatusOK, "notifications", "通知", notificationsPage{Status: e.QueryParam("status"),
		Statuses: listing.NotificationStatuses, Labels: notificationLabels, Rows: rows, Flash: flash(e),
		CanWrite: web.User(e).Role.CanWrite(), Pager: newPager(e, page, total, "/console/notifications.xlsx")})
}

func (c *Notifications) notificationsXLSX(e echo.Context) error {
	f, err := listing.NotificationFilter(e)
	if err != nil {
		return err
	}
	sh := newSheet(e, exportName("通知", web.Scope(e).Name, c.clock.Now()), "通知", []column{{"编号", 8}, {"类型", 20}, {"接收人", 14}, {"标题", 36}, {"状态", 14}, {"尝试次数", 8},
		{"原因", 40}, {"创建时间", 17}, {"发送时间", 17}})
	err = c.Query.EachNotification(e.Request().Context(), f, web.ScopePath(e), func(rows []query.Notification) error {
		for _, n := range rows {
			if err := sh.add(n.ID, query.NotificationKindLabel(n.Kind), n.RecipientLabel(), n.Title, notificationLabels[n.Status], n.Attempts, n.LastError, n.CreatedAt, n.SentAt); err != nil {
				return err
			}
		}
		return nil
	})
	return sh.finish(err)
}

func (c *Notifications) retryNotification(e echo.Context) error {
	if _, err := listing.Retry(e, c.Query, c.Notify); err != nil {
		return err
	}
	back := "/console/notifications"
	if s := e.FormValue("status"); s != "" {
		back += "?status=" + url.QueryEscape(s)
	}
	return done(e, back, "retried")
}
