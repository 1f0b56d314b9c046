package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/web"
)

// Incidents serves /api/v1/incidents (filters: kind, state — a state or
// "open" — and overdue=1) and /api/v1/incidents/{id} with its steps, in the
// caller's scope; an incident outside it is a 404.
type Incidents struct {
	Query     *query.Reader
	Incidents *incident.Service
	// Clock tells what is overdue (the real clock when nil).
	Clock clock.Clock
	*mounted
}

func (c *Incidents) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/incidents", c.list, m.auth)
	m.group.GET("/incidents/:id", c.one, m.auth)
}

type apiIncident struct {
	ID           int64      `json:"id"`
	Kind         string     `json:"kind"`
	KindLabel    string     `json:"kind_label"`
	State        string     `json:"state"`
	StateLabel   string     `json:"state_label"`
	RegionID     int64      `json:"region_id"`
	Region       string     `json:"region,omitempty"`
	BusinessID   int64      `json:"business_id,omitempty"`
	Business     string     `json:"business,omitempty"`
	Description  string     `json:"description"`
	Affected     *int       `json:"affected"`
	ReporterKind string     `json:"reporter_kind"`
	ReporterName string     `json:"reporter_name"`
	Verified     bool       `json:"verified"`
	StateAt      time.Time  `json:"state_at"`
	DueAt        *time.Time `json:"due_at,omitempty"`
	Overdue      bool       `json:"overdue"`
	CreatedAt    time.Time  `json:"created_at"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
}

type apiIncidentStep struct {
	At     time.Time `json:"at"`
	From   string    `json:"from,omitempty"`
	To     string    `json:"to"`
	Label  string    `json:"label"`
	By     string    `json:"by"`
	Note   string    `json:"note,omitempty"`
	Photos int       `json:"photos"`
}

type apiIncidentDetail struct {
	apiIncident
	Steps []apiIncidentStep `json:"steps"`
}

func (c *Incidents) now() time.Time {
	if c.Clock == nil {
		return time.Now()
	}
	return c.Clock.Now()
}

// affected is null when unknown.
func affected(n int) *int {
	if n < 0 {
		return nil
	}
	return &n
}

func (c *Incidents) list(e echo.Context) error {
	f := query.IncidentFilter{ScopePath: web.ScopePath(e), Kind: e.QueryParam("kind"), State: e.QueryParam("state"),
		Overdue: e.QueryParam("overdue") == "1", Now: c.now()}
	var err error
	if f.Limit, f.Offset, err = apiPaging(e); err != nil {
		return err
	}
	rows, total, err := c.Query.Incidents(e.Request().Context(), f)
	if err != nil {
		return err
	}
	now := c.now()
	items := make([]apiIncident, len(rows))
	for i, r := range rows {
		items[i] = apiIncident{ID: r.ID, Kind: r.Kind, KindLabel: incident.Kind(r.Kind).Label(), State: r.State,
			StateLabel: incident.State(r.State).Label(), RegionID: r.RegionID, Region: r.Region, BusinessID: r.BusinessID,
			Business: r.BusinessName, Description: r.Description, Affected: affected(r.Affected), ReporterKind: r.ReporterKind,
			ReporterName: r.ReporterName, Verified: r.Verified, StateAt: r.StateAt, DueAt: r.DueAt,
			Overdue: r.State != string(incident.Closed) && r.DueAt != nil && now.After(*r.DueAt), CreatedAt: r.CreatedAt, ClosedAt: r.ClosedAt}
	}
	return e.JSON(http.StatusOK, newList(items, total, f.Limit, f.Offset))
}

func (c *Incidents) one(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	inc, err := c.Incidents.InScope(ctx, id, web.ScopePath(e))
	if err != nil {
		return err
	}
	evs, err := c.Incidents.Events(ctx, id)
	if err != nil {
		return err
	}
	photos, err := c.Incidents.Photos(ctx, id)
	if err != nil {
		return err
	}
	perEvent := map[int64]int{}
	for _, p := range photos {
		perEvent[p.EventID]++
	}
	out := apiIncidentDetail{apiIncident: apiIncident{ID: inc.ID, Kind: string(inc.Kind), KindLabel: inc.Kind.Label(),
		State: string(inc.State), StateLabel: inc.State.Label(), RegionID: inc.RegionID, BusinessID: inc.BusinessID,
		Business: inc.BusinessName, Description: inc.Description, Affected: affected(inc.Affected), ReporterKind: inc.ReporterKind,
		ReporterName: inc.ReporterName, Verified: inc.Verified, StateAt: inc.StateAt, DueAt: inc.DueAt, Overdue: inc.Overdue(c.now()),
		CreatedAt: inc.CreatedAt, ClosedAt: inc.ClosedAt}, Steps: []apiIncidentStep{}}
	for _, ev := range evs {
		label := "添加记录"
		switch {
		case ev.FromState == "":
			label = "上报"
		case ev.Changed():
			label = incident.State(ev.ToState).Label()
		}
		out.Steps = append(out.Steps, apiIncidentStep{At: ev.CreatedAt, From: ev.FromState, To: ev.ToState, Label: label,
			By: ev.ActorName, Note: ev.Note, Photos: perEvent[ev.ID]})
	}
	return e.JSON(http.StatusOK, out)
}
