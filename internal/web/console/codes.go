package console

import (
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/view"
)

// bindQRSize is the binding QR code's size in pixels, for a printed sheet.
const bindQRSize = 360

// msgNoBindQR: the platform could not make the binding QR code.
const msgNoBindQR = "绑定二维码暂时无法生成（微信接口不可用），请使用上面的绑定码。"

// codeIssuedPage shows a new binding code, once: only its hash is stored.
// Beside it, a QR code that binds whoever scans it (a one-time QR binding
// of its own), printable with the person's name and role.
type codeIssuedPage struct {
	Code    string
	For     string
	Expires time.Time
	Back    string
	// QR is the QR code as a data: URL; QRNote says why there is none.
	QR     template.URL
	QRNote string
}

// issueCode makes a binding code for a subject the caller has checked to
// lie in the user's scope, and its QR code, and shows both
// (account.IssueCode and BindQR audit them). A QR code the platform
// cannot make leaves the code usable.
func (m *mounted) issueCode(e echo.Context, accounts *account.Service, role account.Role, subjectID int64, label, back string) error {
	ctx := e.Request().Context()
	code, bc, err := accounts.IssueCode(ctx, role, subjectID, web.Actor(e))
	if err != nil {
		return err
	}
	p := codeIssuedPage{Code: code, For: label, Expires: bc.ExpiresAt, Back: back}
	if e.FormValue("qr") == "" {
		// The console's forms ask for the QR code; a bare request gets the code alone.
		return m.render(e, http.StatusOK, "code_issued", "绑定码", p)
	}
	qrURL, err := accounts.BindQR(ctx, role, subjectID, web.Actor(e))
	if err == nil {
		p.QR, err = view.QR(qrURL, bindQRSize)
	}
	if err != nil {
		m.log.Warn("binding QR code not made", "err", err.Error())
		p.QRNote = msgNoBindQR
	}
	return m.render(e, http.StatusOK, "code_issued", "绑定码", p)
}

// Codes serves the binding codes of the scope (templates/console/codes.html):
// new codes for managers, and revoking unused ones.
type Codes struct {
	Accounts *account.Service
	Query    *query.Reader
	Registry *registry.Service
	*mounted
}

func (c *Codes) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/codes", c.codes)
	m.group.POST("/codes", c.managerCode, web.RequireWriter)
	m.group.POST("/codes/:id/revoke", c.revokeCode, web.RequireWriter)
}

type codesPage struct {
	Rows     []query.CodeLine
	Pager    pager
	Managers []query.ManagerLine
	Now      time.Time
	Flash    string
	CanWrite bool
}

// RoleLabel names a code's role ("包保干部" for cadre).
func (codesPage) RoleLabel(role string) string { return account.Role(role).Label() }

func (c *Codes) codes(e echo.Context) error {
	ctx := e.Request().Context()
	page, limit, offset := paging(e)
	rows, total, err := c.Query.BindingCodes(ctx, web.ScopePath(e), limit, offset)
	if err != nil {
		return err
	}
	p := codesPage{Rows: rows, Pager: newPager(e, page, total, ""), Now: c.clock.Now(), Flash: flash(e), CanWrite: web.User(e).Role.CanWrite()}
	if p.Managers, err = c.Query.Managers(ctx, web.ScopePath(e)); err != nil {
		return err
	}
	return c.render(e, http.StatusOK, "codes", "绑定码", p)
}

// managerCode issues a binding code for a manager of an office in scope.
func (c *Codes) managerCode(e echo.Context) error {
	m, err := c.Registry.ManagerInScope(e.Request().Context(), formID(e, "manager_id"), web.ScopePath(e))
	if err != nil {
		return err
	}
	return c.issueCode(e, c.Accounts, account.RoleManager, m.ID, msgCodeForManager+m.Name, "/console/codes")
}

func (c *Codes) revokeCode(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	if _, err := c.Query.BindingCodeInScope(ctx, id, web.ScopePath(e)); err != nil {
		return err
	}
	if err := c.Accounts.RevokeCode(ctx, id, web.Actor(e)); err != nil {
		return err
	}
	return done(e, "/console/codes", "revoked")
}
