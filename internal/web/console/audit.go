package console

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web"
)

// The audit log page (/console/audit) and its export: each entry one
// sentence in Chinese with names (query.AuditLines), filtered by who acted
// (a name), the business it was about (a name, or ?business_id= from the
// business page) and the action (chosen by its Chinese name).

// Audit serves the audit log of the scope (templates/console/audit.html)
// and its export.
type Audit struct {
	Query    *query.Reader
	Registry *registry.Service
	*mounted
}

func (c *Audit) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/audit", c.auditLog)
	m.group.GET("/audit.xlsx", c.auditXLSX)
}

// auditForm is the audit log's filters as the user set them.
type auditForm struct {
	Person, Business, Action string
	BusinessID               int64
}

type auditPage struct {
	Form    auditForm
	Actions []struct{ Code, Label string }
	Rows    []query.AuditLine
	Pager   pager
	// Restricted says the list is limited to the user's region.
	Restricted bool
}

// auditScope says whose entries the user may read: an administrator
// (empty scope) reads every entry; anyone else reads the entries about
// records in their region subtree (changes made in chat by cadres and
// businesses included) and those made by the console users of their
// subtree (themselves included), such as imports. Bindings count as the
// bound person's region's; entries about nothing in the region tree are
// for administrators.
func (c *Audit) auditScope(e echo.Context) (query.AuditScope, error) {
	if web.ScopePath(e) == "" {
		return query.AuditScope{All: true}, nil
	}
	usernames, err := c.Query.UsernamesInScope(e.Request().Context(), web.ScopePath(e))
	if err != nil {
		return query.AuditScope{}, err
	}
	actors := []string{string(web.Actor(e))}
	for _, name := range usernames {
		if name != web.User(e).Username {
			actors = append(actors, "user:"+name)
		}
	}
	return query.AuditScope{Path: web.ScopePath(e), Actors: actors}, nil
}

// auditFilter reads the filters: a person's or business's name matches
// anyone of the user's scope whose name contains it.
func (c *Audit) auditFilter(e echo.Context) (query.AuditFilter, auditForm, error) {
	ctx := e.Request().Context()
	form := auditForm{Person: strings.TrimSpace(e.QueryParam("person")), Business: strings.TrimSpace(e.QueryParam("business")),
		Action: strings.TrimSpace(e.QueryParam("action"))}
	f := query.AuditFilter{Action: form.Action}
	if form.Person != "" {
		actors, err := c.Query.ActorsNamed(ctx, form.Person, web.ScopePath(e))
		if err != nil {
			return f, form, err
		}
		f.Actors = actors
	}
	if id := formIDQuery(e, "business_id"); id > 0 {
		b, err := c.Registry.BusinessInScope(ctx, id, web.ScopePath(e))
		if err != nil {
			return f, form, err
		}
		form.BusinessID, form.Business = id, b.Name
		f.SubjectType, f.SubjectIDs = "business", []int64{id}
	} else if form.Business != "" {
		ids, err := c.Query.BusinessesNamed(ctx, form.Business, web.ScopePath(e))
		if err != nil {
			return f, form, err
		}
		f.SubjectType, f.SubjectIDs = "business", ids
	}
	return f, form, nil
}

func (c *Audit) auditLog(e echo.Context) error {
	scope, err := c.auditScope(e)
	if err != nil {
		return err
	}
	f, form, err := c.auditFilter(e)
	if err != nil {
		return err
	}
	page, limit, offset := paging(e)
	f.Limit, f.Offset = limit, offset
	rows, total, err := c.Query.AuditLines(e.Request().Context(), f, scope)
	if err != nil {
		return err
	}
	return c.render(e, http.StatusOK, "audit", "操作日志", auditPage{Form: form, Actions: query.AuditActions, Rows: rows,
		Restricted: !scope.All, Pager: newPager(e, page, total, "/console/audit.xlsx")})
}

func (c *Audit) auditXLSX(e echo.Context) error {
	scope, err := c.auditScope(e)
	if err != nil {
		return err
	}
	f, _, err := c.auditFilter(e)
	if err != nil {
		return err
	}
	sh := newSheet(e, exportName("操作日志", web.Scope(e).Name, c.clock.Now()), "操作日志",
		[]column{{"时间", 17}, {"操作人", 24}, {"操作", 16}, {"对象", 30}, {"经过", 80}})
	err = c.Query.EachAuditLine(e.Request().Context(), f, scope, func(ls []query.AuditLine) error {
		for _, l := range ls {
			if err := sh.add(l.At, l.Who.Label(), l.ActionLabel, l.Subject, l.Sentence); err != nil {
				return err
			}
		}
		return nil
	})
	return sh.finish(err)
}

// formIDQuery reads a positive id from the query string; 0 when absent.
func formIDQuery(e echo.Context, name string) int64 {
	var id int64
	for _, r := range strings.TrimSpace(e.QueryParam(name)) {
		if r < '0' || r > '9' || id > 1<<50 {
			return 0
		}
		id = id*10 + int64(r-'0')
	}
	return id
}
