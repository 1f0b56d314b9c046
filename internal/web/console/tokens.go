package console

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/web"
)

// Tokens serves the signed-in user's API tokens (templates/console/tokens.html):
// a new one is shown once, and any may be revoked (account.CreateAPIToken).
type Tokens struct {
	Accounts *account.Service
	*mounted
}

func (c *Tokens) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/tokens", c.tokens)
	m.group.POST("/tokens", c.createToken, web.RequireWriter)
	m.group.POST("/tokens/:id/revoke", c.revokeToken, web.RequireWriter)
}

// defaultTokenTTL is how long a new token lasts unless the form says.
const defaultTokenTTL = 90 * 24 * time.Hour

// apiTokenRef is a token as the console lists it.
type apiTokenRef struct {
	ID        string
	Name      string
	Hint      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

func refOf(t account.APIToken) apiTokenRef {
	return apiTokenRef{ID: t.PublicID, Name: t.Name, Hint: t.Hint, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}
}

type tokensPage struct {
	Tokens   []apiTokenRef
	New      string
	NewRef   apiTokenRef
	Flash    string
	Problem  string
	CanWrite bool
}

func (c *Tokens) tokens(e echo.Context) error {
	return c.renderTokens(e, http.StatusOK, tokensPage{Flash: flash(e)})
}

func (c *Tokens) renderTokens(e echo.Context, status int, p tokensPage) error {
	ts, err := c.Accounts.APITokens(e.Request().Context(), web.User(e))
	if err != nil {
		return err
	}
	p.Tokens = make([]apiTokenRef, len(ts))
	for i, t := range ts {
		p.Tokens[i] = refOf(t)
	}
	p.CanWrite = web.User(e).Role.CanWrite()
	return c.render(e, status, "tokens", "API令牌", p)
}

func (c *Tokens) createToken(e echo.Context) error {
	days, err := strconv.Atoi(e.FormValue("days"))
	if err != nil {
		days = int(defaultTokenTTL / (24 * time.Hour))
	}
	// Out of range before it is multiplied, so a huge number cannot wrap
	// round to a valid duration.
	days = max(0, min(days, int(account.MaxAPITokenTTL/(24*time.Hour))+1))
	token, t, err := c.Accounts.CreateAPIToken(e.Request().Context(), web.User(e), e.FormValue("name"), time.Duration(days)*24*time.Hour, web.Actor(e))
	if err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Conflict {
			return c.renderTokens(e, errs.HTTPStatus(k), tokensPage{Problem: errs.MessageOf(err)})
		}
		return err
	}
	return c.renderTokens(e, http.StatusOK, tokensPage{New: token, NewRef: refOf(*t)})
}

func (c *Tokens) revokeToken(e echo.Context) error {
	if _, err := c.Accounts.RevokeAPIToken(e.Request().Context(), web.User(e), e.Param("id"), web.Actor(e)); err != nil {
		return err
	}
	return done(e, "/console/tokens", "tokenGone")
}
