package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/meeting"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/web"
)

// Meetings serves the meetings and training of the scope
// (/api/v1/meetings, ?status=upcoming|past) and one meeting with its
// counts and attendees (/api/v1/meetings/{id}).
type Meetings struct {
	Query    *query.Reader
	Meetings *meeting.Service
	Clock    clock.Clock
	*mounted
}

func (c *Meetings) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/meetings", c.list, m.auth)
	m.group.GET("/meetings/:id", c.one, m.auth)
}

type apiMeetingCounts struct {
	Invited   int `json:"invited"`
	Accepted  int `json:"accepted"`
	CheckedIn int `json:"checked_in"`
	Excused   int `json:"excused"`
	Absent    int `json:"absent"`
	Walkins   int `json:"walkins"`
}

type apiMeeting struct {
	ID        int64            `json:"id"`
	Kind      string           `json:"kind"`
	KindLabel string           `json:"kind_label"`
	Title     string           `json:"title"`
	StartsAt  time.Time        `json:"starts_at"`
	EndsAt    time.Time        `json:"ends_at"`
	Place     string           `json:"place"`
	Organiser string           `json:"organiser"`
	Invitees  string           `json:"invitees"`
	Counts    apiMeetingCounts `json:"counts"`
}

func meetingOf(l query.MeetingLine) apiMeeting {
	return apiMeeting{ID: l.ID, Kind: l.Kind, KindLabel: meeting.Kind(l.Kind).Label(), Title: l.Title, StartsAt: l.StartsAt,
		EndsAt: l.EndsAt, Place: l.Place, Organiser: l.Organiser, Invitees: l.RuleText,
		Counts: apiMeetingCounts{Invited: l.Invited, Accepted: l.Accepted, CheckedIn: l.CheckedIn, Excused: l.Excused,
			Absent: l.Absent, Walkins: l.Walkins}}
}

func (c *Meetings) list(e echo.Context) error {
	rows, err := c.Query.Meetings(e.Request().Context(), web.ScopePath(e), e.QueryParam("status"), c.Clock.Now())
	if err != nil {
		return err
	}
	items := make([]apiMeeting, len(rows))
	for i, r := range rows {
		items[i] = meetingOf(r)
	}
	return e.JSON(http.StatusOK, newList(items, int64(len(items)), len(items), 0))
}

type apiAttendee struct {
	Kind        string     `json:"kind"`
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	Village     string     `json:"village"`
	Invited     bool       `json:"invited"`
	Reply       string     `json:"reply"`
	Reason      string     `json:"reason,omitempty"`
	Status      string     `json:"status"`
	CheckedInAt *time.Time `json:"checked_in_at,omitempty"`
	CheckinVia  string     `json:"checkin_via,omitempty"`
	DistanceM   *float64   `json:"distance_m,omitempty"`
	QuizScore   *int       `json:"quiz_score,omitempty"`
	QuizPassed  *bool      `json:"quiz_passed,omitempty"`
	VisitID     *int64     `json:"visit_id,omitempty"`
}

type apiMeetingDetail struct {
	apiMeeting
	Attendees []apiAttendee      `json:"attendees"`
	QuizRates []query.QuizRate   `json:"quiz_pass_rates,omitempty"`
	Materials []meeting.Material `json:"materials"`
}

func (c *Meetings) one(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	now := c.Clock.Now()
	m, err := c.Meetings.Get(ctx, web.ScopePath(e), id)
	if err != nil {
		return err
	}
	line, err := c.Query.MeetingLineOf(ctx, web.ScopePath(e), id, now)
	if err != nil {
		return err
	}
	people, err := c.Query.Attendees(ctx, id)
	if err != nil {
		return err
	}
	out := apiMeetingDetail{apiMeeting: meetingOf(*line), Attendees: make([]apiAttendee, len(people)), Materials: m.MaterialList()}
	if out.Materials == nil {
		out.Materials = []meeting.Material{}
	}
	for i, a := range people {
		p := meeting.Person{Invited: a.Invited, Reply: a.Reply, CheckedInAt: a.CheckedInAt}
		out.Attendees[i] = apiAttendee{Kind: a.Kind, ID: a.SubjectID, Name: a.Name, Village: a.Village, Invited: a.Invited,
			Reply: a.Reply, Reason: a.Reason, Status: p.Status(m, now), CheckedInAt: a.CheckedInAt, CheckinVia: a.CheckinVia,
			DistanceM: a.DistanceM, QuizScore: a.QuizScore, QuizPassed: a.QuizPassed, VisitID: a.VisitID}
	}
	if m.QuizID != "" {
		if out.QuizRates, err = c.Query.QuizRates(ctx, id); err != nil {
			return err
		}
	}
	return e.JSON(http.StatusOK, out)
}
