package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
)

// errNoLetters answers letter pages where the letter service is not wired.
var errNoLetters = errs.E(errs.NotFound, msgNoLetters)

type lettersPage struct {
	Status string
	Rows   []letterRow
	Pager  pager
}

// letterRow is a listed letter with its status in words.
type letterRow struct{ query.LetterLine }

// StatusLabel is the Chinese name of the letter's status.
func (r letterRow) StatusLabel() string { return letter.StatusLabel(r.Status) }

func (c *Console) letterQuery(e echo.Context) query.LetterFilter {
	return query.LetterFilter{ScopePath: scopePath(e), Status: e.QueryParam("status")}
}

func (c *Console) letters(e echo.Context) error {
	if c.Letters == nil {
		return errNoLetters
	}
	q := c.letterQuery(e)
	page, limit, offset := paging(e)
	q.Limit, q.Offset = limit, offset
	lines, total, err := c.Query.Letters(e.Request().Context(), q)
	if err != nil {
		return err
	}
	rows := make([]letterRow, len(lines))
	for i, l := range lines {
		rows[i] = letterRow{l}
	}
	return c.Render(e, http.StatusOK, "letters", "提示函", lettersPage{Status: q.Status, Rows: rows,
		Pager: newPager(e, page, total, "/console/letters.xlsx")})
}

func (c *Console) lettersXLSX(e echo.Context) error {
	if c.Letters == nil {
		return errNoLetters
	}
	sh := newSheet(e, exportName("提示函", ConsoleScope(e).Name, c.Clock.Now()), "提示函", []column{{"编号", 26}, {"主体名称", 36}, {"村(社区)", 14}, {"签发时间", 17}, {"签发人", 16},
		{"状态", 8}, {"送达时间", 17}, {"签收时间", 17}})
	err := c.Query.EachLetter(e.Request().Context(), c.letterQuery(e), func(rows []query.LetterLine) error {
		issuers := make([]string, len(rows))
		for i, l := range rows {
			issuers[i] = l.IssuedBy
		}
		people, err := c.people(e, issuers...)
		if err != nil {
			return err
		}
		for _, l := range rows {
			if err := sh.add(l.Number, l.Business, l.Village, l.IssuedAt, people[l.IssuedBy].Label(), letter.StatusLabel(l.Status), l.DeliveredAt, l.AcknowledgedAt); err != nil {
				return err
			}
		}
		return nil
	})
	return sh.finish(err)
}

// printLetter shows a letter of the user's scope as its A4 sheet, the same
// document the business receives.
func (c *Console) printLetter(e echo.Context) error {
	if c.Letters == nil {
		return errNoLetters
	}
	ctx := e.Request().Context()
	id, err := idParam(e)
	if err != nil {
		return err
	}
	if err := c.Query.LetterInScope(ctx, id, scopePath(e)); err != nil {
		return err
	}
	l, err := c.Letters.Letter(ctx, id)
	if err != nil {
		return err
	}
	docs, err := h5Docs()
	if err != nil {
		return err
	}
	if err := c.Letters.RecordRead(ctx, l.ID, actor(e), letter.ViaPrint); err != nil {
		c.logger().Warn("record letter read", "rid", RequestID(e), "err", err.Error())
	}
	sheet := letterSheet{Letter: l}
	if l.Acknowledged() {
		sheet.Acked, sheet.AckAt = true, *l.AcknowledgedAt
		if l.AckContactID != nil {
			if ct, err := c.Accounts.Contact(ctx, *l.AckContactID); err == nil {
				sheet.AckBy = strings.TrimSpace(ct.Role.Label() + " " + ct.Name)
			}
		}
	}
	var buf bytes.Buffer
	if err := docs.ExecuteTemplate(&buf, "letters-print", letterSheets{Title: l.Number, Sheets: []letterSheet{sheet}}); err != nil {
		return err
	}
	e.Response().Header().Set("Cache-Control", "private, no-store")
	return e.HTMLBlob(http.StatusOK, buf.Bytes())
}

// notificationStatuses are the statuses the notification list filters by.
var notificationStatuses = []string{string(notify.StatusPending), string(notify.StatusSending), string(notify.StatusSent),
	string(notify.StatusDelivered), string(notify.StatusFailed), string(notify.StatusDead), string(notify.StatusUnreachable)}

// notificationFilter reads ?status= (one or more, separated by commas or
// "|" as in status=failed|dead, or repeated).
func notificationFilter(e echo.Context) (query.NotificationFilter, error) {
	var f query.NotificationFilter
	for _, v := range e.QueryParams()["status"] {
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '|' }) {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			if !notify.Status(s).Valid() {
				return f, errs.E(errs.Invalid, msgBadNotifyStatus, s)
			}
			f.Statuses = append(f.Statuses, s)
		}
	}
	return f, nil
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

func (c *Console) notifications(e echo.Context) error {
	f, err := notificationFilter(e)
	if err != nil {
		return err
	}
	page, limit, offset := paging(e)
	f.Limit, f.Offset = limit, offset
	rows, total, err := c.Query.Notifications(e.Request().Context(), f, scopePath(e))
	if err != nil {
		return err
	}
	return c.Render(e, http.StatusOK, "notifications", "通知", notificationsPage{Status: e.QueryParam("status"),
		Statuses: notificationStatuses, Labels: notificationLabels, Rows: rows, Flash: flash(e),
		CanWrite: ConsoleUser(e).Role.CanWrite(), Pager: newPager(e, page, total, "/console/notifications.xlsx")})
}

func (c *Console) notificationsXLSX(e echo.Context) error {
	f, err := notificationFilter(e)
	if err != nil {
		return err
	}
	sh := newSheet(e, exportName("通知", ConsoleScope(e).Name, c.Clock.Now()), "通知", []column{{"编号", 8}, {"类型", 20}, {"接收人", 14}, {"标题", 36}, {"状态", 14}, {"尝试次数", 8},
		{"原因", 40}, {"创建时间", 17}, {"发送时间", 17}})
	err = c.Query.EachNotification(e.Request().Context(), f, scopePath(e), func(rows []query.Notification) error {
		for _, n := range rows {
			if err := sh.add(n.ID, query.NotificationKindLabel(n.Kind), n.RecipientLabel(), n.Title, notificationLabels[n.Status], n.Attempts, n.LastError, n.CreatedAt, n.SentAt); err != nil {
				return err
			}
		}
		return nil
	})
	return sh.finish(err)
}

// retry requeues a failed, dead or unreachable notification of the scope.
func (c *Console) retry(e echo.Context) (int64, error) {
	ctx := e.Request().Context()
	id, err := idParam(e)
	if err != nil {
		return 0, err
	}
	n, err := c.Query.NotificationInScope(ctx, id, scopePath(e))
	if err != nil {
		return 0, err
	}
	if err := c.Notify.Retry(ctx, id); err != nil {
		return 0, err
	}
	c.audit(e, "notification.retry", "notification", id, fmt.Sprintf("%s to %s, was %s", n.Kind, n.To.String(), n.Status))
	return id, nil
}

func (c *Console) retryNotification(e echo.Context) error {
	if _, err := c.retry(e); err != nil {
		return err
	}
	back := "/console/notifications"
	if s := e.FormValue("status"); s != "" {
		back += "?status=" + urlQueryEscape(s)
	}
	return done(e, back, "retried")
}
