package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
)

// The JSON API: the console's data for integrations and scripts, with the
// same scoping. A caller authenticates with an API token
// ("Authorization: Bearer sab_…", made on the console's API page) or with
// the console's session cookie; with the cookie, a request that changes
// anything must carry the session's CSRF token in X-CSRF-Token. Lists are
// {items, total, limit, offset}; errors are ErrorBody.

const apiPrefix = "/api/v1"

// mountAPI adds the JSON API.
func (s *Server) mountAPI(c *Console) {
	// The guard is per route, not on the group, so an unknown path under
	// /api/v1 is a plain 404 rather than a demand to sign in.
	g := s.echo.Group(apiPrefix)
	auth := c.requireAPIUser
	g.GET("/businesses", c.apiBusinesses, auth)
	g.GET("/businesses/:id", c.apiBusiness, auth)
	g.GET("/cadres", c.apiCadres, auth)
	g.GET("/cadres/:id", c.apiCadre, auth)
	g.GET("/visits", c.apiVisits, auth)
	g.GET("/visits/:id", c.apiVisit, auth)
	g.GET("/rectifications", c.apiRectifications, auth)
	g.GET("/progress", c.apiProgress, auth)
	g.GET("/overdue", c.apiOverdue, auth)
	g.GET("/notifications", c.apiNotifications, auth)
	g.POST("/notifications/:id/retry", c.apiRetry, auth, RequireWriter)
	g.GET("/letters", c.apiLetters, auth)
}

// requireAPIUser admits a bearer token or a console session. With the
// session cookie, state-changing requests need the X-CSRF-Token header (a
// form field does not count: the API takes no forms).
func (c *Console) requireAPIUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(e echo.Context) error {
		ctx := e.Request().Context()
		var userID int64
		var sess *Session
		if auth := e.Request().Header.Get(echo.HeaderAuthorization); auth != "" {
			token, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok {
				return errs.E(errs.Unauthorized, msgUseBearer)
			}
			id, err := c.tokenUser(ctx, strings.TrimSpace(token))
			if err != nil {
				return err
			}
			userID = id
		} else {
			cookie, _ := e.Cookie(sessionCookie)
			if cookie == nil {
				return errs.E(errs.Unauthorized, msgAPISignIn)
			}
			var err error
			if sess, err = c.Sessions.Load(ctx, cookie.Value, c.Clock.Now()); err != nil {
				return err
			}
			if m := e.Request().Method; m != http.MethodGet && m != http.MethodHead && !sess.CSRFOK(e.Request().Header.Get("X-CSRF-Token")) {
				return errs.E(errs.Forbidden, msgAPICSRF)
			}
			userID = sess.UserID
		}
		u, err := c.Accounts.User(ctx, userID)
		if err != nil || u.Disabled {
			return errs.E(errs.Unauthorized, msgUserGone)
		}
		scope, err := c.Accounts.ScopeOf(ctx, u)
		if err != nil {
			return err
		}
		e.Set(ctxUser, u)
		e.Set(ctxScope, scope)
		if sess != nil {
			e.Set(ctxSession, sess)
		}
		e.Response().Header().Set("Cache-Control", "private, no-store")
		return next(e)
	}
}

// list is the shape of every API list.
type list[T any] struct {
	Items  []T   `json:"items"`
	Total  int64 `json:"total"`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
}

// apiPaging reads ?limit (default 50, at most 500) and ?offset. An offset
// past maxOffset is taken as maxOffset: a page past the end, empty.
func apiPaging(e echo.Context) (limit, offset int, err error) {
	limit, offset = 50, 0
	if s := e.QueryParam("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 500 {
			return 0, 0, errs.E(errs.Invalid, msgBadLimit)
		}
	}
	if s := e.QueryParam("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			return 0, 0, errs.E(errs.Invalid, msgBadOffset)
		}
		offset = min(offset, maxOffset)
	}
	return limit, offset, nil
}

func newList[T any](items []T, total int64, limit, offset int) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Total: total, Limit: limit, Offset: offset}
}

type apiBusinessItem struct {
	ID         int64    `json:"id"`
	Name       string   `json:"name"`
	CreditCode string   `json:"credit_code,omitempty"`
	LicenceNo  string   `json:"licence_no,omitempty"`
	Category   string   `json:"category"`
	Grade      string   `json:"grade"`
	RegionID   int64    `json:"region_id"`
	Village    string   `json:"village"`
	Address    string   `json:"address"`
	Status     string   `json:"status"`
	CadreID    int64    `json:"cadre_id,omitempty"`
	CadreName  string   `json:"cadre_name,omitempty"`
	Covered    bool     `json:"covered"`
	Latitude   *float64 `json:"latitude,omitempty"`
	Longitude  *float64 `json:"longitude,omitempty"`
}

func businessItem(b query.BusinessLine) apiBusinessItem {
	return apiBusinessItem{ID: b.ID, Name: b.Name, CreditCode: deref(b.CreditCode), LicenceNo: deref(b.LicenceNo),
		Category: string(b.Category), Grade: string(b.Grade), RegionID: b.RegionID, Village: b.Village, Address: b.Address,
		Status: string(b.Status), CadreID: b.CadreID, CadreName: b.CadreName, Covered: b.Covered}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (c *Console) apiBusinesses(e echo.Context) error {
	q, _, err := c.businessQuery(e)
	if err != nil {
		return err
	}
	if q.Limit, q.Offset, err = apiPaging(e); err != nil {
		return err
	}
	rows, total, err := c.findBusinesses(e.Request().Context(), q)
	if err != nil {
		return err
	}
	items := make([]apiBusinessItem, len(rows))
	for i, b := range rows {
		items[i] = businessItem(b)
	}
	return e.JSON(http.StatusOK, newList(items, total, q.Limit, q.Offset))
}

type apiBusinessDetail struct {
	apiBusinessItem
	Town      string    `json:"town"`
	Cycle     string    `json:"cycle"`
	CycleDue  time.Time `json:"cycle_due"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (c *Console) apiBusiness(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := idParam(e)
	if err != nil {
		return err
	}
	b, err := c.Registry.BusinessInScope(ctx, id, scopePath(e))
	if err != nil {
		return err
	}
	covered, cycle, err := c.Supervision.Covered(ctx, b.ID)
	if err != nil {
		return err
	}
	rs, err := c.Registry.Regions(ctx)
	if err != nil {
		return err
	}
	tree := registry.NewRegionTree(rs)
	town, village := tree.TownVillage(b.RegionID)
	d := apiBusinessDetail{apiBusinessItem: apiBusinessItem{ID: b.ID, Name: b.Name, CreditCode: deref(b.CreditCode),
		LicenceNo: deref(b.LicenceNo), Category: string(b.Category), Grade: string(b.Grade), RegionID: b.RegionID,
		Village: village, Address: b.Address, Status: string(b.Status), Covered: covered, Latitude: b.Latitude, Longitude: b.Longitude},
		Town: town, Cycle: cycle.Key, CycleDue: cycle.Due, UpdatedAt: b.UpdatedAt}
	if a, err := c.Registry.CurrentAssignment(ctx, b.ID); err == nil {
		d.CadreID = a.CadreID
		if cd, err := c.Registry.Cadre(ctx, a.CadreID); err == nil {
			d.CadreName = cd.Name
		}
	} else if !errs.Is(err, errs.NotFound) {
		return err
	}
	return e.JSON(http.StatusOK, d)
}

type apiCadreItem struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Post      string `json:"post"`
	Level     string `json:"level"`
	RegionID  int64  `json:"region_id"`
	Town      string `json:"town"`
	Village   string `json:"village"`
	WorkPhone string `json:"work_phone"`
	Load      int    `json:"load"`
	Due       int    `json:"due"`
	Covered   int    `json:"covered"`
}

func cadreItem(l cadreLine) apiCadreItem {
	return apiCadreItem{ID: l.ID, Name: l.Name, Post: l.Post, Level: string(l.Level), RegionID: l.RegionID, Town: l.Town,
		Village: l.Village, WorkPhone: l.WorkPhone, Load: l.Load, Due: l.Due, Covered: l.Covered}
}

func (c *Console) apiCadres(e echo.Context) error {
	ctx := e.Request().Context()
	limit, offset, err := apiPaging(e)
	if err != nil {
		return err
	}
	cs, total, err := c.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: scopePath(e), Query: e.QueryParam("q"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	lines, err := c.cadreLines(e, cs)
	if err != nil {
		return err
	}
	items := make([]apiCadreItem, len(lines))
	for i, l := range lines {
		items[i] = cadreItem(l)
	}
	return e.JSON(http.StatusOK, newList(items, total, limit, offset))
}

func (c *Console) apiCadre(e echo.Context) error {
	ctx := e.Request().Context()
	id, err := idParam(e)
	if err != nil {
		return err
	}
	cd, err := c.Registry.CadreInScope(ctx, id, scopePath(e))
	if err != nil {
		return err
	}
	lines, err := c.cadreLines(e, []registry.Cadre{*cd})
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, cadreItem(lines[0]))
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
}

func (c *Console) apiVisits(e echo.Context) error {
	q, _, err := c.visitQuery(e)
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
	items := make([]apiVisitItem, len(rows))
	for i, v := range rows {
		items[i] = apiVisitItem{ID: v.ID, BusinessID: v.BusinessID, Business: v.Business, Village: v.Village, CadreID: v.CadreID,
			CadreName: v.CadreName, Mode: string(v.Mode), SubmittedAt: v.SubmittedAt, Cycle: v.CycleKey, DistanceM: v.DistanceM,
			Far: v.Far, StatusSeen: string(v.StatusSeen), Findings: v.Findings, Revision: v.Revision, Current: v.Current}
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

func (c *Console) apiVisit(e echo.Context) error {
	id, err := idParam(e)
	if err != nil {
		return err
	}
	v, err := c.Supervision.VisitInScope(e.Request().Context(), id, scopePath(e))
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
	return e.JSON(http.StatusOK, d)
}

type apiRectItem struct {
	ID          int64      `json:"id"`
	BusinessID  int64      `json:"business_id"`
	Business    string     `json:"business"`
	Village     string     `json:"village"`
	VisitID     int64      `json:"visit_id"`
	ItemID      string     `json:"item_id"`
	ItemLabel   string     `json:"item_label"`
	Description string     `json:"description"`
	Requirement string     `json:"requirement,omitempty"`
	Deadline    string     `json:"deadline"`
	Status      string     `json:"status"`
	DaysLeft    int        `json:"days_left"`
	CadreID     int64      `json:"cadre_id,omitempty"`
	CadreName   string     `json:"cadre_name,omitempty"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
}

func (c *Console) apiRectifications(e echo.Context) error {
	q := rectQuery(e)
	var err error
	if q.Limit, q.Offset, err = apiPaging(e); err != nil {
		return err
	}
	rows, total, err := c.Query.Rectifications(e.Request().Context(), q)
	if err != nil {
		return err
	}
	items := make([]apiRectItem, len(rows))
	for i, r := range rows {
		items[i] = apiRectItem{ID: r.ID, BusinessID: r.BusinessID, Business: r.Business, Village: r.Village, VisitID: r.VisitID,
			ItemID: r.ItemID, ItemLabel: r.ItemLabel, Description: r.Description, Requirement: r.Requirement,
			Deadline: r.Deadline.Format("2006-01-02"), Status: r.Status, DaysLeft: r.DaysLeft, CadreID: r.CadreID,
			CadreName: r.CadreName, ClosedAt: r.ClosedAt}
	}
	return e.JSON(http.StatusOK, newList(items, total, q.Limit, q.Offset))
}

type apiCoverage struct {
	ID      int64   `json:"id,omitempty"`
	Name    string  `json:"name"`
	Due     int     `json:"due"`
	Covered int     `json:"covered"`
	Percent float64 `json:"percent"`
}

type apiProgressBody struct {
	Cycle     string        `json:"cycle"`
	Total     apiCoverage   `json:"total"`
	ByTown    []apiCoverage `json:"by_town"`
	ByVillage []apiCoverage `json:"by_village"`
	ByCadre   []apiCoverage `json:"by_cadre"`
}

func coverageItems(rows []query.CoverageRow) []apiCoverage {
	out := make([]apiCoverage, len(rows))
	for i, r := range rows {
		out[i] = apiCoverage{ID: r.ID, Name: r.Name, Due: r.Due, Covered: r.Covered, Percent: r.Percent}
	}
	return out
}

func (c *Console) apiProgress(e echo.Context) error {
	ctx := e.Request().Context()
	p, err := c.progress(ctx, ConsoleScope(e))
	if err != nil {
		return err
	}
	rs, err := c.Registry.Regions(ctx)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, apiProgressBody{Cycle: p.Cycle,
		Total:     apiCoverage{Name: p.Total.Name, Due: p.Total.Due, Covered: p.Total.Covered, Percent: p.Total.Percent},
		ByTown:    coverageItems(byTown(registry.NewRegionTree(rs), p.ByVillage)),
		ByVillage: coverageItems(p.ByVillage), ByCadre: coverageItems(p.ByCadre)})
}

type apiOverdueItem struct {
	BusinessID  int64  `json:"business_id"`
	Business    string `json:"business"`
	Grade       string `json:"grade"`
	VillageID   int64  `json:"village_id"`
	Village     string `json:"village"`
	CadreID     int64  `json:"cadre_id,omitempty"`
	CadreName   string `json:"cadre_name,omitempty"`
	Cycle       string `json:"cycle"`
	DaysOverdue int    `json:"days_overdue"`
}

func (c *Console) apiOverdue(e echo.Context) error {
	limit, offset, err := apiPaging(e)
	if err != nil {
		return err
	}
	all, err := c.overdueItems(e.Request().Context(), ConsoleScope(e))
	if err != nil {
		return err
	}
	page := pageOf(all, limit, offset)
	items := make([]apiOverdueItem, len(page))
	for i, it := range page {
		items[i] = apiOverdueItem{BusinessID: it.BusinessID, Business: it.BusinessName, Grade: string(it.Grade), VillageID: it.VillageID,
			Village: it.Village, CadreID: it.CadreID, CadreName: it.CadreName, Cycle: it.CycleLabel, DaysOverdue: it.DaysOverdue}
	}
	return e.JSON(http.StatusOK, newList(items, int64(len(all)), limit, offset))
}

// apiNotifications lists the outbox of the scope: ?status=failed,dead,unreachable
// (comma-separated or repeated) shows who cannot be reached and why.
func (c *Console) apiNotifications(e echo.Context) error {
	f, err := notificationFilter(e)
	if err != nil {
		return err
	}
	if f.Limit, f.Offset, err = apiPaging(e); err != nil {
		return err
	}
	rows, total, err := c.Query.Notifications(e.Request().Context(), f, scopePath(e))
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, newList(rows, total, f.Limit, f.Offset))
}

func (c *Console) apiRetry(e echo.Context) error {
	id, err := c.retry(e)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, map[string]any{"id": id, "status": notify.StatusPending})
}

type apiLetterItem struct {
	ID             int64      `json:"id"`
	Number         string     `json:"number"`
	BusinessID     int64      `json:"business_id"`
	Business       string     `json:"business"`
	Village        string     `json:"village"`
	VisitID        *int64     `json:"visit_id,omitempty"`
	IssuedBy       string     `json:"issued_by"`
	IssuedAt       time.Time  `json:"issued_at"`
	Status         string     `json:"status"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
}

func (c *Console) apiLetters(e echo.Context) error {
	if c.Letters == nil {
		return errNoLetters
	}
	q := c.letterQuery(e)
	var err error
	if q.Limit, q.Offset, err = apiPaging(e); err != nil {
		return err
	}
	rows, total, err := c.Query.Letters(e.Request().Context(), q)
	if err != nil {
		return err
	}
	items := make([]apiLetterItem, len(rows))
	for i, l := range rows {
		items[i] = apiLetterItem{ID: l.ID, Number: l.Number, BusinessID: l.BusinessID, Business: l.Business, Village: l.Village,
			VisitID: l.VisitID, IssuedBy: l.IssuedBy, IssuedAt: l.IssuedAt, Status: l.Status, DeliveredAt: l.DeliveredAt,
			AcknowledgedAt: l.AcknowledgedAt}
	}
	return e.JSON(http.StatusOK, newList(items, total, q.Limit, q.Offset))
}
