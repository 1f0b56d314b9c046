package web

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/templates"
)

// Console is the managers' web console: sign-in, scoped pages, CSRF on
// every form. Pages are server-rendered with embedded assets only.
type Console struct {
	Accounts *account.Service
	Sessions *Sessions
	KV       kv.Store
	Clock    clock.Clock
	// SecureCookies marks cookies Secure (the site is served over HTTPS).
	SecureCookies bool

	// The features the console shows and changes (console_*.go). Letters
	// and Cards may be nil: their pages and links are then left out.
	Registry    *registry.Service
	Supervision *supervision.Service
	Notify      *notify.Service
	Media       media.Store
	Letters     *letter.Service
	Cards       *card.Service
	// SelfCheck serves the record-keeping rates page; nil leaves it out.
	SelfCheck *selfcheck.Service
	// Query is the read side: the scoped lists, counts, figures and export
	// rows the pages and the API show.
	Query *query.Reader
	// DB is where the audit log is read and written.
	DB *db.DB
	// Log reports failures the console works around (a card reissue that
	// failed after a handover committed).
	Log *slog.Logger

	pages *template.Template
	// pause waits before a password is checked (console_login.go); nil
	// waits on a timer. Tests replace it to see the wait asked for.
	pause func(ctx context.Context, d time.Duration) error
}

const (
	sessionCookie  = "sab_session"
	ctxUser        = "console_user"
	ctxSession     = "console_session"
	ctxScope       = "console_scope"
	consolePrefix  = "/console"
	consoleLogin   = "/console/login"
	consoleHome    = "/console/"
	consoleLogout  = "/console/logout"
	consoleLogoutA = "/console/logout-all"
)

// MountConsole adds the console routes. Feature pages are added with
// ConsoleGroup.
func (s *Server) MountConsole(c *Console) (*echo.Group, error) {
	pages, err := template.New("console").Funcs(pageFuncs).Funcs(consoleFuncs).Funcs(consolePageFuncs).Funcs(consolePeopleFuncs).ParseFS(templates.FS, "console/*.html")
	if err != nil {
		return nil, err
	}
	c.pages = pages
	s.console = c
	s.echo.GET(consoleLogin, c.loginPage)
	s.echo.POST(consoleLogin, c.login)
	g := s.echo.Group(consolePrefix, c.requireUser)
	g.GET("", func(e echo.Context) error { return e.Redirect(http.StatusFound, consoleHome) })
	g.GET("/", c.home)
	g.POST("/logout", c.logout)
	g.POST("/logout-all", c.logoutAll)
	c.mountPages(g)
	s.mountAPI(c)
	return g, nil
}

var consoleFuncs = template.FuncMap{
	"pct": func(covered, due int) string {
		if due == 0 {
			return "—"
		}
		return strings.TrimSuffix(strings.TrimSuffix(formatFloat(100*float64(covered)/float64(due), 1), "0"), ".") + "%"
	},
}

// ConsoleUser returns the signed-in user of a console request.
func ConsoleUser(c echo.Context) *account.User { u, _ := c.Get(ctxUser).(*account.User); return u }

// ConsoleScope returns the region subtree of the signed-in user.
func ConsoleScope(c echo.Context) account.Scope { s, _ := c.Get(ctxScope).(account.Scope); return s }

// requireUser admits signed-in users only and checks the CSRF token of
// every state-changing request.
func (c *Console) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(e echo.Context) error {
		ctx := e.Request().Context()
		cookie, _ := e.Cookie(sessionCookie)
		token := ""
		if cookie != nil {
			token = cookie.Value
		}
		sess, err := c.Sessions.Load(ctx, token, c.Clock.Now())
		if err != nil {
			if errs.Is(err, errs.Unauthorized) && e.Request().Method == http.MethodGet {
				return e.Redirect(http.StatusFound, consoleLogin+"?next="+urlQueryEscape(e.Request().URL.RequestURI()))
			}
			return err
		}
		u, err := c.Accounts.User(ctx, sess.UserID)
		if err != nil || u.Disabled {
			return errs.E(errs.Unauthorized, "账号不可用，请重新登录")
		}
		scope, err := c.Accounts.ScopeOf(ctx, u)
		if err != nil {
			return err
		}
		if m := e.Request().Method; m != http.MethodGet && m != http.MethodHead {
			submitted := e.Request().Header.Get("X-CSRF-Token")
			if submitted == "" {
				submitted = e.FormValue("_csrf")
			}
			if !sess.CSRFOK(submitted) {
				return errs.E(errs.Forbidden, "页面已过期或来源不明（CSRF 校验失败），请刷新页面后重试。")
			}
		}
		e.Set(ctxUser, u)
		e.Set(ctxSession, sess)
		e.Set(ctxScope, scope)
		return next(e)
	}
}

// RequireWriter refuses read-only users.
func RequireWriter(next echo.HandlerFunc) echo.HandlerFunc {
	return func(e echo.Context) error {
		if u := ConsoleUser(e); u == nil || !u.Role.CanWrite() {
			return errs.E(errs.Forbidden, "只读账号不能修改数据。")
		}
		return next(e)
	}
}

// ConsoleData is what every console page gets.
type ConsoleData struct {
	Title string
	User  *account.User
	Scope account.Scope
	CSRF  string
	Now   time.Time
	Page  any
}

// Render renders a console page with the layout data.
func (c *Console) Render(e echo.Context, status int, name, title string, page any) error {
	sess, _ := e.Get(ctxSession).(*Session)
	data := ConsoleData{Title: title, User: ConsoleUser(e), Scope: ConsoleScope(e), Now: c.Clock.Now(), Page: page}
	if sess != nil {
		data.CSRF = sess.CSRF
	}
	e.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	e.Response().Header().Set("Cache-Control", "private, no-store")
	e.Response().Header().Set("X-Frame-Options", "SAMEORIGIN")
	e.Response().WriteHeader(status)
	return c.pages.ExecuteTemplate(e.Response(), name, data)
}

func (c *Console) logout(e echo.Context) error {
	if cookie, _ := e.Cookie(sessionCookie); cookie != nil {
		c.Sessions.Delete(e.Request().Context(), cookie.Value)
	}
	e.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: c.SecureCookies, SameSite: http.SameSiteLaxMode})
	return e.Redirect(http.StatusSeeOther, consoleLogin)
}

func (c *Console) logoutAll(e echo.Context) error {
	if err := c.Sessions.RevokeAll(e.Request().Context(), ConsoleUser(e).ID); err != nil {
		return err
	}
	return c.logout(e)
}

// home is the dashboard (console_dashboard.go).
func (c *Console) home(e echo.Context) error { return c.dashboard(e) }

// safeNext keeps redirects after sign-in on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, consolePrefix) || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return consoleHome
	}
	return next
}
