package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/query"
)

// codeIssuedPage shows a new binding code, once: only its hash is stored.
type codeIssuedPage struct {
	Code    string
	For     string
	Expires time.Time
	Back    string
}

// issueCode makes a binding code for a subject the caller has checked to
// lie in the user's scope, and shows it (account.IssueCode audits it).
func (c *Console) issueCode(e echo.Context, role account.Role, subjectID int64, label, back string) error {
	code, bc, err := c.Accounts.IssueCode(e.Request().Context(), role, subjectID, actor(e))
	if err != nil {
		return err
	}
	return c.Render(e, http.StatusOK, "code_issued", "绑定码", codeIssuedPage{Code: code, For: label, Expires: bc.ExpiresAt, Back: back})
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

func (c *Console) codes(e echo.Context) error {
	ctx := e.Request().Context()
	page, limit, offset := paging(e)
	rows, total, err := c.Query.BindingCodes(ctx, scopePath(e), limit, offset)
	if err != nil {
		return err
	}
	p := codesPage{Rows: rows, Pager: newPager(e, page, total, ""), Now: c.Clock.Now(), Flash: flash(e), CanWrite: ConsoleUser(e).Role.CanWrite()}
	if p.Managers, err = c.Query.Managers(ctx, scopePath(e)); err != nil {
		return err
	}
	return c.Render(e, http.StatusOK, "codes", "绑定码", p)
}

// managerCode issues a binding code for a manager of an office in scope.
func (c *Console) managerCode(e echo.Context) error {
	m, err := c.Registry.ManagerInScope(e.Request().Context(), formID(e, "manager_id"), scopePath(e))
	if err != nil {
		return err
	}
	return c.issueCode(e, account.RoleManager, m.ID, msgCodeForManager+m.Name, "/console/codes")
}

func (c *Console) revokeCode(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := idParam(e)
	if err != nil {
		return err
	}
	if _, err := c.Query.BindingCodeInScope(ctx, id, scopePath(e)); err != nil {
		return err
	}
	if err := c.Accounts.RevokeCode(ctx, id, actor(e)); err != nil {
		return err
	}
	return done(e, "/console/codes", "revoked")
}
