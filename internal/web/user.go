package web

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// The console user a request acts for: set by the console's sign-in check
// (a session cookie) or the API's (a token or that cookie), read by every
// handler of both. Handlers read and change data only inside the user's
// region subtree (Scope).

// SessionCookie holds a console session's token (Sessions).
const SessionCookie = "sab_session"

const (
	ctxUser    = "console_user"
	ctxSession = "console_session"
	ctxScope   = "console_scope"
)

// What a request for a page that is not there is told.
const msgNoPage = "页面不存在。"

// SignIn records who the request acts for; sess is nil for an API token.
func SignIn(c echo.Context, u *account.User, scope account.Scope, sess *Session) {
	c.Set(ctxUser, u)
	c.Set(ctxScope, scope)
	if sess != nil {
		c.Set(ctxSession, sess)
	}
}

// User returns the signed-in user of a request.
func User(c echo.Context) *account.User { u, _ := c.Get(ctxUser).(*account.User); return u }

// Scope returns the region subtree of the signed-in user.
func Scope(c echo.Context) account.Scope { s, _ := c.Get(ctxScope).(account.Scope); return s }

// ScopePath is the signed-in user's region subtree ("" for all).
func ScopePath(c echo.Context) string { return Scope(c).Path }

// SessionOf returns the request's console session, nil for an API token.
func SessionOf(c echo.Context) *Session { s, _ := c.Get(ctxSession).(*Session); return s }

// Actor names the signed-in user in histories and the audit log.
func Actor(c echo.Context) registry.Actor {
	return registry.Actor("user:" + User(c).Username)
}

// RequireWriter refuses read-only users.
func RequireWriter(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := User(c); u == nil || !u.Role.CanWrite() {
			return errs.E(errs.Forbidden, "只读账号不能修改数据。")
		}
		return next(c)
	}
}

// IDParam reads the :id of a URL; anything but a positive number is a
// page that does not exist.
func IDParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, msgNoPage)
	}
	return id, nil
}
