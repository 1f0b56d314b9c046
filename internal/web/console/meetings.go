package console

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/meeting"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
)

// Meetings serves the meetings and training (templates/console/meetings.html
// and meeting.html): the list, a new meeting with its invitees by rule,
// one meeting with its live check-in count, attendance, hand check-in,
// a 集中督导's results and quiz pass rates by village; and its printables
// (meeting_print.go): the attendance export, the QR poster and the 签到表.
type Meetings struct {
	Meetings    *meeting.Service
	Query       *query.Reader
	Registry    *registry.Service
	Supervision *supervision.Service
	*mounted
}

func (c *Meetings) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/meetings", c.list)
	m.group.GET("/meetings/new", c.newForm, web.RequireWriter)
	m.group.POST("/meetings", c.create, web.RequireWriter)
	m.group.GET("/meetings/:id", c.detail)
	m.group.GET("/meetings/:id/counts", c.counts)
	m.group.POST("/meetings/:id/checkin", c.checkIn, web.RequireWriter)
	m.group.POST("/meetings/:id/results", c.results, web.RequireWriter)
	m.group.GET("/meetings/:id/attendance.xlsx", c.attendanceXLSX)
	m.group.GET("/meetings/:id/poster", c.poster)
	m.group.GET("/meetings/:id/sheet", c.signSheet)
}

// meetingFlashes are the messages after a meeting action.
var meetingFlashes = map[string]string{
	"created": "会议已创建，通知已发出。", "checkin": "已手工签到并记入操作日志。",
	"results": "集中督导结果已录入，已计入督导记录。",
}

type meetingsPage struct {
	Status   string
	Rows     []meetingRow
	CanWrite bool
}

// meetingRow is a listed meeting with its kind in words.
type meetingRow struct {
	query.MeetingLine
	KindLabel string
}

func (c *Meetings) list(e echo.Context) error {
	st := e.QueryParam("status")
	rows, err := c.Query.Meetings(e.Request().Context(), web.ScopePath(e), st, c.clock.Now())
	if err != nil {
		return err
	}
	p := meetingsPage{Status: st, Rows: make([]meetingRow, len(rows)), CanWrite: web.User(e).Role.CanWrite()}
	for i, r := range rows {
		p.Rows[i] = meetingRow{MeetingLine: r, KindLabel: meeting.Kind(r.Kind).Label()}
	}
	return c.render(e, http.StatusOK, "meetings", "会议培训", p)
}

type meetingForm struct {
	Kinds    []meeting.Kind
	Towns    []regionOption
	Regions  []regionOption
	Cadres   []registry.Cadre
	Quizzes  []meeting.Quiz
	Problem  string
	Values   map[string]string
	Defaults struct{ Opens, Closes int }
}

func (c *Meetings) form(e echo.Context, status int, problem string) error {
	ctx := e.Request().Context()
	regions, _, err := regionOptions(ctx, c.Registry, web.Scope(e))
	if err != nil {
		return err
	}
	f := meetingForm{Kinds: meeting.Kinds, Regions: regions, Quizzes: c.Meetings.Quizzes().All(), Problem: problem, Values: map[string]string{}}
	for _, r := range regions {
		if !strings.Contains(r.Label, " / ") {
			f.Towns = append(f.Towns, r)
		}
	}
	if f.Cadres, _, err = c.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: web.ScopePath(e), Limit: 1000}); err != nil {
		return err
	}
	if e.Request().Method == http.MethodPost {
		for k, v := range mustForm(e) {
			f.Values[k] = strings.Join(v, ",")
		}
	}
	cfg := c.Meetings.Config()
	f.Defaults.Opens, f.Defaults.Closes = int(cfg.OpensBefore/time.Minute), int(cfg.ClosesAfter/time.Minute)
	return c.render(e, status, "meeting_new", "新建会议", f)
}

func mustForm(e echo.Context) map[string][]string {
	v, err := e.FormParams()
	if err != nil {
		return nil
	}
	return v
}

func (c *Meetings) newForm(e echo.Context) error { return c.form(e, http.StatusOK, "") }

// create reads the form into a meeting; a mistake shows the form again
// with what was typed and the problem in words.
func (c *Meetings) create(e echo.Context) error {
	in, problem := meetingInput(e)
	if problem != "" {
		return c.form(e, http.StatusBadRequest, problem)
	}
	m, err := c.Meetings.Create(e.Request().Context(), web.ScopePath(e), in, web.Actor(e))
	if err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Forbidden || k == errs.NotFound {
			return c.form(e, errs.HTTPStatus(k), errs.MessageOf(err))
		}
		return err
	}
	return done(e, fmt.Sprintf("/console/meetings/%d", m.ID), "created")
}

// meetingInput reads the new-meeting form; problem is set for a date,
// time or number that does not read.
func meetingInput(e echo.Context) (meeting.Input, string) {
	in := meeting.Input{Kind: meeting.Kind(e.FormValue("kind")), Title: e.FormValue("title"), Place: e.FormValue("place"),
		Agenda: e.FormValue("agenda"), QuizID: e.FormValue("quiz"), RegionID: formID(e, "region_id"),
		PresidingCadreID: formID(e, "presiding_id")}
	day, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(e.FormValue("date")), clock.China)
	if err != nil {
		return in, msgMeetingDate
	}
	clockAt := func(field string) (time.Time, bool) {
		t, err := time.ParseInLocation("15:04", strings.TrimSpace(e.FormValue(field)), clock.China)
		if err != nil {
			return time.Time{}, false
		}
		return time.Date(day.Year(), day.Month(), day.Day(), t.Hour(), t.Minute(), 0, 0, clock.China), true
	}
	var ok1, ok2 bool
	in.StartsAt, ok1 = clockAt("start")
	in.EndsAt, ok2 = clockAt("end")
	if !ok1 || !ok2 {
		return in, msgMeetingClock
	}
	if lat, lng := strings.TrimSpace(e.FormValue("lat")), strings.TrimSpace(e.FormValue("lng")); lat != "" || lng != "" {
		a, err1 := strconv.ParseFloat(lat, 64)
		b, err2 := strconv.ParseFloat(lng, 64)
		if err1 != nil || err2 != nil {
			return in, msgMeetingPoint
		}
		in.Latitude, in.Longitude = &a, &b
	}
	for _, f := range []struct {
		name string
		dst  *time.Duration
	}{{"opens_before", &in.OpensBefore}, {"closes_after", &in.ClosesAfter}} {
		if v := strings.TrimSpace(e.FormValue(f.name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return in, msgMeetingWindow
			}
			*f.dst = time.Duration(n) * time.Minute
		}
	}
	for _, line := range strings.Split(e.FormValue("materials"), "\n") {
		title, url, _ := strings.Cut(line, "|")
		if strings.TrimSpace(title) != "" {
			in.Materials = append(in.Materials, meeting.Material{Title: title, URL: url})
		}
	}
	in.Rule.CadresOf = formID(e, "cadres_of")
	in.Rule.BusinessesOf = formID(e, "businesses_of")
	form := mustForm(e)
	for _, v := range form["category"] {
		if cat, ok := registry.ParseCategory(v); ok {
			in.Rule.Categories = append(in.Rule.Categories, cat)
		}
	}
	for _, v := range form["grade"] {
		if g, ok := registry.ParseGrade(v); ok {
			in.Rule.Grades = append(in.Rule.Grades, g)
		}
	}
	for _, v := range form["cadre_id"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			in.Rule.CadreIDs = append(in.Rule.CadreIDs, id)
		}
	}
	return in, ""
}

type meetingPage struct {
	M         *meeting.Meeting
	Line      *query.MeetingLine
	People    []attendeeView
	Rates     []query.QuizRate
	Quiz      *meeting.Quiz
	Quick     []supervision.Item
	Presiding string
	Started   bool
	Past      bool
	CanWrite  bool
	Flash     string
	Problem   string
}

func (c *Meetings) load(e echo.Context) (*meeting.Meeting, error) {
	id, err := web.IDParam(e)
	if err != nil {
		return nil, err
	}
	return c.Meetings.Get(e.Request().Context(), web.ScopePath(e), id)
}

func (c *Meetings) detail(e echo.Context) error { return c.renderDetail(e, http.StatusOK, "") }

func (c *Meetings) renderDetail(e echo.Context, status int, problem string) error {
	ctx := e.Request().Context()
	m, err := c.load(e)
	if err != nil {
		return err
	}
	now := c.clock.Now()
	p := meetingPage{M: m, Started: !now.Before(m.StartsAt), Past: m.Past(now), CanWrite: web.User(e).Role.CanWrite(),
		Flash: meetingFlashes[e.QueryParam("done")], Problem: problem}
	if p.Line, err = c.Query.MeetingLineOf(ctx, web.ScopePath(e), m.ID, now); err != nil {
		return err
	}
	if p.People, err = c.attendees(e, m); err != nil {
		return err
	}
	if q, ok := c.Meetings.Quizzes().Get(m.QuizID); ok {
		p.Quiz = q
		if p.Rates, err = c.Query.QuizRates(ctx, m.ID); err != nil {
			return err
		}
	}
	if m.Kind == meeting.KindCentralized {
		p.Quick = c.Supervision.Checklists().Quick()
		if m.PresidingCadreID != nil {
			if cd, err := c.Registry.Cadre(ctx, *m.PresidingCadreID); err == nil {
				p.Presiding = cd.Name
			}
		}
	}
	return c.render(e, status, "meeting", m.Title, p)
}

// counts are the live figures the meeting page polls.
func (c *Meetings) counts(e echo.Context) error {
	m, err := c.load(e)
	if err != nil {
		return err
	}
	n, err := c.Meetings.Counts(e.Request().Context(), m)
	if err != nil {
		return err
	}
	e.Response().Header().Set("Cache-Control", "no-store")
	return e.JSON(http.StatusOK, n)
}

// checkIn checks a listed person in by hand, with the reason.
func (c *Meetings) checkIn(e echo.Context) error {
	m, err := c.load(e)
	if err != nil {
		return err
	}
	kind, idText, _ := strings.Cut(e.FormValue("who"), "-")
	id, _ := strconv.ParseInt(idText, 10, 64)
	if id <= 0 {
		return c.renderDetail(e, http.StatusBadRequest, msgMeetingWho)
	}
	_, err = c.Meetings.CheckInByHand(e.Request().Context(), web.ScopePath(e), m.ID, meeting.PersonKind(kind), id, e.FormValue("reason"), string(web.Actor(e)))
	if err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Forbidden || k == errs.NotFound {
			return c.renderDetail(e, errs.HTTPStatus(k), errs.MessageOf(err))
		}
		return err
	}
	return done(e, fmt.Sprintf("/console/meetings/%d", m.ID), "checkin")
}

// results records a 集中督导's results: per business "pass", or "issue"
// with the item and what was found; rows left blank are skipped.
func (c *Meetings) results(e echo.Context) error {
	m, err := c.load(e)
	if err != nil {
		return err
	}
	var rs []meeting.Result
	for k, v := range mustForm(e) {
		idText, ok := strings.CutPrefix(k, "result_")
		id, err := strconv.ParseInt(idText, 10, 64)
		if !ok || err != nil || len(v) == 0 || v[0] == "" {
			continue
		}
		rs = append(rs, meeting.Result{BusinessID: id, Passed: v[0] == "pass",
			ItemID: e.FormValue("item_" + idText), Note: e.FormValue("note_" + idText)})
	}
	if len(rs) == 0 {
		return c.renderDetail(e, http.StatusBadRequest, msgMeetingNoResults)
	}
	slices.SortFunc(rs, func(a, b meeting.Result) int { return cmp.Compare(a.BusinessID, b.BusinessID) })
	out, err := c.Meetings.RecordResults(e.Request().Context(), web.ScopePath(e), m.ID, rs, web.Actor(e))
	if err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.NotFound {
			return c.renderDetail(e, errs.HTTPStatus(k), errs.MessageOf(err))
		}
		return err
	}
	var problems []string
	for _, o := range out {
		if o.Err != "" {
			name := o.Business
			if name == "" {
				name = msgMeetingBusiness
			}
			problems = append(problems, name+"："+o.Err)
		}
	}
	if len(problems) > 0 {
		return c.renderDetail(e, http.StatusOK, msgMeetingSomeResults+strings.Join(problems, "；"))
	}
	return done(e, fmt.Sprintf("/console/meetings/%d", m.ID), "results")
}

// What the meetings' pages say.
const (
	msgMeetingDate        = "请填写会议日期，例如 2026-12-08。"
	msgMeetingClock       = "请填写开始和结束时间，例如 09:00 和 11:30。"
	msgMeetingPoint       = "会场坐标请填写数字（纬度、经度），或都不填。"
	msgMeetingWindow      = "签到时间窗口请填写分钟数。"
	msgMeetingWho         = "请选择要签到的人员或主体。"
	msgMeetingNoResults   = "请至少为一家主体选择结果。"
	msgMeetingSomeResults = "部分结果未能录入："
	msgMeetingBusiness    = "主体"
	msgMeetingQRFailed    = "暂时无法生成签到二维码，请稍后再试。"
)
