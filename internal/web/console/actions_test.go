package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// writeRoutes are the console's state-changing forms, with a valid-looking
// body: what a viewer and a request without CSRF token must not get through.
func writeRoutes(a *webtest.App, bizID, cadreID, otherCadre int64) []struct {
	path string
	form url.Values
} {
	return []struct {
		path string
		form url.Values
	}{
		{fmt.Sprintf("/console/businesses/%d/assign", bizID), url.Values{"cadre_id": {fmt.Sprint(otherCadre)}, "reason": {"测试"}}},
		{fmt.Sprintf("/console/businesses/%d/letters", bizID), url.Values{"description": {"测试问题"}}},
		{fmt.Sprintf("/console/businesses/%d/codes", bizID), url.Values{"role": {"principal"}}},
		{fmt.Sprintf("/console/cadres/%d/handover", cadreID), url.Values{"to_cadre_id": {fmt.Sprint(otherCadre)}, "reason": {"测试"}}},
		{fmt.Sprintf("/console/cadres/%d/codes", cadreID), nil},
		{"/console/relocations/1/decide", url.Values{"decision": {"reject"}}},
		{"/console/notifications/1/retry", nil},
		{"/console/codes", url.Values{"manager_id": {"1"}}},
		{"/console/codes/1/revoke", nil},
		{"/console/import", url.Values{"kind": {"cadres"}}},
		{"/console/import/AAAAAAAAAAAAAAAAAAAAAA/commit", nil},
		{"/console/tokens", url.Values{"name": {"x"}, "days": {"7"}}},
		{"/console/tokens/abc/revoke", nil},
	}
}

// twoCadres returns a cadre of 胡埭镇 with businesses, another of the same
// level and village to take them over, and one of the first's businesses.
func twoCadres(t *testing.T, a *webtest.App) (from, to registry.Cadre, biz registry.Business) {
	t.Helper()
	ctx := context.Background()
	cs, _, err := a.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: a.HudaiTown.Path, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Level != registry.CadreVillage {
			continue
		}
		for _, d := range cs {
			if d.ID != c.ID && d.Level == c.Level && d.RegionID == c.RegionID {
				bs, err := a.Registry.AssignedBusinesses(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(bs) > 1 {
					return c, d, bs[0]
				}
			}
		}
	}
	t.Fatal("no two village cadres in one village of 胡埭镇")
	return
}

func auditCount(t *testing.T, a *webtest.App, action, actor string) int64 {
	t.Helper()
	_, n, err := query.New(a.DB).AuditEntries(context.Background(), query.AuditFilter{Action: action, Actor: actor, Limit: 1}, query.AuditScope{All: true})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConsoleGuards(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	from, to, biz := twoCadres(t, a)
	routes := writeRoutes(a, biz.ID, from.ID, to.ID)
	before := conSnapshot(t, a)

	t.Run("CSRF", func(t *testing.T) {
		hudai := a.SignIn(t, a.Hudai)
		for _, r := range routes {
			form := url.Values{"_csrf": {""}}
			for k, v := range r.form {
				form[k] = v
			}
			if hudai.Post(r.path, form); hudai.Status != http.StatusForbidden || !strings.Contains(hudai.Body, "CSRF") {
				t.Errorf("POST %s without CSRF token = %d", r.path, hudai.Status)
			}
			form.Set("_csrf", "forged-token")
			if hudai.Post(r.path, form); hudai.Status != http.StatusForbidden {
				t.Errorf("POST %s with a forged token = %d", r.path, hudai.Status)
			}
		}
		if hudai.API(http.MethodPost, "/api/v1/notifications/1/retry"); hudai.Status != http.StatusNotFound {
			t.Errorf("API retry with the session's header = %d, want 404 (no such notification)", hudai.Status)
		}
		hudai.Token = ""
		if hudai.API(http.MethodPost, "/api/v1/notifications/1/retry"); hudai.Status != http.StatusForbidden || !strings.Contains(hudai.Body, `"forbidden"`) {
			t.Errorf("API POST with the cookie and no X-CSRF-Token = %d %s", hudai.Status, hudai.Body)
		}
	})

	t.Run("ViewerReadsOnly", func(t *testing.T) {
		viewer := a.SignIn(t, a.Viewer)
		for _, p := range []string{"/console/businesses", fmt.Sprintf("/console/businesses/%d", biz.ID), fmt.Sprintf("/console/cadres/%d", from.ID), "/console/progress.xlsx"} {
			if viewer.Get(p); viewer.Status != http.StatusOK {
				t.Errorf("viewer GET %s = %d", p, viewer.Status)
			}
		}
		viewer.Get(fmt.Sprintf("/console/cadres/%d", from.ID))
		if strings.Contains(viewer.Body, "/handover") {
			t.Error("the viewer is offered the handover form")
		}
		for _, r := range routes {
			if viewer.Post(r.path, r.form); viewer.Status != http.StatusForbidden || !strings.Contains(viewer.Text(), "只读") {
				t.Errorf("viewer POST %s = %d", r.path, viewer.Status)
			}
		}
		viewer.Get("/console/")
		if viewer.API(http.MethodPost, "/api/v1/notifications/1/retry"); viewer.Status != http.StatusForbidden {
			t.Errorf("viewer API retry = %d", viewer.Status)
		}
	})

	if after := conSnapshot(t, a); after != before {
		t.Errorf("refused requests changed data:\nbefore %s\nafter  %s", before, after)
	}

	t.Run("SignedOut", func(t *testing.T) {
		c := a.Client(t)
		if c.Get("/console/businesses"); c.Status != http.StatusFound || !strings.HasPrefix(c.Header.Get("Location"), "/console/login") {
			t.Errorf("anonymous page = %d %s", c.Status, c.Header.Get("Location"))
		}
		if c.API(http.MethodGet, "/api/v1/businesses"); c.Status != http.StatusUnauthorized || !strings.Contains(c.Body, `"unauthorized"`) {
			t.Errorf("anonymous API = %d %s", c.Status, c.Body)
		}
	})
}

func TestConsoleHandover(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	ctx := context.Background()
	from, to, _ := twoCadres(t, a)
	moving, err := a.Registry.AssignedBusinesses(ctx, from.ID)
	if err != nil {
		t.Fatal(err)
	}
	had, err := a.Registry.AssignedBusinesses(ctx, to.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range moving {
		// The businesses' cards exist (their contacts read them).
		if _, err := a.Cards.Card(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
	}
	hudai := a.SignIn(t, a.Hudai)
	hudai.Get(fmt.Sprintf("/console/cadres/%d", from.ID))

	t.Run("ReasonRequired", func(t *testing.T) {
		hudai.Post(fmt.Sprintf("/console/cadres/%d/handover", from.ID), url.Values{"to_cadre_id": {fmt.Sprint(to.ID)}})
		if hudai.Status != http.StatusBadRequest || !strings.Contains(hudai.Text(), "请填写交接原因") {
			t.Fatalf("handover without reason = %d: %.300s", hudai.Status, hudai.Text())
		}
	})

	hudai.Post(fmt.Sprintf("/console/cadres/%d/handover", from.ID), url.Values{"to_cadre_id": {fmt.Sprint(to.ID)}, "reason": {"调岗"}})
	if hudai.Status != http.StatusSeeOther {
		t.Fatalf("handover = %d: %.500s", hudai.Status, hudai.Text())
	}
	hudai.Get(hudai.Header.Get("Location"))
	if !strings.Contains(hudai.Text(), fmt.Sprintf("%d 家主体已移交", len(moving))) {
		t.Errorf("no confirmation on %s: %.400s", hudai.Header.Get("Location"), hudai.Text())
	}
	left, _ := a.Registry.AssignedBusinesses(ctx, from.ID)
	now, _ := a.Registry.AssignedBusinesses(ctx, to.ID)
	if len(left) != 0 || len(now) != len(had)+len(moving) {
		t.Fatalf("after handover: %d left with %s, %s has %d (had %d + %d)", len(left), from.Name, to.Name, len(now), len(had), len(moving))
	}
	es, _, err := query.New(a.DB).AuditEntries(ctx, query.AuditFilter{Action: "cadre.handover", SubjectType: "cadre", SubjectID: from.ID}, query.AuditScope{All: true})
	if err != nil || len(es) != 1 || es[0].Actor != "user:"+a.Hudai {
		t.Fatalf("audit of the handover: %+v %v", es, err)
	}
	for _, b := range moving {
		as, _ := a.Registry.AssignmentHistory(ctx, b.ID)
		if last := as[len(as)-1]; last.CadreID != to.ID || last.Reason != "调岗" || last.Actor != registry.Actor("user:"+a.Hudai) {
			t.Fatalf("assignment of %s: %+v", b.Name, last)
		}
	}
	for _, b := range moving {
		c, err := a.Cards.Card(ctx, b.ID)
		if err != nil || c.Cadre == nil || c.Cadre.Name != to.Name || c.Version < 2 {
			t.Errorf("card of %s after handover: %+v %v", b.Name, c, err)
		}
	}
}

func TestConsoleChanges(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	ctx := context.Background()
	from, to, biz := twoCadres(t, a)
	hudai := a.SignIn(t, a.Hudai)
	actor := "user:" + a.Hudai

	t.Run("Reassign", func(t *testing.T) {
		hudai.Get(fmt.Sprintf("/console/businesses/%d", biz.ID))
		hudai.Post(fmt.Sprintf("/console/businesses/%d/assign", biz.ID), url.Values{"cadre_id": {fmt.Sprint(to.ID)}, "reason": {"就近"}})
		if hudai.Status != http.StatusSeeOther {
			t.Fatalf("reassign = %d: %.300s", hudai.Status, hudai.Text())
		}
		if cur, err := a.Registry.CurrentAssignment(ctx, biz.ID); err != nil || cur.CadreID != to.ID {
			t.Fatalf("current cadre: %+v %v", cur, err)
		}
		if auditCount(t, a, "assignment.change", actor) != 1 {
			t.Error("reassignment not audited")
		}
		_ = from
	})

	t.Run("Relocation", func(t *testing.T) {
		in := webtest.QuickReport(a.App, biz.ID, to.ID)
		in.StatusSeen, in.StatusNote = registry.EventRelocated, "搬到马鞍村"
		if _, _, err := a.Supervision.Submit(ctx, in); err != nil {
			t.Fatal(err)
		}
		all, err := a.Query.Relocations(ctx, a.HudaiTown.Path, supervision.RelocationPending)
		if err != nil {
			t.Fatal(err)
		}
		// The demo district has a request of its own waiting; this one is ours.
		rs := slices.DeleteFunc(all, func(r query.RelocationLine) bool { return r.BusinessID != biz.ID })
		if len(rs) != 1 {
			t.Fatalf("relocations of %s: %+v", biz.Name, all)
		}
		var village registry.Region
		regions, _ := a.Registry.Regions(ctx)
		for _, r := range regions {
			if r.Name == "马鞍村" {
				village = r
			}
		}
		hudai.Get("/console/relocations")
		if !strings.Contains(hudai.Text(), "搬到马鞍村") {
			t.Fatalf("relocation not listed: %.300s", hudai.Text())
		}
		hudai.Post(fmt.Sprintf("/console/relocations/%d/decide", rs[0].ID), url.Values{"decision": {"approve"}, "address": {"新址路1号"}, "region_id": {fmt.Sprint(village.ID)}})
		if hudai.Status != http.StatusSeeOther {
			t.Fatalf("approve = %d: %.300s", hudai.Status, hudai.Text())
		}
		b, _ := a.Registry.Business(ctx, biz.ID)
		if b.RegionID != village.ID {
			t.Errorf("business still in region %d", b.RegionID)
		}
		if auditCount(t, a, "relocation.approved", actor) != 1 {
			t.Error("decision not audited")
		}
		if hudai.Post(fmt.Sprintf("/console/relocations/%d/decide", rs[0].ID), url.Values{"decision": {"reject"}}); hudai.Status != http.StatusConflict {
			t.Errorf("deciding twice = %d", hudai.Status)
		}
	})

	t.Run("RetryNotification", func(t *testing.T) {
		if _, err := a.Notify.Enqueue(ctx, notify.Message{Kind: "test.retry", To: notify.Recipient{Kind: notify.ToCadre, ID: to.ID},
			Channel: notify.ChannelTemplate, Subject: "retry", Title: "重发测试"}); err != nil {
			t.Fatal(err)
		}
		ns, _, _ := query.New(a.DB).Notifications(ctx, query.NotificationFilter{Kind: "test.retry"}, a.HudaiTown.Path)
		a.DB.Gorm(ctx).Exec("UPDATE outbox SET status = 'unreachable', last_error = '未绑定' WHERE id = ?", ns[0].ID)
		hudai.Get("/console/notifications?status=unreachable")
		if !strings.Contains(hudai.Text(), "重发测试") || !strings.Contains(hudai.Text(), "未绑定") {
			t.Fatalf("unreachable notification not listed: %.300s", hudai.Text())
		}
		hudai.Post(fmt.Sprintf("/console/notifications/%d/retry", ns[0].ID), url.Values{"status": {"unreachable"}})
		if hudai.Status != http.StatusSeeOther {
			t.Fatalf("retry = %d", hudai.Status)
		}
		ns, _, _ = query.New(a.DB).Notifications(ctx, query.NotificationFilter{Kind: "test.retry"}, a.HudaiTown.Path)
		if ns[0].Status != string(notify.StatusPending) || auditCount(t, a, "notification.retry", actor) != 1 {
			t.Errorf("after retry: %s, audited %d", ns[0].Status, auditCount(t, a, "notification.retry", actor))
		}
	})

	t.Run("BindingCodes", func(t *testing.T) {
		hudai.Get(fmt.Sprintf("/console/cadres/%d", to.ID))
		hudai.Post(fmt.Sprintf("/console/cadres/%d/codes", to.ID), nil)
		m := regexp.MustCompile(`data-code>([A-Z0-9]{8})<`).FindStringSubmatch(hudai.Body)
		if hudai.Status != http.StatusOK || m == nil {
			t.Fatalf("code = %d: %.300s", hudai.Status, hudai.Text())
		}
		if strings.Contains(hudai.Header.Get("Cache-Control"), "public") {
			t.Error("the code page may be cached")
		}
		hudai.Get("/console/codes")
		if strings.Contains(hudai.Body, m[1]) {
			t.Error("the code is shown again on the list")
		}
		id := regexp.MustCompile(`/console/codes/(\d+)/revoke`).FindStringSubmatch(hudai.Body)
		if id == nil {
			t.Fatalf("no revocable code listed: %.300s", hudai.Text())
		}
		if hudai.Post("/console/codes/"+id[1]+"/revoke", nil); hudai.Status != http.StatusSeeOther {
			t.Fatalf("revoke = %d", hudai.Status)
		}
		if auditCount(t, a, "code.issue", actor) != 1 || auditCount(t, a, "code.revoke", actor) != 1 {
			t.Error("codes not audited")
		}
	})

	t.Run("Letter", func(t *testing.T) {
		hudai.Get(fmt.Sprintf("/console/businesses/%d", biz.ID))
		deadline := time.Now().In(clock.China).AddDate(0, 0, 10).Format("2006-01-02")
		hudai.Post(fmt.Sprintf("/console/businesses/%d/letters", biz.ID), url.Values{"description": {"留样不足"}, "requirement": {"按规定留样"}, "deadline": {deadline}})
		if hudai.Status != http.StatusSeeOther {
			t.Fatalf("issue = %d: %.300s", hudai.Status, hudai.Text())
		}
		ls, err := a.Letters.ForBusiness(ctx, biz.ID)
		if err != nil || len(ls) != 1 || auditCount(t, a, "letter.issue", actor) != 1 {
			t.Fatalf("letters %d %v, audited %d", len(ls), err, auditCount(t, a, "letter.issue", actor))
		}
		hudai.Get(fmt.Sprintf("/console/letters/%d/print", ls[0].ID))
		if hudai.Status != http.StatusOK || !strings.Contains(hudai.Text(), ls[0].Number) || !strings.Contains(hudai.Text(), "留样不足") {
			t.Errorf("print = %d: %.300s", hudai.Status, hudai.Text())
		}
	})

	t.Run("AuditLogScoped", func(t *testing.T) {
		lihu := a.SignIn(t, a.Lihu)
		// Entries read as sentences naming the person (the console
		// user's name is their sign-in name here).
		lihu.Get("/console/audit")
		if strings.Contains(lihu.Text(), a.Hudai) {
			t.Error("蠡湖街道's manager sees 胡埭镇's audit entries")
		}
		hudai.Get("/console/audit")
		if !strings.Contains(hudai.Text(), a.Hudai) {
			t.Errorf("胡埭镇's manager does not see their own entries: %.300s", hudai.Text())
		}
		admin := a.SignIn(t, a.Admin)
		admin.Get("/console/audit")
		if !strings.Contains(admin.Text(), a.Hudai) {
			t.Error("the administrator does not see every entry")
		}
	})
}

// TestConsoleImport: a file with bad rows is previewed with every bad row
// (row, column, value, reason) and changes nothing; a good one commits.
func TestConsoleImport(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	ctx := context.Background()
	hudai := a.SignIn(t, a.Hudai)
	hudai.Get("/console/import")
	before := conSnapshot(t, a)
	bad := "姓名,职务,层级,镇(街道),村(社区),工作电话\n" +
		"王新干部,网格员,村级,胡埭镇,马鞍村,13900003333\n" +
		"李坏层级,网格员,省级,胡埭镇,马鞍村,13900004444\n" +
		"赵外镇,网格员,村级,蠡湖街道,,13900005555\n" +
		",网格员,村级,胡埭镇,马鞍村,139\n"
	hudai.Upload("/console/import", "cadres", "干部.csv", []byte(bad))
	if hudai.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad import = %d: %.500s", hudai.Status, hudai.Text())
	}
	rows := regexp.MustCompile(`(?s)<tr data-row="(\d+)"><td class="num">\d+</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>`).FindAllStringSubmatch(hudai.Body, -1)
	got := map[string]bool{}
	for _, r := range rows {
		got[r[1]+"|"+r[2]] = true
	}
	for _, want := range []string{"3|层级", "4|镇(街道)", "5|姓名", "5|工作电话"} {
		if !got[want] {
			t.Errorf("row error %s not shown; shown: %v", want, got)
		}
	}
	if strings.Contains(hudai.Body, "/commit") {
		t.Error("a rejected file offers to commit")
	}
	if after := conSnapshot(t, a); after != before {
		t.Errorf("a rejected import changed data:\nbefore %s\nafter  %s", before, after)
	}

	good := "姓名,职务,层级,镇(街道),村(社区),工作电话\n王新干部,网格员,村级,胡埭镇,马鞍村,13900003333\n"
	hudai.Upload("/console/import", "cadres", "干部.csv", []byte(good))
	m := regexp.MustCompile(`/console/import/([A-Za-z0-9_-]{22})/commit`).FindStringSubmatch(hudai.Body)
	if hudai.Status != http.StatusOK || m == nil || !strings.Contains(hudai.Text(), "新增 1") {
		t.Fatalf("good preview = %d: %.500s", hudai.Status, hudai.Text())
	}
	if _, n, _ := a.Registry.FindCadres(ctx, registry.CadreFilter{Query: "13900003333"}); n != 0 {
		t.Fatal("the preview wrote the cadre")
	}
	other := a.SignIn(t, a.Admin)
	if other.Post("/console/import/"+m[1]+"/commit", nil); other.Status != http.StatusNotFound {
		t.Errorf("someone else's import commit = %d", other.Status)
	}
	if hudai.Post("/console/import/"+m[1]+"/commit", nil); hudai.Status != http.StatusOK || !strings.Contains(hudai.Text(), "导入完成") {
		t.Fatalf("commit = %d: %.300s", hudai.Status, hudai.Text())
	}
	if _, n, _ := a.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: a.HudaiTown.Path, Query: "13900003333"}); n != 1 {
		t.Fatal("the commit did not write the cadre")
	}
	if auditCount(t, a, "register.import", "user:"+a.Hudai) != 1 {
		t.Error("import not audited")
	}
	if hudai.Post("/console/import/"+m[1]+"/commit", nil); hudai.Status != http.StatusNotFound {
		t.Errorf("committing twice = %d", hudai.Status)
	}
}

// TestConsoleAPI: token auth, paging, error bodies and the notifications
// filter the push issue relies on.
func TestConsoleAPI(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	ctx := context.Background()
	hudai := a.SignIn(t, a.Hudai)
	hudai.Get("/console/tokens")
	hudai.Post("/console/tokens", url.Values{"name": {"区平台"}, "days": {"30"}})
	token := regexp.MustCompile(`data-token>(sab_[A-Za-z0-9_-]+)<`).FindStringSubmatch(hudai.Body)
	if token == nil {
		t.Fatalf("no token shown: %.300s", hudai.Text())
	}
	call := func(method, path, tok string) (int, map[string]any) {
		c := a.Client(t)
		req, _ := http.NewRequest(method, a.URL+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		c.Do(req)
		var body map[string]any
		json.Unmarshal([]byte(c.Body), &body)
		return c.Status, body
	}
	status, body := call(http.MethodGet, "/api/v1/businesses?limit=10&offset=5&grade=D", token[1])
	items, _ := body["items"].([]any)
	if status != http.StatusOK || len(items) != 10 || body["limit"] != float64(10) || body["offset"] != float64(5) {
		t.Fatalf("businesses = %d %v", status, body)
	}
	_, n, _ := a.Query.Businesses(ctx, query.BusinessFilter{ScopePath: a.HudaiTown.Path, Grade: string(registry.GradeD), Limit: 1})
	if body["total"] != float64(n) {
		t.Errorf("total %v, want %d", body["total"], n)
	}
	if status, body := call(http.MethodGet, "/api/v1/businesses?grade=Z", token[1]); status != http.StatusBadRequest || body["error"] == nil {
		t.Errorf("bad filter = %d %v", status, body)
	}
	if status, _ := call(http.MethodGet, "/api/v1/progress", token[1]); status != http.StatusOK {
		t.Errorf("progress = %d", status)
	}
	if _, err := a.Notify.Enqueue(ctx, notify.Message{Kind: "test.api", To: notify.Recipient{Kind: notify.ToCadre, ID: 12},
		Channel: notify.ChannelTemplate, Subject: "api", Title: "API测试"}); err != nil {
		t.Fatal(err)
	}
	a.DB.Gorm(ctx).Exec("UPDATE outbox SET status = 'failed' WHERE kind = 'test.api'")
	if status, body := call(http.MethodGet, "/api/v1/notifications?status=failed,lost", token[1]); status != http.StatusBadRequest || body["error"] == nil {
		t.Errorf("status=failed,lost = %d %v", status, body)
	}
	for _, q := range []string{"failed,dead,unreachable", "failed|dead|unreachable", "failed%7Cdead"} {
		status, body = call(http.MethodGet, "/api/v1/notifications?status="+q, token[1])
		items, _ = body["items"].([]any)
		found := false
		for _, it := range items {
			if m, _ := it.(map[string]any); m["kind"] == "test.api" && m["status"] == "failed" && m["recipient_name"] != "" {
				found = true
			}
		}
		if status != http.StatusOK || !found {
			t.Errorf("notifications?status=%s = %d %v", q, status, body)
		}
	}
	if status, body := call(http.MethodGet, "/api/v1/notifications?status=sent", token[1]); status != http.StatusOK || strings.Contains(fmt.Sprint(body), "test.api") {
		t.Errorf("status=sent lists the failed one: %d %v", status, body)
	}

	hudai.Get("/console/tokens")
	rid := regexp.MustCompile(`/console/tokens/([A-Za-z0-9_-]+)/revoke`).FindStringSubmatch(hudai.Body)
	if hudai.Post("/console/tokens/"+rid[1]+"/revoke", nil); hudai.Status != http.StatusSeeOther {
		t.Fatalf("revoke = %d", hudai.Status)
	}
	if status, body := call(http.MethodGet, "/api/v1/businesses", token[1]); status != http.StatusUnauthorized || body["error"] == nil {
		t.Errorf("revoked token = %d %v", status, body)
	}
	if status, _ := call(http.MethodGet, "/api/v1/businesses", "sab_"+strconv.Itoa(42)); status != http.StatusUnauthorized {
		t.Errorf("made-up token = %d", status)
	}
}
