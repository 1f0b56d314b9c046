package h5

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/web"
)

// Ledger serves a business's self-check ledger (templates/h5/ledger.html):
// a month of its daily controls, weekly reviews and monthly dispatch with
// their amendment history (?month=2026-11 for another month), printable
// for inspection, and the photos sent with them. Both are behind signed
// links (and, with OAuth, the visitor's bound identity): the business's
// own contacts and the cadre who packs it now may open them
// (selfcheck.Authorize).
type Ledger struct {
	SelfCheck *selfcheck.Service
	Media     media.Store
	*mounted
}

func (h *Ledger) mount(m *mounted) {
	h.mounted = m
	m.router.GET("/h5/ledger/:id", h.show)
	m.router.GET("/h5/ledger/:id/photos/:photo", h.photo)
}

// open checks the link and the visitor for the business in the path. A
// zero id with a nil error means the visitor was sent to sign in.
func (h *Ledger) open(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.Forbidden, msgH5LinkInvalid)
	}
	v, err := h.access.identify(c, ledgerResource(id))
	if err != nil || v == nil {
		return 0, err
	}
	ctx := c.Request().Context()
	if _, err := authorizeAny(v, func(a registry.Actor) error { return h.SelfCheck.Authorize(ctx, id, a) }); err != nil {
		return 0, err
	}
	return id, nil
}

func (h *Ledger) show(c echo.Context) error {
	id, err := h.open(c)
	if err != nil || id == 0 {
		return err
	}
	l, err := h.SelfCheck.Ledger(c.Request().Context(), id, c.QueryParam("month"))
	if err != nil {
		return err
	}
	view := h.view(l, ledgerResource(id), signedQuery(c))
	return h.render(c, http.StatusOK, "ledger-page", view)
}

func (h *Ledger) photo(c echo.Context) error {
	id, err := h.open(c)
	if err != nil || id == 0 {
		return err
	}
	pid, err := strconv.ParseInt(c.Param("photo"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "照片不存在。")
	}
	ctx := c.Request().Context()
	p, err := h.SelfCheck.StoredPhoto(ctx, id, pid)
	if err != nil {
		return err
	}
	return web.ServePhoto(c, h.Media, p.Path, p.ContentType)
}

// ledgerView is the ledger as the page shows it: every value formatted
// here, so the template uses only the shared page functions.
type ledgerView struct {
	Business, Code, Category, Address string
	People                            []string
	Month                             string
	PrevURL, NextURL                  string
	// Points are the daily points of the business's category.
	Points   []string
	Figures  []ledgerFigure
	Days     []ledgerDay
	Weeks    []ledgerWeek
	Dispatch *ledgerDispatch
	History  []ledgerRevision
}

type ledgerFigure struct{ Label, Value string }

// ledgerLink is a photo's link and its name ("照片1").
type ledgerLink struct{ URL, Label string }

type ledgerDay struct {
	Date     string
	Recorded bool
	Problems int
	Issues   []string
	Photos   []ledgerLink
	By       string
	At       time.Time
	Late     bool
	Amended  int
}

type ledgerWeek struct {
	Period    string
	Daily     string
	Issues    []string
	Fixed     string
	NextRisks string
	Photos    []ledgerLink
	By        string
	At        time.Time
	Late      bool
	Amended   int
}

type ledgerDispatch struct {
	Figures     []ledgerFigure
	Conclusions string
	KeyWork     string
	Photos      []ledgerLink
	By          string
	At          time.Time
	Late        bool
	Amended     int
}

type ledgerRevision struct {
	Record   string
	Revision int
	By       string
	At       time.Time
	Summary  string
	Late     bool
}

func (h *Ledger) view(l *selfcheck.Ledger, resource, query string) ledgerView {
	b := l.Business
	v := ledgerView{Business: b.Name, Code: b.Code(), Category: b.Category.Label(), Address: b.Address, Month: l.Month.Label()}
	for _, p := range []struct{ post, name string }{{"主要负责人", b.Principal}, {"食品安全总监", b.Director}, {"食品安全员", b.Officer}} {
		if p.name != "" {
			v.People = append(v.People, p.post+"："+p.name)
		}
	}
	monthURL := func(key string) string {
		return resource + "?" + query + "&" + url.Values{"month": {key}}.Encode()
	}
	v.PrevURL = monthURL(l.PrevMonth)
	if l.NextMonth != "" {
		v.NextURL = monthURL(l.NextMonth)
	}
	photos := func(recordID int64) []ledgerLink {
		var out []ledgerLink
		for _, p := range l.Photos[recordID] {
			if p.Status == selfcheck.PhotoStored {
				out = append(out, ledgerLink{URL: resource + "/photos/" + strconv.FormatInt(p.ID, 10) + "?" + query,
					Label: fmt.Sprintf("照片%d", len(out)+1)})
			}
		}
		return out
	}
	by := func(name, role string) string {
		if role == "" {
			return name
		}
		return name + "（" + role + "）"
	}
	for _, r := range h.SelfCheck.Risks().For(b.Category) {
		v.Points = append(v.Points, r.Label)
	}
	f := l.Figures
	v.Figures = []ledgerFigure{
		{"日管控", fmt.Sprintf("记录%d/%d天", f.Recorded, f.Days)},
		{"发现问题", fmt.Sprintf("%d项，待整改%d项", f.Problems, f.Open)},
		{"周排查", fmt.Sprintf("%d次", f.Weekly)},
	}
	if f.Supervision {
		v.Figures = append(v.Figures,
			ledgerFigure{"包保督导", fmt.Sprintf("%d次，发现问题%d项", f.Visits, f.VisitFindings)},
			ledgerFigure{"督导提示函", fmt.Sprintf("%d份，已回执%d份", f.Letters, f.LettersAcked)})
	}
	for _, d := range l.Days {
		if d.Future {
			continue
		}
		day := ledgerDay{Date: d.Date.Format("1月2日")}
		if r := d.Record; r != nil {
			day.Recorded, day.Problems, day.Late, day.At = true, r.Problems, r.Late, r.UpdatedAt
			day.By = by(r.ContactName, r.ContactRole.Label())
			if r.Revision > 1 {
				day.Amended = r.Revision
			}
			for _, it := range r.Body.Items {
				if it.Problem {
					day.Issues = append(day.Issues, issueLine(it.Label, it.Note, it.Resolved))
				}
			}
			day.Photos = photos(r.ID)
		}
		v.Days = append(v.Days, day)
	}
	for _, r := range l.Weeks {
		p, _ := selfcheck.ParsePeriod(selfcheck.Weekly, r.Period)
		w := ledgerWeek{Period: p.Label(), NextRisks: r.Body.NextRisks, By: by(r.ContactName, r.ContactRole.Label()),
			At: r.UpdatedAt, Late: r.Late, Photos: photos(r.ID)}
		if r.Revision > 1 {
			w.Amended = r.Revision
		}
		if s := r.Body.Week; s != nil {
			w.Daily = fmt.Sprintf("记录%d/%d天", s.Recorded, s.Days)
			for _, pr := range s.Problems {
				w.Issues = append(w.Issues, pr.DayLabel()+" "+issueLine(pr.Label, pr.Note, pr.Resolved))
			}
		}
		w.Fixed = "均已整改到位"
		if !r.Body.Resolved {
			w.Fixed = "尚未整改完成：" + r.Body.OpenItems
		}
		v.Weeks = append(v.Weeks, w)
	}
	if r := l.Dispatch; r != nil {
		d := &ledgerDispatch{Conclusions: r.Body.Conclusions, KeyWork: r.Body.KeyWork, By: by(r.ContactName, r.ContactRole.Label()),
			At: r.UpdatedAt, Late: r.Late, Photos: photos(r.ID)}
		if r.Revision > 1 {
			d.Amended = r.Revision
		}
		if m := r.Body.Month; m != nil {
			d.Figures = []ledgerFigure{
				{"日管控", fmt.Sprintf("记录%d/%d天，发现问题%d项，待整改%d项", m.Recorded, m.Days, m.Problems, m.Open)},
				{"周排查", fmt.Sprintf("%d次", m.Weekly)},
			}
			if m.Supervision {
				d.Figures = append(d.Figures,
					ledgerFigure{"包保督导", fmt.Sprintf("%d次，发现问题%d项", m.Visits, m.VisitFindings)},
					ledgerFigure{"督导提示函", fmt.Sprintf("%d份，已回执%d份", m.Letters, m.LettersAcked)})
			}
		}
		v.Dispatch = d
	}
	for _, r := range l.History {
		v.History = append(v.History, ledgerRevision{Record: revisionName(r), Revision: r.Revision,
			By: by(r.ContactName, r.ContactRole.Label()), At: r.CreatedAt, Summary: revisionSummary(r), Late: r.Late})
	}
	return v
}

// issueLine is a problem as the ledger lists it.
func issueLine(label, note string, resolved bool) string {
	state := "已处置"
	if !resolved {
		state = "需跟进"
	}
	if i := strings.Index(label, "（"); i > 0 {
		label = label[:i]
	}
	return label + "：" + note + "（" + state + "）"
}

func revisionName(r selfcheck.Revision) string {
	p, err := selfcheck.ParsePeriod(r.Kind, r.Period)
	if err != nil {
		return r.Kind.Label() + " " + r.Period
	}
	return p.Label() + r.Kind.Label()
}

func revisionSummary(r selfcheck.Revision) string {
	switch r.Kind {
	case selfcheck.Daily:
		if r.Problems == 0 {
			return "全部正常"
		}
		var issues []string
		for _, it := range r.Body.Items {
			if it.Problem {
				issues = append(issues, issueLine(it.Label, it.Note, it.Resolved))
			}
		}
		return fmt.Sprintf("问题%d项：", r.Problems) + strings.Join(issues, "；")
	case selfcheck.Weekly:
		if r.Body.Resolved {
			return "问题均已整改；下周风险：" + r.Body.NextRisks
		}
		return "未整改：" + r.Body.OpenItems + "；下周风险：" + r.Body.NextRisks
	}
	return "结论：" + r.Body.Conclusions + "；下月重点：" + r.Body.KeyWork
}
