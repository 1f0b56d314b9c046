package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// conWorld is 蠡湖街道's data that 胡埭镇's manager must never reach: an
// id of each kind, and markers (village, business, cadre names and credit
// codes found only in 蠡湖街道) that must appear on none of 胡埭镇's pages,
// exports or API answers.
type conWorld struct {
	village, business, cadre, visit, rect, photo, reloc, notif, code, letter int64
	pledge                                                                   int64
	hudaiCadre                                                               int64
	incident, incidentPhoto                                                  int64
	importID, tokenID, token                                                 string
	markers                                                                  []string
}

type conMedia struct{}

func (conMedia) DownloadMedia(context.Context, string) ([]byte, string, error) {
	return conPNG(), "image/png", nil
}

func conPNG() []byte {
	return []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
}

// buildWorld makes sure 蠡湖街道 has one of everything, made the way users
// make it (a relocation and a photo reported in a visit, a letter, a
// binding code, a notification nobody could receive, a pending import and
// an API token of its manager).
func conBuildWorld(t *testing.T, a *webtest.App, lihu *webtest.Client) *conWorld {
	t.Helper()
	ctx := context.Background()
	w := &conWorld{}
	scope := a.LihuTown.Path
	bs, _, err := a.Query.Businesses(ctx, query.BusinessFilter{ScopePath: scope, Status: string(registry.StatusOperating), Limit: 1000})
	if err != nil || len(bs) < 3 {
		t.Fatalf("蠡湖街道 businesses: %d, %v", len(bs), err)
	}
	var biz query.BusinessLine
	for _, b := range bs {
		if b.CadreID != 0 && (b.Grade == string(registry.GradeD) || b.Grade == string(registry.GradeC)) {
			biz = b
			break
		}
	}
	w.business, w.cadre, w.village = biz.ID, biz.CadreID, biz.RegionID

	in := webtest.QuickReport(a.App, biz.ID, biz.CadreID)
	in.StatusSeen, in.StatusNote = registry.EventRelocated, "搬到隔壁社区"
	in.Photos = []supervision.PhotoInput{{MediaID: "media-" + webtest.RandHex(4), ReceivedAt: time.Now()}}
	v, _, err := a.Supervision.Submit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	w.visit = v.ID
	if stored, _, err := a.Supervision.FetchPhotos(ctx, conMedia{}, a.Media, 10); err != nil || stored == 0 {
		t.Fatalf("fetch photos: %d %v", stored, err)
	}
	d, err := a.Supervision.Visit(ctx, v.ID)
	if err != nil || len(d.Photos) == 0 {
		t.Fatalf("visit photos: %v", err)
	}
	w.photo = d.Photos[0].ID
	inc, _, err := a.Incidents.Report(ctx, incident.Report{Key: "scope-" + webtest.RandHex(4), Kind: incident.Poisoning, BusinessID: biz.ID,
		Description: "蠡湖越权测试事件", Affected: 2, Reporter: registry.ActorOf("cadre", biz.CadreID),
		Photos: []supervision.PhotoInput{{MediaID: "incident-" + webtest.RandHex(4)}}})
	if err != nil {
		t.Fatal(err)
	}
	if stored, _, err := a.Incidents.FetchPhotos(ctx, conMedia{}, a.Media, 10); err != nil || stored == 0 {
		t.Fatalf("fetch incident photos: %d %v", stored, err)
	}
	ips, err := a.Incidents.Photos(ctx, inc.ID)
	if err != nil || len(ips) == 0 {
		t.Fatalf("incident photos: %v", err)
	}
	w.incident, w.incidentPhoto = inc.ID, ips[0].ID
	rels, err := a.Query.Relocations(ctx, scope, supervision.RelocationPending)
	if err != nil || len(rels) == 0 {
		t.Fatalf("relocations: %v", err)
	}
	w.reloc = rels[0].ID
	rects, _, err := a.Query.Rectifications(ctx, query.RectificationFilter{ScopePath: scope, Limit: 1})
	if err != nil || len(rects) == 0 {
		t.Fatalf("蠡湖街道 has no rectification: %v", err)
	}
	w.rect = rects[0].ID

	l, err := a.Letters.Issue(ctx, biz.ID, letter.IssueInput{Findings: []letter.FindingInput{{Description: "测试问题", Requirement: "整改"}}},
		registry.Actor("user:"+a.Lihu))
	if err != nil {
		t.Fatal(err)
	}
	w.letter = l.ID
	w.pledge = conPledge(t, a, scope)
	_, bc, err := a.Accounts.IssueCode(ctx, account.RoleCadre, biz.CadreID, registry.Actor("user:"+a.Lihu))
	if err != nil {
		t.Fatal(err)
	}
	w.code = bc.ID
	if _, err := a.Notify.Enqueue(ctx, notify.Message{Kind: "test.scope", To: notify.Recipient{Kind: notify.ToCadre, ID: biz.CadreID},
		Channel: notify.ChannelTemplate, Subject: "scope-" + webtest.RandHex(4), Title: "蠡湖测试通知"}); err != nil {
		t.Fatal(err)
	}
	ns, _, err := query.New(a.DB).Notifications(ctx, query.NotificationFilter{Kind: "test.scope"}, scope)
	if err != nil || len(ns) == 0 {
		t.Fatalf("notification in scope: %v", err)
	}
	w.notif = ns[0].ID
	if err := a.DB.Gorm(ctx).Exec("UPDATE outbox SET status = ?, last_error = ? WHERE id = ?", notify.StatusDead, "测试", w.notif).Error; err != nil {
		t.Fatal(err)
	}

	// 蠡湖街道's manager previews an import (its id is theirs alone) and
	// makes an API token.
	lihu.Get("/console/import")
	lihu.Upload("/console/import", "cadres", "cadres.csv", []byte("姓名,层级,镇(街道),工作电话\n测试干部,村级,蠡湖街道,13900001111\n"))
	m := regexp.MustCompile(`/console/import/([A-Za-z0-9_-]{22})/commit`).FindStringSubmatch(lihu.Body)
	if lihu.Status != http.StatusOK || m == nil {
		t.Fatalf("lihu import preview = %d: %s", lihu.Status, lihu.Text())
	}
	w.importID = m[1]
	lihu.Get("/console/tokens")
	lihu.Post("/console/tokens", url.Values{"name": {"蠡湖平台"}, "days": {"30"}})
	if m := regexp.MustCompile(`data-token>(sab_[A-Za-z0-9_-]+)<`).FindStringSubmatch(lihu.Body); m != nil {
		w.token = m[1]
	}
	if m := regexp.MustCompile(`/console/tokens/([A-Za-z0-9_-]+)/revoke`).FindStringSubmatch(lihu.Body); m != nil {
		w.tokenID = m[1]
	}
	if w.token == "" || w.tokenID == "" {
		t.Fatalf("lihu token: %s", lihu.Text())
	}

	hb, _, err := a.Query.Businesses(ctx, query.BusinessFilter{ScopePath: a.HudaiTown.Path, Limit: 1})
	if err != nil || len(hb) == 0 {
		t.Fatal(err)
	}
	w.hudaiCadre = hb[0].CadreID
	w.markers = conMarkers(t, a)
	return w
}

// markers are names and codes found in 蠡湖街道 and not in 胡埭镇.
func conMarkers(t *testing.T, a *webtest.App) []string {
	t.Helper()
	ctx := context.Background()
	names := func(path string) (villages, businesses, cadres, codes map[string]bool) {
		villages, businesses, cadres, codes = map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
		rs, _ := a.Registry.Regions(ctx)
		for _, r := range rs {
			if strings.HasPrefix(r.Path, path) {
				villages[r.Name] = true
			}
		}
		err := a.Query.EachBusiness(ctx, query.BusinessFilter{ScopePath: path}, func(bs []query.BusinessLine) error {
			for _, b := range bs {
				businesses[b.Name] = true
				codes[b.Code()] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		cs, _, err := a.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: path, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			// People's names repeat (a principal in 胡埭镇 may share a
			// cadre's name in 蠡湖街道); a cadre's work phone does not.
			codes[c.WorkPhone] = true
		}
		return
	}
	lv, lb, lc, lcodes := names(a.LihuTown.Path)
	hv, hb, hc, hcodes := names(a.HudaiTown.Path)
	// A marker must not occur inside anything of 胡埭镇 either ("老吴水果店"
	// is part of "胡埭老吴水果店").
	var all strings.Builder
	for _, m := range []map[string]bool{hv, hb, hc, hcodes} {
		for s := range m {
			all.WriteString(s)
			all.WriteByte('\n')
		}
	}
	hudai := all.String()
	var out []string
	for _, l := range []map[string]bool{lv, lb, lc, lcodes} {
		for s := range l {
			if len([]rune(s)) >= 3 && !strings.Contains(hudai, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// leaks lists the markers found in a body (an XLSX file's cells included).
func (w *conWorld) leaks(body []byte) []string {
	text := string(body)
	if bytes.HasPrefix(body, []byte("PK")) {
		text = conXLSXText(body)
	}
	var found []string
	for _, m := range w.markers {
		if strings.Contains(text, m) {
			found = append(found, m)
			if len(found) == 5 {
				break
			}
		}
	}
	return found
}

// xlsxText is every cell of a workbook, tab-joined.
func conXLSXText(data []byte) string {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return "unreadable xlsx: " + err.Error()
	}
	defer f.Close()
	var b strings.Builder
	for _, sh := range f.GetSheetList() {
		rows, _ := f.GetRows(sh)
		for _, r := range rows {
			b.WriteString(strings.Join(r, "\t"))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// scopeCase is one request 胡埭镇's manager makes for 蠡湖街道's data.
type scopeCase struct {
	method, route string
	path          func(w *conWorld) string
	form          func(w *conWorld) url.Values
	// list cases answer 200 with nothing of 蠡湖街道 in them; the others
	// answer 404 (or 403), or want with a page containing wantText.
	list     bool
	api      bool
	want     int
	wantText string
}

func scopeGet(route string, path func(w *conWorld) string) scopeCase {
	return scopeCase{method: http.MethodGet, route: route, path: path}
}

func scopeList(route, path string) scopeCase {
	return scopeCase{method: http.MethodGet, route: route, path: func(*conWorld) string { return path }, list: true}
}

func scopePost(route string, path func(w *conWorld) string, form func(w *conWorld) url.Values) scopeCase {
	if form == nil {
		form = func(*conWorld) url.Values { return url.Values{} }
	}
	return scopeCase{method: http.MethodPost, route: route, path: path, form: form}
}

func scopeID(format string, f func(w *conWorld) int64) func(w *conWorld) string {
	return func(w *conWorld) string { return fmt.Sprintf(format, f(w)) }
}

// scopeCases covers every console and API route. TestConsoleScope fails
// when a route is mounted without a case here.
var scopeCases = []scopeCase{
	scopeList("/console/", "/console/"),
	scopeList("/console/businesses", "/console/businesses"),
	scopeList("/console/businesses", "/console/businesses?covered=no"),
	scopeGet("/console/businesses", scopeID("/console/businesses?region=%d", func(w *conWorld) int64 { return w.village })),
	scopeGet("/console/businesses", scopeID("/console/businesses?cadre=%d", func(w *conWorld) int64 { return w.cadre })),
	scopeList("/console/businesses.xlsx", "/console/businesses.xlsx"),
	scopeGet("/console/businesses.xlsx", scopeID("/console/businesses.xlsx?region=%d", func(w *conWorld) int64 { return w.village })),
	scopeGet("/console/businesses/:id", scopeID("/console/businesses/%d", func(w *conWorld) int64 { return w.business })),
	scopePost("/console/businesses/:id/assign", scopeID("/console/businesses/%d/assign", func(w *conWorld) int64 { return w.business }),
		func(w *conWorld) url.Values {
			return url.Values{"cadre_id": {fmt.Sprint(w.hudaiCadre)}, "reason": {"越权"}}
		}),
	scopePost("/console/businesses/:id/letters", scopeID("/console/businesses/%d/letters", func(w *conWorld) int64 { return w.business }),
		func(*conWorld) url.Values { return url.Values{"description": {"越权"}} }),
	scopePost("/console/businesses/:id/codes", scopeID("/console/businesses/%d/codes", func(w *conWorld) int64 { return w.business }),
		func(*conWorld) url.Values { return url.Values{"role": {"principal"}} }),

	scopeList("/console/cadres", "/console/cadres"),
	scopeList("/console/cadres.xlsx", "/console/cadres.xlsx"),
	scopeGet("/console/cadres/:id", scopeID("/console/cadres/%d", func(w *conWorld) int64 { return w.cadre })),
	scopePost("/console/cadres/:id/handover", scopeID("/console/cadres/%d/handover", func(w *conWorld) int64 { return w.cadre }),
		func(w *conWorld) url.Values {
			return url.Values{"to_cadre_id": {fmt.Sprint(w.hudaiCadre)}, "reason": {"越权"}}
		}),
	scopePost("/console/cadres/:id/handover", scopeID("/console/cadres/%d/handover", func(w *conWorld) int64 { return w.hudaiCadre }),
		func(w *conWorld) url.Values {
			return url.Values{"to_cadre_id": {fmt.Sprint(w.cadre)}, "reason": {"越权"}}
		}),
	scopePost("/console/cadres/:id/codes", scopeID("/console/cadres/%d/codes", func(w *conWorld) int64 { return w.cadre }), nil),

	scopeList("/console/visits", "/console/visits?from="),
	scopeGet("/console/visits", scopeID("/console/visits?business=%d", func(w *conWorld) int64 { return w.business })),
	scopeGet("/console/visits", scopeID("/console/visits?cadre=%d", func(w *conWorld) int64 { return w.cadre })),
	scopeList("/console/visits.xlsx", "/console/visits.xlsx?from="),
	scopeGet("/console/visits/:id", scopeID("/console/visits/%d", func(w *conWorld) int64 { return w.visit })),
	scopeGet("/console/photos/:id", scopeID("/console/photos/%d", func(w *conWorld) int64 { return w.photo })),

	scopeList("/console/selfcheck", "/console/selfcheck"),
	scopeList("/console/selfcheck.xlsx", "/console/selfcheck.xlsx?from=2026-01-01"),

	scopeList("/console/rectifications", "/console/rectifications"),
	scopeList("/console/rectifications.xlsx", "/console/rectifications.xlsx"),
	scopeGet("/console/rectifications/:id", scopeID("/console/rectifications/%d", func(w *conWorld) int64 { return w.rect })),
	scopeList("/console/overdue", "/console/overdue"),
	scopeList("/console/overdue.xlsx", "/console/overdue.xlsx"),
	scopeList("/console/progress", "/console/progress"),
	scopeList("/console/progress.xlsx", "/console/progress.xlsx"),

	scopeList("/console/relocations", "/console/relocations?status=all"),
	scopePost("/console/relocations/:id/decide", scopeID("/console/relocations/%d/decide", func(w *conWorld) int64 { return w.reloc }),
		func(*conWorld) url.Values { return url.Values{"decision": {"approve"}, "address": {"新址路1号"}} }),

	scopeList("/console/letters", "/console/letters"),
	scopeList("/console/letters.xlsx", "/console/letters.xlsx"),
	scopeGet("/console/letters/:id/print", scopeID("/console/letters/%d/print", func(w *conWorld) int64 { return w.letter })),

	scopeList("/console/pledges", "/console/pledges"),
	scopeList("/console/pledges.xlsx", "/console/pledges.xlsx"),
	scopeGet("/console/pledges", scopeID("/console/pledges?region=%d", func(w *conWorld) int64 { return w.village })),
	scopeGet("/console/pledges", scopeID("/console/pledges?cadre=%d", func(w *conWorld) int64 { return w.cadre })),
	scopeGet("/console/pledges/:id", scopeID("/console/pledges/%d", func(w *conWorld) int64 { return w.pledge })),

	scopeList("/console/notifications", "/console/notifications"),
	scopeList("/console/notifications.xlsx", "/console/notifications.xlsx"),
	scopePost("/console/notifications/:id/retry", scopeID("/console/notifications/%d/retry", func(w *conWorld) int64 { return w.notif }), nil),

	scopeList("/console/codes", "/console/codes"),
	scopePost("/console/codes", func(*conWorld) string { return "/console/codes" }, func(w *conWorld) url.Values {
		return url.Values{"manager_id": {"999999"}}
	}),
	scopePost("/console/codes/:id/revoke", scopeID("/console/codes/%d/revoke", func(w *conWorld) int64 { return w.code }), nil),

	scopeList("/console/audit", "/console/audit"),
	scopeList("/console/audit.xlsx", "/console/audit.xlsx"),

	scopeList("/console/import", "/console/import"),
	{method: http.MethodPost, route: "/console/import", want: http.StatusUnprocessableEntity, wantText: "不在您的管辖范围内",
		path: func(*conWorld) string { return "/console/import" }},
	scopePost("/console/import/:id/commit", func(w *conWorld) string { return "/console/import/" + w.importID + "/commit" }, nil),
	scopeList("/console/register/:kind", "/console/register/businesses"),
	scopeList("/console/register/:kind", "/console/register/cadres"),
	scopeList("/console/register/:kind", "/console/register/assignments?format=csv"),

	scopeList("/console/tokens", "/console/tokens"),
	{method: http.MethodPost, route: "/console/tokens", want: http.StatusOK, wantText: "只显示这一次",
		path: func(*conWorld) string { return "/console/tokens" },
		form: func(*conWorld) url.Values { return url.Values{"name": {"胡埭平台"}, "days": {"7"}} }},
	scopePost("/console/tokens/:id/revoke", func(w *conWorld) string { return "/console/tokens/" + w.tokenID + "/revoke" }, nil),

	apiScopeList("/api/v1/businesses", "/api/v1/businesses?limit=500"),
	apiScopeGet("/api/v1/businesses", scopeID("/api/v1/businesses?region=%d", func(w *conWorld) int64 { return w.village })),
	apiScopeGet("/api/v1/businesses/:id", scopeID("/api/v1/businesses/%d", func(w *conWorld) int64 { return w.business })),
	apiScopeList("/api/v1/cadres", "/api/v1/cadres?limit=500"),
	apiScopeGet("/api/v1/cadres/:id", scopeID("/api/v1/cadres/%d", func(w *conWorld) int64 { return w.cadre })),
	apiScopeList("/api/v1/visits", "/api/v1/visits?from=&limit=500"),
	apiScopeGet("/api/v1/visits", scopeID("/api/v1/visits?business=%d", func(w *conWorld) int64 { return w.business })),
	apiScopeGet("/api/v1/visits/:id", scopeID("/api/v1/visits/%d", func(w *conWorld) int64 { return w.visit })),
	apiScopeList("/api/v1/rectifications", "/api/v1/rectifications?limit=500"),
	apiScopeList("/api/v1/progress", "/api/v1/progress"),
	apiScopeList("/api/v1/overdue", "/api/v1/overdue?limit=500"),
	apiScopeList("/api/v1/notifications", "/api/v1/notifications?status=failed,dead,unreachable"),
	{method: http.MethodPost, route: "/api/v1/notifications/:id/retry", api: true,
		path: scopeID("/api/v1/notifications/%d/retry", func(w *conWorld) int64 { return w.notif })},
	apiScopeList("/api/v1/letters", "/api/v1/letters"),
	apiScopeList("/api/v1/pledges", "/api/v1/pledges?limit=500"),
	apiScopeGet("/api/v1/pledges", scopeID("/api/v1/pledges?cadre=%d", func(w *conWorld) int64 { return w.cadre })),

	scopeList("/console/incidents", "/console/incidents"),
	scopeGet("/console/incidents/:id", scopeID("/console/incidents/%d", func(w *conWorld) int64 { return w.incident })),
	scopeGet("/console/incidents/:id/photos/:photo", func(w *conWorld) string {
		return fmt.Sprintf("/console/incidents/%d/photos/%d", w.incident, w.incidentPhoto)
	}),
	scopePost("/console/incidents/:id/step", scopeID("/console/incidents/%d/step", func(w *conWorld) int64 { return w.incident }),
		func(*conWorld) url.Values { return url.Values{"action": {"next"}, "note": {"越权受理"}} }),
	apiScopeList("/api/v1/incidents", "/api/v1/incidents?limit=500"),
	apiScopeGet("/api/v1/incidents/:id", scopeID("/api/v1/incidents/%d", func(w *conWorld) int64 { return w.incident })),
}

func apiScopeList(route, path string) scopeCase {
	c := scopeList(route, path)
	c.api = true
	return c
}

func apiScopeGet(route string, path func(w *conWorld) string) scopeCase {
	c := scopeGet(route, path)
	c.api = true
	return c
}

// scopeExempt are the routes with nothing to scope: signing in and out.
var scopeExempt = map[string]bool{
	"GET /console/login": true, "POST /console/login": true, "GET /console": true,
	"POST /console/logout": true, "POST /console/logout-all": true,
}

// TestConsoleScope: 胡埭镇's manager asks for 蠡湖街道's data by every
// route — lists, ids in URLs, filters, exports, API calls and changes —
// and gets nothing of it: lists and exports without any of its names or
// codes, everything else 404 (403), and no change made.
func TestConsoleScope(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	lihu := a.SignIn(t, a.Lihu)
	w := conBuildWorld(t, a, lihu)
	hudai := a.SignIn(t, a.Hudai)

	t.Run("EveryRouteHasACase", func(t *testing.T) {
		covered := map[string]bool{}
		for _, c := range scopeCases {
			covered[c.method+" "+c.route] = true
		}
		for _, r := range a.Web.Router().Routes() {
			if (!strings.HasPrefix(r.Path, "/console") && !strings.HasPrefix(r.Path, "/api/")) || strings.HasPrefix(r.Method, "echo_") {
				continue
			}
			key := r.Method + " " + r.Path
			if !covered[key] && !scopeExempt[key] {
				t.Errorf("route %s has no scope test: add it to scopeCases", key)
			}
		}
	})

	before := conSnapshot(t, a)
	for _, c := range scopeCases {
		path := c.path(w)
		t.Run(c.method+" "+path, func(t *testing.T) {
			switch {
			case c.api:
				hudai.API(c.method, path)
			case c.method == http.MethodPost && c.route == "/console/import":
				// 胡埭镇's manager imports cadres into 蠡湖街道.
				hudai.Upload(path, "cadres", "cadres.csv", []byte("姓名,层级,镇(街道),村(社区),工作电话\n越权干部,村级,蠡湖街道,,13900002222\n"))
			case c.method == http.MethodPost:
				hudai.Post(path, c.form(w))
			default:
				hudai.Get(path)
			}
			if c.want != 0 {
				if hudai.Status != c.want || !strings.Contains(hudai.Text(), c.wantText) {
					t.Fatalf("status %d, want %d with %q: %.500s", hudai.Status, c.want, c.wantText, hudai.Text())
				}
				return
			}
			if c.list {
				if hudai.Status != http.StatusOK {
					t.Fatalf("status %d: %.300s", hudai.Status, hudai.Text())
				}
				if strings.HasPrefix(hudai.Body, "PK") && strings.HasPrefix(conXLSXText([]byte(hudai.Body)), "unreadable") {
					t.Fatalf("the export is not a workbook: %s", conXLSXText([]byte(hudai.Body)))
				}
				if leaks := w.leaks([]byte(hudai.Body)); len(leaks) > 0 {
					t.Fatalf("胡埭镇's manager sees 蠡湖街道's data: %q", leaks)
				}
				return
			}
			if hudai.Status != http.StatusNotFound && hudai.Status != http.StatusForbidden {
				t.Fatalf("status %d, want 404 or 403: %.300s", hudai.Status, hudai.Text())
			}
			if c.api || strings.HasPrefix(path, "/api/") {
				var body struct {
					Error struct{ Code string } `json:"error"`
				}
				if err := json.Unmarshal([]byte(hudai.Body), &body); err != nil || body.Error.Code == "" {
					t.Fatalf("API error is not ErrorBody JSON: %s", hudai.Body)
				}
			}
		})
	}
	if after := conSnapshot(t, a); after != before {
		t.Errorf("胡埭镇's requests changed data:\nbefore %s\nafter  %s", before, after)
	}

	// The lists are not empty for everyone: 蠡湖街道's manager sees its own.
	t.Run("ControlLihuSeesItsOwn", func(t *testing.T) {
		for _, path := range []string{"/console/businesses", "/console/cadres", "/console/businesses.xlsx", "/console/progress.xlsx",
			"/console/relocations", "/console/codes", "/console/selfcheck", "/console/notifications?status=dead", "/api/v1/businesses"} {
			if strings.HasPrefix(path, "/api/") {
				lihu.API(http.MethodGet, path)
			} else {
				lihu.Get(path)
			}
			if lihu.Status != http.StatusOK || len(w.leaks([]byte(lihu.Body))) == 0 {
				t.Errorf("%s as 蠡湖街道 = %d with none of its names", path, lihu.Status)
			}
		}
		lihu.Get(fmt.Sprintf("/console/photos/%d", w.photo))
		if lihu.Status != http.StatusOK || lihu.Header.Get("Content-Type") != "image/png" {
			t.Errorf("own photo = %d %s", lihu.Status, lihu.Header.Get("Content-Type"))
		}
	})

	t.Run("TokenCarriesScope", func(t *testing.T) {
		c := a.Client(t)
		req, _ := http.NewRequest(http.MethodGet, a.URL+fmt.Sprintf("/api/v1/businesses/%d", w.business), nil)
		req.Header.Set("Authorization", "Bearer "+w.token)
		if c.Do(req); c.Status != http.StatusOK {
			t.Fatalf("lihu's token on its business = %d", c.Status)
		}
		hb, _, _ := a.Query.Businesses(context.Background(), query.BusinessFilter{ScopePath: a.HudaiTown.Path, Limit: 1})
		req, _ = http.NewRequest(http.MethodGet, a.URL+fmt.Sprintf("/api/v1/businesses/%d", hb[0].ID), nil)
		req.Header.Set("Authorization", "Bearer "+w.token)
		if c.Do(req); c.Status != http.StatusNotFound {
			t.Fatalf("lihu's token on 胡埭镇's business = %d", c.Status)
		}
	})
}

// snapshot sums up what a refused request could have changed.
func conSnapshot(t *testing.T, a *webtest.App) string {
	t.Helper()
	var out []string
	for _, q := range []string{
		"SELECT COUNT(*) FROM assignments WHERE active_business_id IS NOT NULL",
		"SELECT COALESCE(SUM(cadre_id * business_id), 0) FROM assignments WHERE active_business_id IS NOT NULL",
		"SELECT COUNT(*) FROM binding_codes WHERE revoked_at IS NULL",
		"SELECT COUNT(*) FROM binding_codes",
		"SELECT COUNT(*) FROM letters",
		"SELECT COUNT(*) FROM relocation_requests WHERE status = 'pending'",
		"SELECT COUNT(*) FROM outbox WHERE status = 'dead'",
		"SELECT COUNT(*) FROM audit_log WHERE action NOT LIKE 'apitoken.%'",
		"SELECT COUNT(*) FROM cadres",
		"SELECT COALESCE(SUM(region_id), 0) FROM businesses",
		"SELECT COUNT(*) FROM incident_events",
	} {
		var n int64
		if err := a.DB.Gorm(context.Background()).Raw(q).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(n))
	}
	return strings.Join(out, " ")
}
