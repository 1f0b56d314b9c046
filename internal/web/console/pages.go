package console

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web/listing"
)

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

// paging reads ?page= (1-based) and returns the limit and offset. A page
// that is not a number or below 1 is the first; one past the end is empty.
func paging(e echo.Context) (page, limit, offset int) {
	page, _ = strconv.Atoi(e.QueryParam("page"))
	page = min(max(page, 1), listing.MaxOffset/pageSize)
	return page, pageSize, (page - 1) * pageSize
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
func regionOptions(ctx context.Context, reg *registry.Service, scope account.Scope) ([]regionOption, *registry.RegionTree, error) {
	tree, err := reg.RegionTree(ctx)
	if err != nil {
		return nil, nil, err
	}
	var out []regionOption
	for _, r := range tree.All {
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
