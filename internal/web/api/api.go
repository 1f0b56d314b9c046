// Package api is the JSON API: the console's data for integrations and
// scripts, with the same scoping. A caller authenticates with an API token
// ("Authorization: Bearer sab_…", made on the console's API page) or with
// the console's session cookie; with the cookie, a request that changes
// anything must carry the session's CSRF token in X-CSRF-Token. Lists are
// {items, total, limit, offset}; errors are web.ErrorBody. One handler
// struct per group of endpoints (Businesses, Cadres, Visits, ...), each in
// the file named after it.
package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
)

const apiPrefix = "/api/v1"

// Group is a group of endpoints: Businesses, Cadres, Visits, ...
type Group interface {
	mount(m *mounted)
}

// mounted is what every group's handlers share once mounted: the
// /api/v1 route group and the check of who calls.
type mounted struct {
	group *echo.Group
	auth  echo.MiddlewareFunc
}

// Mount adds the groups' endpoints under /api/v1, each behind auth. The
// check is per route, not on the group, so an unknown path under /api/v1
// is a plain 404 rather than a demand to sign in.
func Mount(s *web.Server, auth *Auth, groups ...Group) {
	m := &mounted{group: s.Router().Group(apiPrefix), auth: auth.requireUser}
	for _, g := range groups {
		g.mount(m)
	}
}

// Auth says who calls: the console user behind an API token
// (account.TokenUser) or a console session.
type Auth struct {
	Accounts *account.Service
	Sessions *web.Sessions
	Clock    clock.Clock
}

// requireUser admits a bearer token or a console session. With the
// session cookie, state-changing requests need the X-CSRF-Token header (a
// form field does not count: the API takes no forms).
func (c *Auth) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(e echo.Context) error {
		ctx := e.Request().Context()
		var userID int64
		var sess *web.Session
		if auth := e.Request().Header.Get(echo.HeaderAuthorization); auth != "" {
			token, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok {
				return errs.E(errs.Unauthorized, msgUseBearer)
			}
			id, err := c.Accounts.TokenUser(ctx, strings.TrimSpace(token))
			if err != nil {
				return err
			}
			userID = id
		} else {
			cookie, _ := e.Cookie(web.SessionCookie)
			if cookie == nil {
				return errs.E(errs.Unauthorized, msgAPISignIn)
			}
			var err error
			if sess, err = c.Sessions.Load(ctx, cookie.Value, c.Clock.Now()); err != nil {
				return err
			}
			if m := e.Request().Method; m != http.MethodGet && m != http.MethodHead && !sess.CSRFOK(e.Request().Header.Get("X-CSRF-Token")) {
				return errs.E(errs.Forbidden, msgAPICSRF)
			}
			userID = sess.UserID
		}
		u, err := c.Accounts.User(ctx, userID)
		if err != nil || u.Disabled {
			return errs.E(errs.Unauthorized, msgUserGone)
		}
		scope, err := c.Accounts.ScopeOf(ctx, u)
		if err != nil {
			return err
		}
		web.SignIn(e, u, scope, sess)
		e.Response().Header().Set("Cache-Control", "private, no-store")
		return next(e)
	}
}

// What the API says when it refuses a call.
const (
	msgUseBearer = "请使用 Authorization: Bearer <令牌>。"
	msgAPISignIn = "请先登录，或使用 API 令牌。"
	msgAPICSRF   = "缺少或错误的 X-CSRF-Token。"
	msgUserGone  = "账号不可用。"
	msgBadLimit  = "limit 应为 1 到 500。"
	msgBadOffset = "offset 应为非负整数。"
	msgNoLetters = "提示函功能未启用。"
)

// errNoLetters answers the letter list where the letter service is not wired.
var errNoLetters = errs.E(errs.NotFound, msgNoLetters)

// list is the shape of every API list.
type list[T any] struct {
	Items  []T   `json:"items"`
	Total  int64 `json:"total"`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
}

// apiPaging reads ?limit (default 50, at most 500) and ?offset. An offset
// past listing.MaxOffset is taken as it: a page past the end, empty.
func apiPaging(e echo.Context) (limit, offset int, err error) {
	limit, offset = 50, 0
	if s := e.QueryParam("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 500 {
			return 0, 0, errs.E(errs.Invalid, msgBadLimit)
		}
	}
	if s := e.QueryParam("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			return 0, 0, errs.E(errs.Invalid, msgBadOffset)
		}
		offset = min(offset, listing.MaxOffset)
	}
	return limit, offset, nil
}

func newList[T any](items []T, total int64, limit, offset int) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Total: total, Limit: limit, Offset: offset}
}
