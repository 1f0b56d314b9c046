package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/web"
)

// Incidents serves the incidents reported in chat (应急处置): the list
// (templates/console/incidents.html), one incident with its steps and the
// form for the next one (templates/console/incident.html), and its photos.
// Reads and changes are limited to the user's region subtree; an incident
// outside it is answered as a missing one. The change is audited by the
// incident service in its own transaction.
type Incidents struct {
	Query     *query.Reader
	Incidents *incident.Service
	Media     media.Store
	*mounted
}

func (c *Incidents) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/incidents", c.list)
	m.group.GET("/incidents/:id", c.detail)
	m.group.POST("/incidents/:id/step", c.step, web.RequireWriter)
	m.group.GET("/incidents/:id/photos/:photo", c.photo)
}

// incidentRow is an incident as the list shows it, in words.
type incidentRow struct {
	query.IncidentLine
	KindLabel, StateLabel, Place string
	Overdue                      bool
}

type option struct{ Value, Label string }

type incidentsPage struct {
	Rows                []incidentRow
	Total               int64
	Kind, State         string
	Overdue             bool
	Kinds, States       []option
	Prev, Next          string
	OpenCount, LateOpen int64
}

func (c *Incidents) list(e echo.Context) error {
	ctx := e.Request().Context()
	now := c.clock.Now()
	offset, _ := strconv.Atoi(e.QueryParam("offset"))
	f := query.IncidentFilter{ScopePath: web.ScopePath(e), Kind: e.QueryParam("kind"), State: e.QueryParam("state"),
		Overdue: e.QueryParam("overdue") == "1", Now: now, Limit: pageSize, Offset: max(offset, 0)}
	lines, total, err := c.Query.Incidents(ctx, f)
	if err != nil {
		return err
	}
	p := incidentsPage{Total: total, Kind: f.Kind, State: f.State, Overdue: f.Overdue}
	for _, l := range lines {
		p.Rows = append(p.Rows, incidentRowOf(l, now))
	}
	for _, k := range incident.Kinds {
		p.Kinds = append(p.Kinds, option{string(k), k.Label()})
	}
	p.States = append(p.States, option{"open", "未办结"})
	for _, s := range incident.States {
		p.States = append(p.States, option{string(s), s.Label()})
	}
	link := func(off int) string {
		v := url.Values{}
		for k, val := range map[string]string{"kind": f.Kind, "state": f.State} {
			if val != "" {
				v.Set(k, val)
			}
		}
		if f.Overdue {
			v.Set("overdue", "1")
		}
		v.Set("offset", strconv.Itoa(off))
		return "/console/incidents?" + v.Encode()
	}
	if f.Offset > 0 {
		p.Prev = link(max(f.Offset-pageSize, 0))
	}
	if int64(f.Offset+pageSize) < total {
		p.Next = link(f.Offset + pageSize)
	}
	return c.render(e, http.StatusOK, "incidents", "应急事件", p)
}

func incidentRowOf(l query.IncidentLine, now time.Time) incidentRow {
	place := l.BusinessName
	if place == "" {
		place = l.Region + "（未指明主体）"
	}
	return incidentRow{IncidentLine: l, KindLabel: incident.Kind(l.Kind).Label(), StateLabel: incident.State(l.State).Label(),
		Place: place, Overdue: l.State != string(incident.Closed) && l.DueAt != nil && now.After(*l.DueAt)}
}

// incidentStep is a step as the page shows it.
type incidentStep struct {
	incident.Event
	Label  string
	Photos []incident.Photo
}

type incidentPage struct {
	I                   *incident.Incident
	KindLabel           string
	StateLabel          string
	Place               string
	Overdue             bool
	NextState, NextVerb string
	Steps               []incidentStep
	CanWrite            bool
	Flash, Problem      string
	Note                string
	ReporterRole        string
}

func (c *Incidents) detail(e echo.Context) error { return c.renderDetail(e, http.StatusOK, "", "") }

func (c *Incidents) renderDetail(e echo.Context, status int, problem, note string) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	inc, err := c.Incidents.InScope(ctx, id, web.ScopePath(e))
	if err != nil {
		return err
	}
	evs, err := c.Incidents.Events(ctx, inc.ID)
	if err != nil {
		return err
	}
	photos, err := c.Incidents.Photos(ctx, inc.ID)
	if err != nil {
		return err
	}
	byEvent := map[int64][]incident.Photo{}
	for _, p := range photos {
		byEvent[p.EventID] = append(byEvent[p.EventID], p)
	}
	p := incidentPage{I: inc, KindLabel: inc.Kind.Label(), StateLabel: inc.State.Label(), Place: inc.BusinessName,
		Overdue: inc.Overdue(c.clock.Now()), NextState: string(inc.State.Next()), NextVerb: inc.State.Verb(),
		CanWrite: web.User(e).Role.CanWrite() && inc.State != incident.Closed, Flash: flash(e), Problem: problem, Note: note}
	if p.Place == "" {
		p.Place = "未指明主体"
	}
	for _, ev := range evs {
		label := "添加记录"
		switch {
		case ev.FromState == "":
			label = "上报"
		case ev.Changed():
			label = incident.State(ev.ToState).Label()
		}
		p.Steps = append(p.Steps, incidentStep{Event: ev, Label: label, Photos: byEvent[ev.ID]})
	}
	return c.render(e, status, "incident", "应急事件", p)
}

// step moves an incident to its next state, or adds a note, for the
// signed-in user; a refused step shows the page again with the reason and
// the note kept.
func (c *Incidents) step(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	inc, err := c.Incidents.InScope(ctx, id, web.ScopePath(e))
	if err != nil {
		return err
	}
	to := inc.State
	if e.FormValue("action") == "next" {
		to = inc.State.Next()
	}
	u := web.User(e)
	name := u.Name
	if name == "" {
		name = u.Username
	}
	note := e.FormValue("note")
	_, err = c.Incidents.Advance(ctx, id, incident.Step{To: to, Note: note, Actor: web.Actor(e), ActorName: name + "（" + web.Scope(e).Name + "）",
		ScopePath: web.ScopePath(e)})
	if k := errs.KindOf(err); k == errs.Invalid || k == errs.Conflict {
		return c.renderDetail(e, http.StatusBadRequest, errs.MessageOf(err), note)
	}
	if err != nil {
		return err
	}
	done := "incident_note"
	if to != inc.State {
		done = "incident_" + string(to)
	}
	return e.Redirect(http.StatusSeeOther, fmt.Sprintf("/console/incidents/%d?done=%s", id, done))
}

// photo serves a stored photo of an incident in the user's scope.
func (c *Incidents) photo(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	photoID, err := strconv.ParseInt(e.Param("photo"), 10, 64)
	if err != nil || photoID <= 0 {
		return errs.E(errs.NotFound, msgNoPage)
	}
	if _, err := c.Incidents.InScope(ctx, id, web.ScopePath(e)); err != nil {
		return err
	}
	p, err := c.Incidents.StoredPhoto(ctx, id, photoID)
	if err != nil {
		return err
	}
	if c.Media == nil {
		return errs.E(errs.NotFound, msgPhotoPending)
	}
	return web.ServePhoto(e, c.Media, p.Path, p.ContentType)
}
