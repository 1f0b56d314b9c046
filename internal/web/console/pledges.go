package console

import (
	"bytes"
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/view"
	"github.com/shianbao/shianbao/templates"
)

const msgBadPledgeFilter = "筛选条件无效，请重新选择。"

// Pledges serves who has signed their pledge (承诺书) and who has not, by
// village and by cadre, with the list and its export
// (templates/console/pledges.html), and one signed pledge as its A4 sheet
// (templates/h5/pledge_print.html), the same the signer prints.
type Pledges struct {
	Query    *query.Reader
	Pledges  *pledge.Service
	Registry *registry.Service
	*mounted
}

func (c *Pledges) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/pledges", c.list)
	m.group.GET("/pledges.xlsx", c.export)
	m.group.GET("/pledges/:id", c.sheet)
}

type pledgesPage struct {
	Kind, Status    string
	RegionID        int64
	CadreID         int64
	Regions         []regionOption
	ByRegion        []query.PledgeCount
	ByCadre         []query.PledgeCount
	Rows            []pledgeRow
	Pager           pager
	Year            int
	CadreTitle      string
	BusinessTitle   string
	CadreVersion    string
	BusinessVersion string
}

// pledgeRow is a listed subject with its words.
type pledgeRow struct{ query.PledgeLine }

// KindLabel names whose pledge it is.
func (r pledgeRow) KindLabel() string { return pledge.Kind(r.Kind).Label() }

// MethodLabel names how it was signed ("" when unsigned).
func (r pledgeRow) MethodLabel() string {
	if r.Method == "" {
		return ""
	}
	return pledge.MethodLabel(r.Method)
}

// pledgeQuery reads the list's filters from the request on the current basis.
func (c *Pledges) pledgeQuery(e echo.Context) (query.PledgeFilter, error) {
	b := c.Pledges.Current()
	f := query.PledgeFilter{ScopePath: web.ScopePath(e), Kind: e.QueryParam("kind"), Status: e.QueryParam("status"),
		Year: b.Year, CadreVersion: b.CadreVersion, BusinessVersion: b.BusinessVersion}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"region", &f.RegionID}, {"cadre", &f.CadreID}} {
		if s := e.QueryParam(p.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return f, errs.E(errs.Invalid, msgBadPledgeFilter)
			}
			*p.dst = n
		}
	}
	if f.CadreID != 0 {
		if _, err := c.Registry.CadreInScope(e.Request().Context(), f.CadreID, f.ScopePath); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (c *Pledges) list(e echo.Context) error {
	ctx := e.Request().Context()
	f, err := c.pledgeQuery(e)
	if err != nil {
		return err
	}
	page, limit, offset := paging(e)
	f.Limit, f.Offset = limit, offset
	lines, total, err := c.Query.Pledges(ctx, f)
	if err != nil {
		return err
	}
	byRegion, byCadre, err := c.Query.PledgeFigures(ctx, f)
	if err != nil {
		return err
	}
	regions, _, err := regionOptions(ctx, c.Registry, web.Scope(e))
	if err != nil {
		return err
	}
	rows := make([]pledgeRow, len(lines))
	for i, l := range lines {
		rows[i] = pledgeRow{l}
	}
	tpl := c.Pledges.Templates()
	return c.render(e, http.StatusOK, "pledges", "承诺书", pledgesPage{Kind: f.Kind, Status: f.Status, RegionID: f.RegionID, CadreID: f.CadreID,
		Regions: regions, ByRegion: byRegion, ByCadre: byCadre, Rows: rows, Pager: newPager(e, page, total, "/console/pledges.xlsx"),
		Year: f.Year, CadreTitle: tpl.Cadre.Title, BusinessTitle: tpl.Business.Title, CadreVersion: f.CadreVersion, BusinessVersion: f.BusinessVersion})
}

func (c *Pledges) export(e echo.Context) error {
	f, err := c.pledgeQuery(e)
	if err != nil {
		return err
	}
	sh := newSheet(e, exportName("承诺书", web.Scope(e).Name, c.clock.Now()), "承诺书", []column{{"类型", 10}, {"名称", 36}, {"村(社区)", 14},
		{"包保干部", 12}, {"年度", 8}, {"状态", 8}, {"签署人", 12}, {"签署方式", 12}, {"签署时间", 17}})
	err = c.Query.EachPledge(e.Request().Context(), f, func(rows []query.PledgeLine) error {
		for _, l := range rows {
			status := "未签署"
			if l.Signed() {
				status = "已签署"
			}
			r := pledgeRow{l}
			if err := sh.add(r.KindLabel(), l.Name, l.Village, l.Cadre, strconv.Itoa(f.Year), status, l.SignerName, r.MethodLabel(), l.SignedAt); err != nil {
				return err
			}
		}
		return nil
	})
	return sh.finish(err)
}

// sheet shows a signed pledge of the user's scope as its A4 sheet.
func (c *Pledges) sheet(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	if err := c.Query.PledgeInScope(ctx, id, web.ScopePath(e)); err != nil {
		return err
	}
	p, err := c.Pledges.Pledge(ctx, id)
	if err != nil {
		return err
	}
	sheet := view.PledgeSheet{Pledge: p, Back: "/console/pledges"}
	if p.Drawn() {
		png, err := c.Pledges.SignaturePNG(ctx, p)
		if err != nil {
			return err
		}
		sheet.Signature = view.SignatureURL(png)
	}
	sets, err := templates.Load()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sets.H5.ExecuteTemplate(&buf, "pledge-print", sheet); err != nil {
		return err
	}
	e.Response().Header().Set("Cache-Control", "private, no-store")
	return e.HTMLBlob(http.StatusOK, buf.Bytes())
}

// pledgeBox is a business's or cadre's pledge on its own page: whether the
// current one is signed (or why it is due) and every pledge it signed,
// each opening its sheet. Nil where pledges are not wired.
type pledgeBox struct {
	Req     *pledge.Requirement
	History []pledge.Pledge
}

// pledgeBoxOf reads the box of a subject the page already scope-checked.
func pledgeBoxOf(ctx context.Context, svc *pledge.Service, kind pledge.Kind, id int64) (*pledgeBox, error) {
	if svc == nil {
		return nil, nil
	}
	r, err := svc.Requirement(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	h, err := svc.History(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	return &pledgeBox{Req: r, History: h}, nil
}
