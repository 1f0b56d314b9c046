package console

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/web"
)

// Audit serves the audit log of the scope (templates/console/audit.html)
// and its export.
type Audit struct {
	Query *query.Reader
	*mounted
}

func (c *Audit) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/audit", c.auditLog)
	m.group.GET("/audit.xlsx", c.auditXLSX)
}

// auditForm is the audit log's filters.
type auditForm struct {
	Actor, Action, SubjectType string
	SubjectID                  int64
}

type auditPage struct {
	Form  auditForm
	Rows  []query.AuditEntry
	Pager pager
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
func (c *Audit) auditScope(e echo.Context) (actors []string, restrict bool, err error) {
	if web.ScopePath(e) == "" {
		return nil, false, nil
	}
	usernames, err := c.Query.UsernamesInScope(e.Request().Context(), web.ScopePath(e))
	if err != nil {
		return nil, true, err
	}
	actors = []string{string(web.Actor(e))}
	for _, name := range usernames {
		if name != web.User(e).Username {
			actors = append(actors, "user:"+name)
		}
	}
	return actors, true, nil
}

func auditFilter(e echo.Context) (query.AuditFilter, auditForm) {
	f := auditForm{Actor: strings.TrimSpace(e.QueryParam("actor")), Action: strings.TrimSpace(e.QueryParam("action")),
		SubjectType: strings.TrimSpace(e.QueryParam("subject_type"))}
	fmt.Sscan(e.QueryParam("subject_id"), &f.SubjectID)
	return query.AuditFilter{Actor: f.Actor, Action: f.Action, SubjectType: f.SubjectType, SubjectID: f.SubjectID}, f
}

func (c *Audit) auditLog(e echo.Context) error {
	actors, restrict, err := c.auditScope(e)
	if err != nil {
		return err
	}
	f, form := auditFilter(e)
	page, limit, offset := paging(e)
	f.Limit, f.Offset = limit, offset
	rows, total, err := c.Query.AuditEntries(e.Request().Context(), f, query.AuditScope{All: !restrict, Path: web.ScopePath(e), Actors: actors})
	if err != nil {
		return err
	}
	return c.render(e, http.StatusOK, "audit", "操作日志", auditPage{Form: form, Rows: rows, Restricted: restrict,
		Pager: newPager(e, page, total, "/console/audit.xlsx")})
}

func (c *Audit) auditXLSX(e echo.Context) error {
	actors, restrict, err := c.auditScope(e)
	if err != nil {
		return err
	}
	f, _ := auditFilter(e)
	sh := newSheet(e, exportName("操作日志", web.Scope(e).Name, c.clock.Now()), "操作日志", []column{{"时间", 17}, {"操作人", 20}, {"操作", 20}, {"对象类型", 14}, {"对象编号", 10}, {"说明", 60}})
	scope := query.AuditScope{All: !restrict, Path: web.ScopePath(e), Actors: actors}
	err = c.Query.EachAuditEntry(e.Request().Context(), f, scope, func(es []query.AuditEntry) error {
		for _, a := range es {
			if err := sh.add(a.At, a.Actor, a.Action, a.SubjectType, a.SubjectID, a.Detail); err != nil {
				return err
			}
		}
		return nil
	})
	return sh.finish(err)
}
