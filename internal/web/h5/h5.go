// Package h5 serves the pages opened from WeChat messages: prompt letters
// (Letters), knowledge cards and the public card behind a shop's QR code
// (Cards), a business's self-check ledger (Ledger), a visit's receipt
// (Visits) and the lists reminders link to (Lists). Each opens from a
// signed, expiring link for one reader (Links) and, with WeChat
// authorisation, only for a visitor bound to someone the page is for
// (Access).
package h5

import (
	"bytes"
	"html/template"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/templates"
)

// Group is a group of H5 pages: Letters, Cards, Ledger, Visits, Lists.
type Group interface {
	mount(m *mounted)
}

// mounted is what every group's handlers share once mounted: the router,
// the reader checks and the parsed H5 templates.
type mounted struct {
	router *echo.Echo
	access *Access
	pages  *template.Template
}

// Mount adds the groups' pages, and the WeChat authorisation callback
// they send visitors through, to the server.
func Mount(s *web.Server, access *Access, groups ...Group) error {
	sets, err := templates.Load()
	if err != nil {
		return err
	}
	m := &mounted{router: s.Router(), access: access, pages: sets.H5}
	m.router.GET(h5OAuthPath, access.oauthCallback)
	for _, g := range groups {
		g.mount(m)
	}
	return nil
}

// render writes the page name with data, with the headers every H5 page
// shares.
func (m *mounted) render(c echo.Context, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := m.pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	h5Page(c)
	return c.HTMLBlob(status, buf.Bytes())
}

// h5Page sets the headers every H5 page shares: HTML, never cached by a
// proxy (they are personal), no referrer to leak the signed link.
func h5Page(c echo.Context) {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set("Cache-Control", "private, no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}
