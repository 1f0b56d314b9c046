package h5

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web"
)

// Incidents serves an incident's page, what the offices' messages and the
// reporter's link to (templates/h5/incident.html): what happened, where it
// stands, who must act by when, and every step. It opens for the managers
// and offices whose region holds it and for its reporter; changes are
// made on the console.
type Incidents struct {
	Incidents *incident.Service
	// Media holds the photos' stored copies; nil leaves them out.
	Media media.Store
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
	m.router.GET("/h5/incidents/:id/photos/:photo", h.photo)
}

// incidentStepView is a step as the page shows it.
type incidentStepView struct {
	At     time.Time
	Label  string
	By     string
	Note   string
	Photos []visitPhoto
}

func (h *Incidents) incident(c echo.Context) error {
	id, inc, reader, err := h.authorized(c)
	if err != nil || inc == nil {
		return err
	}
	ctx := c.Request().Context()
	evs, err := h.Incidents.Events(ctx, id)
	if err != nil {
		return err
	}
	photos, err := h.Incidents.Photos(ctx, id)
	if err != nil {
		return err
	}
	// The photos open through this page's own signed link, as a visit
	// receipt's do.
	perEvent := map[int64][]visitPhoto{}
	q := signedQuery(c)
	for _, p := range photos {
		vp := visitPhoto{N: len(perEvent[p.EventID]) + 1, Status: p.Status}
		if p.Stored() && h.Media != nil {
			vp.URL = incidentResource(id) + "/photos/" + strconv.FormatInt(p.ID, 10) + "?" + q
		}
		perEvent[p.EventID] = append(perEvent[p.EventID], vp)
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

// authorized opens the incident of the signed link for a reader it is
// for; nil, nil when the link sent the reader elsewhere (to sign in).
func (h *Incidents) authorized(c echo.Context) (int64, *incident.Incident, registry.Actor, error) {
	id, v, err := h.open(c, incidentResource)
	if err != nil || v == nil {
		return 0, nil, "", err
	}
	ctx := c.Request().Context()
	var inc *incident.Incident
	reader, err := authorizeAnyAs(v, msgH5NotForYou, func(a registry.Actor) error {
		var err error
		inc, err = h.Incidents.Authorize(ctx, id, a)
		return err
	})
	if err != nil {
		return 0, nil, "", err
	}
	return id, inc, reader, nil
}

// photo serves a stored photo of the incident to a reader of its page.
func (h *Incidents) photo(c echo.Context) error {
	id, inc, _, err := h.authorized(c)
	if err != nil || inc == nil {
		return err
	}
	pid, err := strconv.ParseInt(c.Param("photo"), 10, 64)
	if err != nil || h.Media == nil {
		return errs.E(errs.NotFound, msgH5NoPhoto)
	}
	ctx := c.Request().Context()
	p, err := h.Incidents.StoredPhoto(ctx, id, pid)
	if err != nil {
		return err
	}
	return web.ServePhoto(c, h.Media, p.Path, p.ContentType)
}

func (h *Incidents) now() time.Time { return h.access.clock.Now() }
