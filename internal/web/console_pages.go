package web

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// The console's pages. Every handler reads and changes data only inside
// the signed-in user's region subtree (ConsoleScope): lists are filtered
// by it, and an id in a URL that lies outside it is answered as if it did
// not exist (404), so a manager of one town learns nothing of another.
// Every POST is refused to viewers (RequireWriter) and every change is
// written to the audit log with the actor "user:<username>".

// mountPages adds the feature pages to the console group.
func (c *Console) mountPages(g *echo.Group) {
	w := RequireWriter
	g.GET("/businesses", c.businesses)
	g.GET("/businesses.xlsx", c.businessesXLSX)
	g.GET("/businesses/:id", c.business)
	g.POST("/businesses/:id/assign", c.reassign, w)
	g.POST("/businesses/:id/letters", c.issueLetter, w)
	g.POST("/businesses/:id/codes", c.contactCode, w)

	g.GET("/cadres", c.cadres)
	g.GET("/cadres.xlsx", c.cadresXLSX)
	g.GET("/cadres/:id", c.cadre)
	g.POST("/cadres/:id/handover", c.handover, w)
	g.POST("/cadres/:id/codes", c.cadreCode, w)

	g.GET("/visits", c.visits)
	g.GET("/visits.xlsx", c.visitsXLSX)
	g.GET("/visits/:id", c.visit)
	g.GET("/photos/:id", c.photo)

	g.GET("/rectifications", c.rectifications)
	g.GET("/rectifications.xlsx", c.rectificationsXLSX)
	g.GET("/rectifications/:id", c.rectification)
	g.GET("/overdue", c.overdue)
	g.GET("/overdue.xlsx", c.overdueXLSX)
	g.GET("/progress", c.progressTable)
	g.GET("/progress.xlsx", c.progressXLSX)

	g.GET("/relocations", c.relocations)
	g.POST("/relocations/:id/decide", c.decideRelocation, w)

	g.GET("/letters", c.letters)
	g.GET("/letters.xlsx", c.lettersXLSX)
	g.GET("/letters/:id/print", c.printLetter)

	g.GET("/notifications", c.notifications)
	g.GET("/notifications.xlsx", c.notificationsXLSX)
	g.POST("/notifications/:id/retry", c.retryNotification, w)

	g.GET("/codes", c.codes)
	g.POST("/codes", c.managerCode, w)
	g.POST("/codes/:id/revoke", c.revokeCode, w)

	g.GET("/audit", c.auditLog)
	g.GET("/audit.xlsx", c.auditXLSX)

	g.GET("/import", c.importForm)
	g.POST("/import", c.importUpload, w, BodyLimit(maxImportBytes+64<<10))
	g.POST("/import/:id/commit", c.importCommit, w)
	g.GET("/register/:kind", c.registerExport)

	if c.SelfCheck != nil {
		g.GET("/selfcheck", c.selfCheck)
		g.GET("/selfcheck.xlsx", c.selfCheckXLSX)
	}

	g.GET("/tokens", c.tokens)
	g.POST("/tokens", c.createToken, w)
	g.POST("/tokens/:id/revoke", c.revokeToken, w)
}

// consolePageFuncs are the helpers the feature pages' templates use.
var consolePageFuncs = template.FuncMap{
	"mask":  registry.MaskPhone,
	"add":   func(a, b int) int { return a + b },
	"modes": func() []supervision.Mode { return supervision.Modes },
	"grades": func() []registry.Grade {
		return registry.Grades
	},
	"categories": func() []registry.Category { return registry.Categories },
	"statuses": func() []registry.Status {
		return []registry.Status{registry.StatusOperating, registry.StatusSuspended, registry.StatusDeregistered}
	},
	"rectLabel": supervision.StatusLabel,
	// The read side's rows carry the features' words as strings; these
	// name them (a registry or supervision value prints the same word).
	"categoryLabel": func(v any) string { return registry.Category(fmt.Sprint(v)).Label() },
	"statusLabel":   func(v any) string { return registry.Status(fmt.Sprint(v)).Label() },
	"modeLabel":     func(v any) string { return supervision.Mode(fmt.Sprint(v)).Label() },
	"eventLabel":    func(v any) string { return registry.EventKind(fmt.Sprint(v)).Label() },
	"pctf":          pctText,
	"day":           func(t time.Time) string { return t.In(clock.China).Format("2006-01-02") },
	"dayp": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(clock.China).Format("2006-01-02 15:04")
	},
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"contactRoles": func() []account.ContactRole {
		return []account.ContactRole{account.ContactPrincipal, account.ContactDirector, account.ContactOfficer}
	},
}

// pctText is a percentage to one decimal ("42.5%").
func pctText(p float64) string {
	return strconv.FormatFloat(math.Round(p*10)/10, 'f', -1, 64) + "%"
}

// actor names the signed-in user in histories and the audit log.
func actor(e echo.Context) registry.Actor {
	return registry.Actor("user:" + ConsoleUser(e).Username)
}

// scopePath is the signed-in user's region subtree ("" for all).
func scopePath(e echo.Context) string { return ConsoleScope(e).Path }

// idParam reads the :id of a URL; anything but a positive number is a
// page that does not exist.
func idParam(e echo.Context) (int64, error) {
	id, err := strconv.ParseInt(e.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, msgNoPage)
	}
	return id, nil
}

// formID reads a positive id from a form field; 0 when absent.
func formID(e echo.Context, name string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(e.FormValue(name)), 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}

// pageSize is how many rows a console list shows.
const pageSize = 50

// pager is a list's paging: which page, how many, and the links.
type pager struct {
	Page, Pages int
	Total       int64
	From, To    int64
	Prev, Next  string
	// Export is the list's XLSX export with the same filters.
	Export string
}

// maxOffset bounds list offsets, far past any register, so that the
// arithmetic on them (offset+limit, page×size) cannot overflow.
const maxOffset = 1 << 30

// paging reads ?page= (1-based) and returns the limit and offset. A page
// that is not a number or below 1 is the first; one past the end is empty.
func paging(e echo.Context) (page, limit, offset int) {
	page, _ = strconv.Atoi(e.QueryParam("page"))
	page = min(max(page, 1), maxOffset/pageSize)
	return page, pageSize, (page - 1) * pageSize
}

// pageOf is the part of items a page shows.
func pageOf[T any](items []T, limit, offset int) []T {
	from := min(max(offset, 0), len(items))
	return items[from : from+min(max(limit, 0), len(items)-from)]
}

// newPager builds the links of a list, keeping its filters.
func newPager(e echo.Context, page int, total int64, exportPath string) pager {
	p := pager{Page: page, Total: total, Pages: int((total + pageSize - 1) / pageSize)}
	if total > 0 && page <= p.Pages {
		p.From = int64((page-1)*pageSize + 1)
		p.To = min(int64(page*pageSize), total)
	}
	link := func(n int) string {
		q := e.QueryParams()
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(n))
		return e.Request().URL.Path + "?" + v.Encode()
	}
	if page > 1 {
		// Past the end, "previous" is the last page.
		p.Prev = link(min(page-1, max(p.Pages, 1)))
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	if exportPath != "" {
		v := e.QueryParams()
		v.Del("page")
		p.Export = exportPath
		if enc := v.Encode(); enc != "" {
			p.Export += "?" + enc
		}
	}
	return p
}

// regionOption is a town or village the user may filter by.
type regionOption struct {
	ID    int64
	Label string
	Path  string
}

// regionOptions lists the towns and villages in the user's scope, each
// village under its town.
func (c *Console) regionOptions(ctx context.Context, scope account.Scope) ([]regionOption, *registry.RegionTree, error) {
	rs, err := c.Registry.Regions(ctx)
	if err != nil {
		return nil, nil, err
	}
	tree := registry.NewRegionTree(rs)
	var out []regionOption
	for _, r := range rs {
		if !strings.HasPrefix(r.Path, scope.Path) {
			continue
		}
		switch r.Level {
		case registry.LevelTown:
			out = append(out, regionOption{ID: r.ID, Label: r.Name, Path: r.Path})
		case registry.LevelVillage:
			town, _ := tree.TownVillage(r.ID)
			out = append(out, regionOption{ID: r.ID, Label: town + " / " + r.Name, Path: r.Path})
		}
	}
	return out, tree, nil
}

// regionFilter reads ?region= as a region in scope and returns its path
// ("" when absent). A region outside the scope is NotFound.
func (c *Console) regionFilter(e echo.Context) (int64, string, error) {
	id, _ := strconv.ParseInt(e.QueryParam("region"), 10, 64)
	if id <= 0 {
		return 0, "", nil
	}
	r, err := c.Registry.RegionInScope(e.Request().Context(), id, scopePath(e))
	if err != nil {
		return 0, "", err
	}
	return id, r.Path, nil
}

// progress is the coverage of the user's scope.
func (c *Console) progress(ctx context.Context, scope account.Scope) (*query.Progress, error) {
	return c.Query.Progress(ctx, scope.Path)
}

// overdueItems are the overdue businesses of the user's scope.
func (c *Console) overdueItems(ctx context.Context, scope account.Scope) ([]query.OverdueItem, error) {
	return c.Query.Overdue(ctx, scope.Path)
}

// audit records a change that its feature could not record in its own
// transaction, right after it committed. A failure is logged, not shown:
// the change itself is done.
func (c *Console) audit(e echo.Context, action, subjectType string, subjectID int64, detail string) {
	err := audit.Write(e.Request().Context(), c.DB, audit.Entry{At: c.Clock.Now(), Actor: string(actor(e)), Action: action,
		SubjectType: subjectType, SubjectID: subjectID, Detail: detail})
	if err != nil {
		c.logger().Error("audit after change", "rid", RequestID(e), "action", action, "err", err.Error())
	}
}

func (c *Console) logger() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}

// flash is the page's message after a redirect, "" when none.
func flash(e echo.Context) string {
	f, ok := flashes[e.QueryParam("done")]
	if !ok {
		return ""
	}
	if strings.Contains(f, "%s") {
		n, _ := strconv.Atoi(e.QueryParam("n"))
		return strings.Replace(f, "%s", strconv.Itoa(n), 1)
	}
	return f
}

// done redirects after a change to a page that shows what happened.
func done(e echo.Context, path, key string, n ...int) error {
	v := url.Values{"done": {key}}
	if len(n) > 0 {
		v.Set("n", strconv.Itoa(n[0]))
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return e.Redirect(303, path+sep+v.Encode())
}
