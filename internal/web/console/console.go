// Package console is the managers' web console: sign-in (SignIn) and the
// pages, one handler struct per page group (Dashboard, Businesses, Cadres,
// Visits, ...), each in the file named after it and rendering the
// template of the same name under templates/console. Pages are
// server-rendered with embedded assets only.
//
// Every handler reads and changes data only inside the signed-in user's
// region subtree (web.Scope): lists are filtered by it, and an id in a URL
// that lies outside it is answered as if it did not exist (404), so a
// manager of one town learns nothing of another. Every POST carries the
// session's CSRF token, is refused to viewers (web.RequireWriter), and
// every change is written to the audit log, by the feature that makes it,
// with the actor "user:<username>".
package console

import (
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/templates"
)

const (
	consolePrefix = "/console"
	consoleLogin  = "/console/login"
	consoleHome   = "/console/"
)

// Group is a group of console pages: Dashboard, Businesses, Cadres, ...
type Group interface {
	mount(m *mounted)
}

// mounted is what every group's handlers share once mounted: the
// signed-in route group, the parsed console templates, the clock and the
// log of failures a page works around.
type mounted struct {
	group *echo.Group
	pages *template.Template
	clock clock.Clock
	log   *slog.Logger
}

// Mount adds sign-in and the groups' pages to the server. log reports
// failures the pages work around (a card reissue that failed after a
// handover committed); nil discards them.
func Mount(s *web.Server, signIn *SignIn, log *slog.Logger, groups ...Group) error {
	sets, err := templates.Load()
	if err != nil {
		return err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &mounted{pages: sets.Console, clock: signIn.Clock, log: log}
	r := s.Router()
	m.group = signIn.mount(r, m)
	for _, g := range groups {
		g.mount(m)
	}
	return nil
}

// layoutData is what every console page gets.
type layoutData struct {
	Title string
	User  *account.User
	Scope account.Scope
	CSRF  string
	Now   time.Time
	Page  any
}

// render renders a console page with the layout data.
func (m *mounted) render(e echo.Context, status int, name, title string, page any) error {
	data := layoutData{Title: title, User: web.User(e), Scope: web.Scope(e), Now: m.clock.Now(), Page: page}
	if sess := web.SessionOf(e); sess != nil {
		data.CSRF = sess.CSRF
	}
	e.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	e.Response().Header().Set("Cache-Control", "private, no-store")
	e.Response().Header().Set("X-Frame-Options", "SAMEORIGIN")
	e.Response().WriteHeader(status)
	return m.pages.ExecuteTemplate(e.Response(), name, data)
}

// redirectHome sends /console to the dashboard.
func redirectHome(e echo.Context) error { return e.Redirect(http.StatusFound, consoleHome) }
