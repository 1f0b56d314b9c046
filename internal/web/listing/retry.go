package listing

import (
	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/web"
)

// Retry requeues the failed, dead or unreachable notification of the
// scope named by the URL's :id, recorded in the audit log as the user's
// (notify.RetryBy). An id outside the scope is NotFound.
func Retry(e echo.Context, q *query.Reader, n *notify.Service) (int64, error) {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return 0, err
	}
	if _, err := q.NotificationInScope(ctx, id, web.ScopePath(e)); err != nil {
		return 0, err
	}
	if err := n.RetryBy(ctx, id, string(web.Actor(e))); err != nil {
		return 0, err
	}
	return id, nil
}
