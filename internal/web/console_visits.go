package web

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// visitForm is a visit list's filters as the user set them.
type visitForm struct {
	From, To string
	Mode     string
	Cadre    int64
	Business int64
	Far      bool
	All      bool
}

// visitQuery reads a visit list's filters. Without ?from the list starts
// at this cycle's first day. A cadre or business outside the scope is
// NotFound; a bad date or mode is Invalid.
func (c *Console) visitQuery(e echo.Context) (query.VisitFilter, visitForm, error) {
	ctx := e.Request().Context()
	f := visitForm{From: e.QueryParam("from"), To: e.QueryParam("to"), Mode: e.QueryParam("mode"),
		Far: e.QueryParam("far") != "", All: e.QueryParam("all") != ""}
	q := query.VisitFilter{ScopePath: scopePath(e), Far: f.Far, All: f.All}
	if _, set := e.QueryParams()["from"]; !set {
		cy := supervision.CycleFor(c.Supervision.Rules().Period(registry.GradeD), c.Clock.Now())
		f.From = cy.Start.Format("2006-01-02")
	}
	for _, d := range []struct {
		s   string
		dst *time.Time
		end bool
	}{{f.From, &q.From, false}, {f.To, &q.To, true}} {
		if d.s == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.s, clock.China)
		if err != nil {
			return q, f, errs.E(errs.Invalid, msgBadDate)
		}
		if d.end {
			t = t.AddDate(0, 0, 1)
		}
		*d.dst = t
	}
	if f.Mode != "" {
		m, ok := supervision.ParseMode(f.Mode)
		if !ok {
			return q, f, errs.E(errs.Invalid, msgBadMode)
		}
		q.Mode = string(m)
	}
	if id, _ := strconv.ParseInt(e.QueryParam("cadre"), 10, 64); id > 0 {
		if _, err := c.Registry.CadreInScope(ctx, id, scopePath(e)); err != nil {
			return q, f, err
		}
		f.Cadre, q.CadreID = id, id
	}
	if id, _ := strconv.ParseInt(e.QueryParam("business"), 10, 64); id > 0 {
		if _, err := c.Registry.BusinessInScope(ctx, id, scopePath(e)); err != nil {
			return q, f, err
		}
		f.Business, q.BusinessID = id, id
	}
	return q, f, nil
}

type visitsPage struct {
	Form  visitForm
	Rows  []query.VisitLine
	Pager pager
}

func (c *Console) visits(e echo.Context) error {
	q, form, err := c.visitQuery(e)
	if err != nil {
		return err
	}
	page, limit, offset := paging(e)
	q.Limit, q.Offset = limit, offset
	rows, total, err := c.Query.Visits(e.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.Render(e, http.StatusOK, "visits", "督导记录", visitsPage{Form: form, Rows: rows, Pager: newPager(e, page, total, "/console/visits.xlsx")})
}

func (c *Console) visitsXLSX(e echo.Context) error {
	q, _, err := c.visitQuery(e)
	if err != nil {
		return err
	}
	sh := newSheet(e, exportName("督导记录", ConsoleScope(e).Name, c.Clock.Now()), "督导记录", []column{{"督导时间", 17}, {"主体名称", 36}, {"村(社区)", 14}, {"包保干部", 10}, {"督导方式", 10},
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

func (c *Console) visit(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := idParam(e)
	if err != nil {
		return err
	}
	v, err := c.Supervision.VisitInScope(ctx, id, scopePath(e))
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
	if p.People, err = c.people(e, actors...); err != nil {
		return err
	}
	return c.Render(e, http.StatusOK, "visit", "督导记录", p)
}

// photo serves a stored photo of a visit, finding or rectification check
// in the user's scope, from the media store.
func (c *Console) photo(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := idParam(e)
	if err != nil {
		return err
	}
	p, err := c.Supervision.PhotoInScope(ctx, id, scopePath(e))
	if err != nil {
		return err
	}
	if p.Status != supervision.PhotoStored || c.Media == nil {
		return errs.E(errs.NotFound, msgPhotoPending)
	}
	r, obj, err := c.Media.Open(ctx, p.Path)
	if err != nil {
		return err
	}
	defer r.Close()
	ct := obj.ContentType
	if ct == "" {
		ct = p.ContentType
	}
	if !strings.HasPrefix(ct, "image/") {
		ct = "application/octet-stream"
	}
	h := e.Response().Header()
	h.Set(echo.HeaderContentType, ct)
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("X-Content-Type-Options", "nosniff")
	if obj.Size > 0 {
		h.Set(echo.HeaderContentLength, strconv.FormatInt(obj.Size, 10))
	}
	e.Response().WriteHeader(http.StatusOK)
	_, err = io.Copy(e.Response(), r)
	return err
}
