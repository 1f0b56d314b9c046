package listing

import (
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/review"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
)

// BusinessForm is a business list's filters as the user set them.
type BusinessForm struct {
	Q        string
	Region   int64
	Grade    string
	Category string
	Status   string
	Covered  string
	Cadre    int64
}

// BusinessQuery reads a business list's filters. A region or cadre
// outside the user's scope is NotFound; an unknown grade, category,
// status or coverage is Invalid.
func (l *Lists) BusinessQuery(e echo.Context) (query.BusinessFilter, BusinessForm, error) {
	f := BusinessForm{Q: strings.TrimSpace(e.QueryParam("q")), Grade: e.QueryParam("grade"),
		Category: e.QueryParam("category"), Status: e.QueryParam("status"), Covered: e.QueryParam("covered")}
	q := query.BusinessFilter{ScopePath: web.ScopePath(e), Query: f.Q}
	if len([]rune(f.Q)) > 64 {
		return q, f, errs.E(errs.Invalid, msgQueryTooLong)
	}
	var err error
	if f.Region, q.RegionPath, err = l.RegionFilter(e); err != nil {
		return q, f, err
	}
	if f.Grade != "" {
		g, ok := registry.ParseGrade(f.Grade)
		if !ok {
			return q, f, errs.E(errs.Invalid, msgBadGrade)
		}
		q.Grade = string(g)
	}
	if f.Category != "" {
		cat, ok := registry.ParseCategory(f.Category)
		if !ok {
			return q, f, errs.E(errs.Invalid, msgBadCategory)
		}
		q.Category = string(cat)
	}
	if f.Status != "" {
		st, ok := registry.ParseStatus(f.Status)
		if !ok {
			return q, f, errs.E(errs.Invalid, msgBadStatus)
		}
		q.Status = string(st)
	}
	switch f.Covered {
	case "", query.CoveredYes, query.CoveredNo:
		q.Covered = f.Covered
	default:
		return q, f, errs.E(errs.Invalid, msgBadCovered)
	}
	if id, _ := strconv.ParseInt(e.QueryParam("cadre"), 10, 64); id > 0 {
		if _, err := l.Registry.CadreInScope(e.Request().Context(), id, web.ScopePath(e)); err != nil {
			return q, f, err
		}
		f.Cadre, q.CadreID = id, id
	}
	return q, f, nil
}

// VisitForm is a visit list's filters as the user set them.
type VisitForm struct {
	From, To string
	Mode     string
	Cadre    int64
	Business int64
	Far      bool
	All      bool
	// Flag is a review flag's name (?flag=duplicate_photo).
	Flag string
}

// VisitQuery reads a visit list's filters. Without ?from the list starts
// at this cycle's first day. A cadre or business outside the scope is
// NotFound; a bad date or mode is Invalid.
func (l *Lists) VisitQuery(e echo.Context) (query.VisitFilter, VisitForm, error) {
	ctx := e.Request().Context()
	f := VisitForm{From: e.QueryParam("from"), To: e.QueryParam("to"), Mode: e.QueryParam("mode"),
		Far: e.QueryParam("far") != "", All: e.QueryParam("all") != ""}
	q := query.VisitFilter{ScopePath: web.ScopePath(e), Far: f.Far, All: f.All}
	if _, set := e.QueryParams()["from"]; !set {
		f.From = l.Cycle().Start.Format("2006-01-02")
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
	if flag := e.QueryParam("flag"); flag != "" {
		k, ok := review.ParseKind(flag)
		if !ok {
			return q, f, errs.E(errs.Invalid, msgBadFlag)
		}
		f.Flag, q.Flag = string(k), string(k)
	}
	if f.Mode != "" {
		m, ok := supervision.ParseMode(f.Mode)
		if !ok {
			return q, f, errs.E(errs.Invalid, msgBadMode)
		}
		q.Mode = string(m)
	}
	if id, _ := strconv.ParseInt(e.QueryParam("cadre"), 10, 64); id > 0 {
		if _, err := l.Registry.CadreInScope(ctx, id, web.ScopePath(e)); err != nil {
			return q, f, err
		}
		f.Cadre, q.CadreID = id, id
	}
	if id, _ := strconv.ParseInt(e.QueryParam("business"), 10, 64); id > 0 {
		if _, err := l.Registry.BusinessInScope(ctx, id, web.ScopePath(e)); err != nil {
			return q, f, err
		}
		f.Business, q.BusinessID = id, id
	}
	return q, f, nil
}

// RectQuery reads the rectification list's filter (?status=).
func RectQuery(e echo.Context) query.RectificationFilter {
	return query.RectificationFilter{ScopePath: web.ScopePath(e), Status: e.QueryParam("status")}
}

// LetterQuery reads the letter list's filter (?status=).
func LetterQuery(e echo.Context) query.LetterFilter {
	return query.LetterFilter{ScopePath: web.ScopePath(e), Status: e.QueryParam("status")}
}

// NotificationStatuses are the statuses the notification list filters by.
var NotificationStatuses = []string{string(notify.StatusPending), string(notify.StatusSending), string(notify.StatusSent),
	string(notify.StatusDelivered), string(notify.StatusFailed), string(notify.StatusDead), string(notify.StatusUnreachable)}

// NotificationFilter reads ?status= (one or more, separated by commas or
// "|" as in status=failed|dead, or repeated).
func NotificationFilter(e echo.Context) (query.NotificationFilter, error) {
	var f query.NotificationFilter
	for _, v := range e.QueryParams()["status"] {
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '|' }) {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			if !notify.Status(s).Valid() {
				return f, errs.E(errs.Invalid, msgBadNotifyStatus, s)
			}
			f.Statuses = append(f.Statuses, s)
		}
	}
	return f, nil
}
