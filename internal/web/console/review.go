package console

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/review"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// Review serves the 异常与抽查 pages (templates/console/review.html and
// review_visit.html): a cycle's review queue — the visits its sample drew
// and every flagged one — filtered by flag, village, cadre and outcome;
// one visit's evidence side by side (its photos and those of the visit a
// duplicate or similar photo matches, where it was reported from against
// where the business is, the cadre's day); and the reviewer's judgement
// (属实 / 存疑 / 不属实), which review records with its audit row and,
// for 不属实, takes the visit off coverage until judged again.
type Review struct {
	Lists       *listing.Lists
	Query       *query.Reader
	Registry    *registry.Service
	Supervision *supervision.Service
	Review      *review.Service
	*mounted
}

func (c *Review) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/review", c.queue)
	m.group.GET("/review/:id", c.visit)
	m.group.POST("/review/:id", c.judge, web.RequireWriter)
}

// reviewForm is the queue's filters as the user set them.
type reviewForm struct {
	Cycle   string
	Kind    string
	Region  int64
	Cadre   int64
	Outcome string
}

type cycleOption struct{ Key, Label string }

type reviewPage struct {
	Form     reviewForm
	Cycles   []cycleOption
	Regions  []regionOption
	Cadres   []registry.Cadre
	Figures  query.ReviewFigures
	Kinds    []kindCount
	Rows     []query.ReviewLine
	Pager    pager
	Outcomes []review.Outcome
}

type kindCount struct {
	Kind  review.Kind
	Label string
	N     int
}

// cycles are the cycles a reviewer picks from: this one of every grade's
// period, and the quarter before (re-checks run after a quarter closes).
func (c *Review) cycles() []cycleOption {
	now := c.clock.Now()
	rules := c.Supervision.Rules()
	var out []cycleOption
	add := func(cy supervision.Cycle) {
		if !slices.ContainsFunc(out, func(o cycleOption) bool { return o.Key == cy.Key }) {
			out = append(out, cycleOption{cy.Key, cy.Label})
		}
	}
	for _, g := range []registry.Grade{registry.GradeD, registry.GradeC, registry.GradeB, registry.GradeA} {
		add(rules.CycleFor(g, now))
	}
	add(rules.CycleFor(registry.GradeD, now).Prev())
	return out
}

// filter reads the queue's filters; a region or cadre outside the scope
// is NotFound, an unknown cycle, kind or outcome Invalid.
func (c *Review) filter(e echo.Context) (query.ReviewFilter, reviewForm, error) {
	ctx := e.Request().Context()
	f := reviewForm{Cycle: e.QueryParam("cycle"), Kind: e.QueryParam("flag"), Outcome: e.QueryParam("outcome")}
	if f.Cycle == "" {
		f.Cycle = c.Lists.Cycle().Key
	}
	q := query.ReviewFilter{ScopePath: web.ScopePath(e), CycleKey: f.Cycle}
	if _, ok := supervision.CycleByKey(f.Cycle); !ok {
		return q, f, errs.E(errs.Invalid, msgReviewBadCycle)
	}
	if f.Kind != "" {
		k, ok := review.ParseKind(f.Kind)
		if !ok {
			return q, f, errs.E(errs.Invalid, msgReviewBadKind)
		}
		q.Kind = string(k)
	}
	switch f.Outcome {
	case "", query.ReviewPending:
		q.Outcome = f.Outcome
	default:
		o, ok := review.ParseOutcome(f.Outcome)
		if !ok {
			return q, f, errs.E(errs.Invalid, msgReviewBadOutcome)
		}
		q.Outcome = string(o)
	}
	if id, _ := strconv.ParseInt(e.QueryParam("region"), 10, 64); id > 0 {
		r, err := c.Registry.RegionInScope(ctx, id, web.ScopePath(e))
		if err != nil {
			return q, f, err
		}
		f.Region, q.RegionPath = id, r.Path
	}
	if id, _ := strconv.ParseInt(e.QueryParam("cadre"), 10, 64); id > 0 {
		if _, err := c.Registry.CadreInScope(ctx, id, web.ScopePath(e)); err != nil {
			return q, f, err
		}
		f.Cadre, q.CadreID = id, id
	}
	return q, f, nil
}

func (c *Review) queue(e echo.Context) error {
	ctx := e.Request().Context()
	q, form, err := c.filter(e)
	if err != nil {
		return err
	}
	p := reviewPage{Form: form, Cycles: c.cycles(), Outcomes: review.Outcomes}
	if !slices.ContainsFunc(p.Cycles, func(o cycleOption) bool { return o.Key == form.Cycle }) {
		cy, _ := supervision.CycleByKey(form.Cycle)
		p.Cycles = append(p.Cycles, cycleOption{cy.Key, cy.Label})
	}
	if p.Regions, _, err = regionOptions(ctx, c.Registry, web.Scope(e)); err != nil {
		return err
	}
	if p.Cadres, _, err = c.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: web.ScopePath(e), Limit: 1000}); err != nil {
		return err
	}
	if p.Figures, err = c.Query.ReviewFigures(ctx, q); err != nil {
		return err
	}
	for _, k := range review.Kinds {
		p.Kinds = append(p.Kinds, kindCount{Kind: k, Label: k.Label(), N: p.Figures.ByKind[string(k)]})
	}
	page, limit, offset := paging(e)
	q.Limit, q.Offset = limit, offset
	var total int64
	if p.Rows, total, err = c.Query.ReviewQueue(ctx, q); err != nil {
		return err
	}
	p.Pager = newPager(e, page, total, "")
	return c.render(e, http.StatusOK, "review", "异常与抽查", p)
}

// flagView is a flag as the evidence page shows it.
type flagView struct {
	query.FlagLine
	Label  string
	Photos []supervision.Photo
}

// dayStopView is a stop of the cadre's day with the leg from the stop
// before (when both have a location).
type dayStopView struct {
	query.DayStop
	N          int
	This       bool
	LegKm      *float64
	LegGap     string
	LegKmh     *float64
	Impossible bool
}

type reviewVisitPage struct {
	V        *supervision.VisitDetail
	Flags    []flagView
	Day      []dayStopView
	Map      *siteMap
	Review   query.VisitReview
	People   map[string]query.Person
	Outcomes []review.Outcome
	CanWrite bool
	Flash    string
	Problem  string
	// Note and Outcome refill the form after a refused judgement.
	Note, Outcome string
	FarMeters     float64
	MaxKmh        float64
}

func (c *Review) visit(e echo.Context) error { return c.renderVisit(e, http.StatusOK, "", "", "") }

func (c *Review) renderVisit(e echo.Context, status int, problem, outcome, note string) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	v, err := c.Supervision.VisitInScope(ctx, id, web.ScopePath(e))
	if err != nil {
		return err
	}
	p := reviewVisitPage{V: v, Outcomes: review.Outcomes, CanWrite: web.User(e).Role.CanWrite(), Flash: flash(e),
		Problem: problem, Outcome: outcome, Note: note, FarMeters: c.Supervision.Rules().FarMeters, MaxKmh: c.Review.Rules().MaxKmh}
	flags, err := c.Query.VisitFlags(ctx, web.ScopePath(e), v.ID)
	if err != nil {
		return err
	}
	for _, f := range flags {
		fv := flagView{FlagLine: f, Label: review.Kind(f.Kind).Label()}
		// The photos of the other visit sit beside this one's, for the
		// photo flags: the reviewer compares them by eye.
		if f.OtherInScope && (f.Kind == string(review.DuplicatePhoto) || f.Kind == string(review.SimilarPhoto)) {
			o, err := c.Supervision.VisitInScope(ctx, f.Other, web.ScopePath(e))
			if err != nil && errs.KindOf(err) != errs.NotFound {
				return err
			}
			if o != nil {
				fv.Photos = o.Photos
			}
		}
		p.Flags = append(p.Flags, fv)
	}
	day := v.SubmittedAt.In(clock.China)
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, clock.China)
	stops, err := c.Query.CadreDay(ctx, web.ScopePath(e), v.CadreID, from, from.AddDate(0, 0, 1))
	if err != nil {
		return err
	}
	p.Day = legs(stops, v.ID, c.Review.Rules().MaxKmh)
	p.Map = newSiteMap(v, p.Day)
	if p.Review, err = c.Query.ReviewOf(ctx, v.ID); err != nil {
		return err
	}
	if p.People, err = people(e, c.Query, p.Review.Reviewer); err != nil {
		return err
	}
	return c.render(e, status, "review_visit", "异常与抽查", p)
}

// legs numbers a cadre's day and measures each leg from the stop before.
func legs(stops []query.DayStop, this int64, maxKmh float64) []dayStopView {
	out := make([]dayStopView, len(stops))
	for i, s := range stops {
		out[i] = dayStopView{DayStop: s, N: i + 1, This: s.VisitID == this}
		if i == 0 {
			continue
		}
		prev := stops[i-1]
		gap := s.SubmittedAt.Sub(prev.SubmittedAt)
		out[i].LegGap = gapWords(gap)
		if s.Lat == nil || prev.Lat == nil {
			continue
		}
		km := review.Haversine(*prev.Lat, *prev.Lng, *s.Lat, *s.Lng) / 1000
		out[i].LegKm = &km
		if gap > 0 {
			kmh := km / gap.Hours()
			out[i].LegKmh = &kmh
			out[i].Impossible = maxKmh > 0 && kmh > maxKmh
		}
	}
	return out
}

func gapWords(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "不到1分钟"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "分钟"
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	if m == 0 {
		return strconv.Itoa(h) + "小时"
	}
	return strconv.Itoa(h) + "小时" + strconv.Itoa(m) + "分钟"
}

// judge records the reviewer's judgement of a visit in the scope.
func (c *Review) judge(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	if _, err := c.Supervision.VisitInScope(ctx, id, web.ScopePath(e)); err != nil {
		return err
	}
	raw, note := e.FormValue("outcome"), e.FormValue("note")
	o, ok := review.ParseOutcome(raw)
	if !ok {
		return c.renderVisit(e, http.StatusBadRequest, msgReviewBadOutcome, raw, note)
	}
	if err := c.Review.Judge(ctx, c.Supervision, id, o, note, web.Actor(e)); err != nil {
		if k := errs.KindOf(err); k == errs.Invalid {
			return c.renderVisit(e, errs.HTTPStatus(k), errs.MessageOf(err), raw, note)
		}
		return err
	}
	return done(e, "/console/review/"+strconv.FormatInt(id, 10), "judged")
}

// siteMap is a small sketch of where things were: the business's
// registered place and the cadre's reported places that day, projected on
// a box, with a scale. Drawn as inline SVG: the console loads nothing
// from outside.
type siteMap struct {
	W, H     int
	Business *mapPoint
	Stops    []mapPoint
	// Link joins this visit's reported place to its business.
	Link     []float64
	ScaleKm  string
	ScalePx  float64
	ScaleEnd float64
}

type mapPoint struct {
	X, Y  float64
	Label string
	This  bool
}

func newSiteMap(v *supervision.VisitDetail, day []dayStopView) *siteMap {
	type ll struct{ lat, lng float64 }
	var pts []ll
	if v.Business.Latitude != nil && v.Business.Longitude != nil {
		pts = append(pts, ll{*v.Business.Latitude, *v.Business.Longitude})
	}
	for _, s := range day {
		if s.Lat != nil && s.Lng != nil {
			pts = append(pts, ll{*s.Lat, *s.Lng})
		}
	}
	if len(pts) == 0 {
		return nil
	}
	minLat, maxLat, minLng, maxLng := pts[0].lat, pts[0].lat, pts[0].lng, pts[0].lng
	for _, p := range pts {
		minLat, maxLat = min(minLat, p.lat), max(maxLat, p.lat)
		minLng, maxLng = min(minLng, p.lng), max(maxLng, p.lng)
	}
	// Metres per degree here: the box keeps true proportions.
	midLat := (minLat + maxLat) / 2
	kmX := review.Haversine(midLat, minLng, midLat, maxLng) / 1000
	kmY := review.Haversine(minLat, minLng, maxLat, minLng) / 1000
	span := max(kmX, kmY, 0.2)
	const w, h, pad = 480, 320, 30.0
	pxPerKm := min((w-2*pad)/span, (h-2*pad)/span)
	// Centre the points: a close pair sits mid-box, not in a corner.
	offX, offY := (w-kmX*pxPerKm)/2, (h-kmY*pxPerKm)/2
	project := func(p ll) (float64, float64) {
		x := review.Haversine(midLat, minLng, midLat, p.lng) / 1000
		y := review.Haversine(minLat, minLng, p.lat, minLng) / 1000
		return offX + x*pxPerKm, h - offY - y*pxPerKm
	}
	m := &siteMap{W: w, H: h}
	if v.Business.Latitude != nil && v.Business.Longitude != nil {
		x, y := project(ll{*v.Business.Latitude, *v.Business.Longitude})
		m.Business = &mapPoint{X: x, Y: y, Label: v.Business.Name}
	}
	for _, s := range day {
		if s.Lat == nil || s.Lng == nil {
			continue
		}
		x, y := project(ll{*s.Lat, *s.Lng})
		m.Stops = append(m.Stops, mapPoint{X: x, Y: y, Label: strconv.Itoa(s.N), This: s.This})
		if s.This && m.Business != nil {
			m.Link = []float64{x, y, m.Business.X, m.Business.Y}
		}
	}
	// A scale bar of a round length about a quarter of the box.
	for _, km := range []float64{0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200} {
		if km*pxPerKm >= (w-2*pad)/5 {
			m.ScalePx = km * pxPerKm
			m.ScaleEnd = 10 + m.ScalePx
			if km < 1 {
				m.ScaleKm = strconv.Itoa(int(km*1000)) + " 米"
			} else {
				m.ScaleKm = strings.TrimSuffix(strconv.FormatFloat(km, 'f', 0, 64), ".0") + " 公里"
			}
			break
		}
	}
	return m
}
