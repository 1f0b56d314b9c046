package console

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
	"github.com/shianbao/shianbao/internal/web/view"
	"github.com/shianbao/shianbao/templates"
)

// errNoLetters answers letter pages where the letter service is not wired.
var errNoLetters = errs.E(errs.NotFound, msgNoLetters)

// Letters serves the prompt letter list and its export
// (templates/console/letters.html) and a letter's A4 sheet
// (templates/letters/print.html), the same document the business receives.
type Letters struct {
	Query    *query.Reader
	Letters  *letter.Service
	Accounts *account.Service
	*mounted
}

func (c *Letters) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/letters", c.letters)
	m.group.GET("/letters.xlsx", c.lettersXLSX)
	m.group.GET("/letters/:id/print", c.printLetter)
}

type lettersPage struct {
	Status string
	Rows   []letterRow
	Pager  pager
}

// letterRow is a listed letter with its status in words.
type letterRow struct{ query.LetterLine }

// StatusLabel is the Chinese name of the letter's status.
func (r letterRow) StatusLabel() string { return letter.StatusLabel(r.Status) }

func (c *Letters) letters(e echo.Context) error {
	if c.Letters == nil {
		return errNoLetters
	}
	q := listing.LetterQuery(e)
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
	return c.render(e, http.StatusOK, "letters", "提示函", lettersPage{Status: q.Status, Rows: rows,
		Pager: newPager(e, page, total, "/console/letters.xlsx")})
}

func (c *Letters) lettersXLSX(e echo.Context) error {
	if c.Letters == nil {
		return errNoLetters
	}
	sh := newSheet(e, exportName("提示函", web.Scope(e).Name, c.clock.Now()), "提示函", []column{{"编号", 26}, {"主体名称", 36}, {"村(社区)", 14}, {"签发时间", 17}, {"签发人", 16},
		{"状态", 8}, {"送达时间", 17}, {"签收时间", 17}})
	err := c.Query.EachLetter(e.Request().Context(), listing.LetterQuery(e), func(rows []query.LetterLine) error {
		issuers := make([]string, len(rows))
		for i, l := range rows {
			issuers[i] = l.IssuedBy
		}
		people, err := people(e, c.Query, issuers...)
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
func (c *Letters) printLetter(e echo.Context) error {
	if c.Letters == nil {
		return errNoLetters
	}
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	if err := c.Query.LetterInScope(ctx, id, web.ScopePath(e)); err != nil {
		return err
	}
	l, err := c.Letters.Letter(ctx, id)
	if err != nil {
		return err
	}
	sets, err := templates.Load()
	if err != nil {
		return err
	}
	if err := c.Letters.RecordRead(ctx, l.ID, web.Actor(e), letter.ViaPrint); err != nil {
		c.log.Warn("record letter read", "rid", web.RequestID(e), "err", err.Error())
	}
	sheet := view.LetterSheet{Letter: l}
	if l.Acknowledged() {
		sheet.Acked, sheet.AckAt = true, *l.AcknowledgedAt
		if l.AckContactID != nil {
			if ct, err := c.Accounts.Contact(ctx, *l.AckContactID); err == nil {
				sheet.AckBy = strings.TrimSpace(ct.Role.Label() + " " + ct.Name)
			}
		}
	}
	var buf bytes.Buffer
	if err := sets.H5.ExecuteTemplate(&buf, "letters-print", view.LetterSheets{Title: l.Number, Sheets: []view.LetterSheet{sheet}}); err != nil {
		return err
	}
	e.Response().Header().Set("Cache-Control", "private, no-store")
	return e.HTMLBlob(http.StatusOK, buf.Bytes())
}
