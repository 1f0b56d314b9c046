package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/review"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/listing"
)

// Visits serves /api/v1/visits and a visit by id, with its checks, findings and photos.
type Visits struct {
	// Query is the read side.
	Query       *query.Reader
	Lists       *listing.Lists
	Supervision *supervision.Service
	// Review gives a visit's flags and judgement.
	Review *review.Service
	*mounted
}

func (c *Visits) mount(m *mounted) {
	c.mounted = m
	m.group.GET("/visits", c.apiVisits, m.auth)
	m.group.GET("/visits/:id", c.apiVisit, m.auth)
}

type apiVisitItem struct {
	ID          int64     `json:"id"`
	BusinessID  int64     `json:"business_id"`
	Business    string    `json:"business"`
	Village     string    `json:"village"`
	CadreID     int64     `json:"cadre_id"`
	CadreName   string    `json:"cadre_name"`
	Mode        string    `json:"mode"`
	SubmittedAt time.Time `json:"submitted_at"`
	Cycle       string    `json:"cycle"`
	DistanceM   *float64  `json:"distance_m,omitempty"`
	Far         bool      `json:"far"`
	StatusSeen  string    `json:"status_seen,omitempty"`
	Findings    int       `json:"findings"`
	Revision    int       `json:"revision"`
	Current     bool      `json:"current"`
	// Flags are review's kinds of the visit's flags ("far_from_site").
	Flags []string `json:"flags"`
}

func (c *Visits) apiVisits(e echo.Context) error {
	q, _, err := c.Lists.VisitQuery(e)
	if err != nil {
		return err
	}
	if q.Limit, q.Offset, err = apiPaging(e); err != nil {
		return err
	}
	rows, total, err := c.Query.Visits(e.Request().Context(), q)
	if err != nil {
		return err
	}
	ids := make([]int64, len(rows))
	for i, v := range rows {
		ids[i] = v.ID
	}
	flags, err := c.Query.FlagKinds(e.Request().Context(), ids)
	if err != nil {
		return err
	}
	items := make([]apiVisitItem, len(rows))
	for i, v := range rows {
		items[i] = apiVisitItem{ID: v.ID, BusinessID: v.BusinessID, Business: v.Business, Village: v.Village, CadreID: v.CadreID,
			CadreName: v.CadreName, Mode: string(v.Mode), SubmittedAt: v.SubmittedAt, Cycle: v.CycleKey, DistanceM: v.DistanceM,
			Far: v.Far, StatusSeen: string(v.StatusSeen), Findings: v.Findings, Revision: v.Revision, Current: v.Current,
			Flags: flags[v.ID]}
		if items[i].Flags == nil {
			items[i].Flags = []string{}
		}
	}
	return e.JSON(http.StatusOK, newList(items, total, q.Limit, q.Offset))
}

type apiVisitDetail struct {
	ID            int64              `json:"id"`
	BusinessID    int64              `json:"business_id"`
	Business      string             `json:"business"`
	CadreID       int64              `json:"cadre_id"`
	CadreName     string             `json:"cadre_name"`
	Mode          string             `json:"mode"`
	CheckKind     string             `json:"check_kind"`
	StartedAt     time.Time          `json:"started_at"`
	SubmittedAt   time.Time          `json:"submitted_at"`
	Cycle         string             `json:"cycle"`
	Latitude      *float64           `json:"latitude,omitempty"`
	Longitude     *float64           `json:"longitude,omitempty"`
	LocationLabel string             `json:"location_label,omitempty"`
	DistanceM     *float64           `json:"distance_m,omitempty"`
	Far           bool               `json:"far"`
	StatusSeen    string             `json:"status_seen,omitempty"`
	Remarks       string             `json:"remarks,omitempty"`
	Revision      int                `json:"revision"`
	Current       bool               `json:"current"`
	Items         []apiVisitCheck    `json:"items"`
	Findings      []apiVisitFinding  `json:"findings"`
	Photos        []apiVisitPhotoRef `json:"photos"`
	// Flags are review's kinds ("duplicate_photo", ...), each once.
	Flags []string `json:"flags"`
	// Review is the latest judgement, null when none.
	Review *apiVisitReview `json:"review"`
}

type apiVisitReview struct {
	Outcome  string `json:"outcome"`
	Label    string `json:"label"`
	Note     string `json:"note,omitempty"`
	Reviewer string `json:"reviewer"`
}

type apiVisitCheck struct {
	ItemID string `json:"item_id"`
	Label  string `json:"label"`
	Result string `json:"result"`
}

type apiVisitFinding struct {
	ID              int64     `json:"id"`
	ItemID          string    `json:"item_id"`
	Description     string    `json:"description"`
	Requirement     string    `json:"requirement,omitempty"`
	Deadline        time.Time `json:"deadline"`
	RectificationID int64     `json:"rectification_id,omitempty"`
	Status          string    `json:"status,omitempty"`
}

type apiVisitPhotoRef struct {
	ID        int64  `json:"id"`
	Status    string `json:"status"`
	FindingID *int64 `json:"finding_id,omitempty"`
}

func (c *Visits) apiVisit(e echo.Context) error {
	id, err := web.IDParam(e)
	if err != nil {
		return err
	}
	v, err := c.Supervision.VisitInScope(e.Request().Context(), id, web.ScopePath(e))
	if err != nil {
		return err
	}
	d := apiVisitDetail{ID: v.ID, BusinessID: v.BusinessID, Business: v.Business.Name, CadreID: v.CadreID, CadreName: v.CadreName,
		Mode: string(v.Mode), CheckKind: v.CheckKind, StartedAt: v.StartedAt, SubmittedAt: v.SubmittedAt, Cycle: v.CycleKey,
		Latitude: v.Latitude, Longitude: v.Longitude, LocationLabel: v.LocationLabel, DistanceM: v.DistanceM, Far: v.Far,
		StatusSeen: string(v.StatusSeen), Remarks: v.Remarks, Revision: v.Revision, Current: v.Current,
		Items: []apiVisitCheck{}, Findings: []apiVisitFinding{}, Photos: []apiVisitPhotoRef{}}
	for _, it := range v.Items {
		d.Items = append(d.Items, apiVisitCheck{ItemID: it.ItemID, Label: it.Label, Result: string(it.Result)})
	}
	for _, f := range v.Findings {
		d.Findings = append(d.Findings, apiVisitFinding{ID: f.ID, ItemID: f.ItemID, Description: f.Description, Requirement: f.Requirement,
			Deadline: f.Deadline, RectificationID: f.RectificationID, Status: f.Status})
	}
	for _, p := range v.Photos {
		d.Photos = append(d.Photos, apiVisitPhotoRef{ID: p.ID, Status: p.Status, FindingID: p.FindingID})
	}
	ctx := e.Request().Context()
	flags, err := c.Review.FlagsOf(ctx, v.ID)
	if err != nil {
		return err
	}
	d.Flags = []string{}
	for _, f := range flags {
		if !slices.Contains(d.Flags, string(f.Kind)) {
			d.Flags = append(d.Flags, string(f.Kind))
		}
	}
	j, ok, err := c.Review.JudgementOf(ctx, v.ID)
	if err != nil {
		return err
	}
	if ok {
		who, err := c.Query.People(ctx, []string{j.Reviewer})
		if err != nil {
			return err
		}
		d.Review = &apiVisitReview{Outcome: string(j.Outcome), Label: j.Outcome.Label(), Note: j.Note, Reviewer: who[j.Reviewer].Label()}
	}
	return e.JSON(http.StatusOK, d)
}
