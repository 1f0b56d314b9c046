package h5

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/registry"
)

// Incidents serves an incident's page, what the offices' messages and the
// reporter's link to (templates/h5/incident.html): what happened, where it
// stands, who must act by when, and every step. It opens for the managers
// and offices whose region holds it and for its reporter; changes are
// made on the console.
type Incidents struct {
	Incidents *incident.Service
	// ConsoleURL starts the console's address of the incident, for the
	// office's link to act on it.
	ConsoleURL string
	*mounted
}

// Incident is an incident's page for one reader (the offices' messages
// link to it).
func (l Links) Incident(id int64, reader registry.Actor, expires time.Time) string {
	return l.h5Signed(incidentResource(id), reader, expires)
}

func incidentResource(id int64) string { return "/h5/incidents/" + strconv.FormatInt(id, 10) }

var _ incident.Links = Links{}

func (h *Incidents) mount(m *mounted) {
	h.mounted = m
	m.router.GET("/h5/incidents/:id", h.incident)
}

// incidentStepView is a step as the page shows it.
type incidentStepView struct {
	At     time.Time
	Label  string
	By     string
	Note   string
	Photos int
}

func (h *Incidents) incident(c echo.Context) error {
	id, v, err := h.open(c, incidentResource)
	if err != nil || v == nil {
		return err
	}
	ctx := c.Request().Context()
	var inc *incident.Incident
	reader, err := authorizeAnyAs(v, msgH5NotForYou, func(a registry.Actor) error {
		var err error
		inc, err = h.Incidents.Authorize(ctx, id, a)
		return err
	})
	if err != nil {
		return err
	}
	evs, err := h.Incidents.Events(ctx, id)
	if err != nil {
		return err
	}
	photos, err := h.Incidents.Photos(ctx, id)
	if err != nil {
		return err
	}
	perEvent := map[int64]int{}
	for _, p := range photos {
		perEvent[p.EventID]++
	}
	steps := make([]incidentStepView, len(evs))
	for i, ev := range evs {
		label := "补充记录"
		switch {
		case ev.FromState == "":
			label = "上报"
		case ev.Changed():
			label = incident.State(ev.ToState).Label()
		}
		steps[i] = incidentStepView{At: ev.CreatedAt, Label: label, By: ev.ActorName, Note: ev.Note, Photos: perEvent[ev.ID]}
	}
	place := inc.BusinessName
	if place == "" {
		place = "未指明主体"
	}
	kind, _, _ := reader.Parse()
	office := kind == "manager" || kind == "office"
	console := ""
	if office && h.ConsoleURL != "" {
		console = strings.TrimRight(h.ConsoleURL, "/") + "/console/incidents/" + strconv.FormatInt(id, 10)
	}
	return h.render(c, http.StatusOK, "incident", map[string]any{"I": inc, "Kind": inc.Kind.Label(), "State": inc.State.Label(),
		"Place": place, "Verb": inc.State.Verb(), "Overdue": inc.Overdue(h.now()), "Steps": steps, "Console": console})
}

func (h *Incidents) now() time.Time { return h.access.clock.Now() }
