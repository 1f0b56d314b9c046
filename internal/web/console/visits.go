package console

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// Visits serves the visit list and its export, a visit's page
// (templates/console/visit.html) and the photos of visits, findings and
// rectification checks.
type Visits struct {
	Lists       *listing.Lists
	Query       *query.Reader
	Supervision *supervision.Service
	// Letters may be nil: a visit's letter is then left out.
	Letters *letter.Service
	Media   media.Store
	*mounted
}

func (c *Visits) mount(m *mounted) {
	c.mounted = m
	g := m.group
	g.GET("/visits", c.visits)
	g.GET("/visits.xlsx", c.visitsXLSX)
	g.GET("/visits/:id", c.visit)
	g.GET("/photos/:id", c.photo)
}

type visitsPage struct {
	Form  listing.VisitForm
	Rows  []query.VisitLine
	Pager pager
}

func (c *Visits) visits(e echo.Context) error {
	q, form, err := c.Lists.VisitQuery(e)
	if err != nil {
		return err
	}
	page, limit, offset := paging(e)
	q.Limit, q.Offset = limit, offset
	rows, total, err := c.Query.Visits(e.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.render(e, http.StatusOK, "visits", "督导记录", visitsPage{Form: form, Rows: rows, Pager: newPager(e, page, total, "/console/visits.xlsx")})
}

func (c *Visits) visitsXLSX(e echo.Context) error {
	q, _, err := c.Lists.VisitQuery(e)
	if err != nil {
		return err
	}
	sh := newSheet(e, exportName("督导记录", web.Scope(e).Name, c.clock.Now()), "督导记录", []column{{"督导时间", 17}, {"主体名称", 36}, {"村(社区)", 14}, {"包保干部", 10}, {"督导方式", 10},
		{"周期", 16}, {"问题数", 8}, {"距登记地点(米)", 14}, {"距离过远", 10}, {"经营状态变化", 12}, {"版本", 6}, {"编号", 10}})
	err = c.Query.EachVisit(e.Request().Context(), q, func(rows []query.VisitLine) error {
		for _, v := range rows {
			var dist any
			if v.DistanceM != nil {
				dist = int(*v.DistanceM + 0.5)
			}
			far := ""
			if v.Far {
				far = msgYes
			}
			if err := sh.add(v.SubmittedAt, v.Business, v.Village, v.CadreName, supervision.Mode(v.Mode).Label(), v.CycleLabel, v.Findings,
				dist, far, registry.EventKind(v.StatusSeen).Label(), v.Revision, v.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return sh.finish(err)
}

type consoleVisitPage struct {
	V         *supervision.VisitDetail
	Revisions []supervision.Visit
	Letter    *letter.Letter
	FarMeters float64
	// People names who corrected each revision.
	People map[string]query.Person
}

func (c *Visits) visit(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	v, err := c.Supervision.VisitInScope(ctx, id, web.ScopePath(e))
	if err != nil {
		return err
	}
	p := consoleVisitPage{V: v, FarMeters: c.Supervision.Rules().FarMeters}
	if p.Revisions, err = c.Supervision.Revisions(ctx, &v.Visit); err != nil {
		return err
	}
	if c.Letters != nil {
		if p.Letter, err = c.Letters.ForVisit(ctx, v.ID); err != nil {
			return err
		}
	}
	actors := []string{string(v.RevisedBy)}
	for _, r := range p.Revisions {
		actors = append(actors, string(r.RevisedBy))
	}
	if p.People, err = people(e, c.Query, actors...); err != nil {
		return err
	}
	return c.render(e, http.StatusOK, "visit", "督导记录", p)
}

// photo serves a stored photo of a visit, finding or rectification check
// in the user's scope, from the media store.
func (c *Visits) photo(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	p, err := c.Supervision.PhotoInScope(ctx, id, web.ScopePath(e))
	if err != nil {
		return err
	}
	if p.Status != supervision.PhotoStored || c.Media == nil {
		return errs.E(errs.NotFound, msgPhotoPending)
	}
	return web.ServePhoto(e, c.Media, p.Path, p.ContentType)
}
