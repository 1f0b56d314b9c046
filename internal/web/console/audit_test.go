package console_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web/listing"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// TestConsoleAuditHasChatChanges: a visit a cadre reports in chat is in
// the audit log of the business's town — on the page and in the export —
// and not in another town's.
func TestConsoleAuditHasChatChanges(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	ctx := context.Background()
	bs, _, err := a.Query.Businesses(ctx, query.BusinessFilter{ScopePath: a.HudaiTown.Path, Status: string(registry.StatusOperating), Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var biz query.BusinessLine
	for _, b := range bs {
		if b.CadreID != 0 {
			biz = b
			break
		}
	}
	if biz.ID == 0 {
		t.Fatal("no packed business in 胡埭镇")
	}
	v, _, err := a.Supervision.Submit(ctx, webtest.QuickReport(a.App, biz.ID, biz.CadreID))
	if err != nil {
		t.Fatal(err)
	}
	cadre, err := a.Registry.Cadre(ctx, biz.CadreID)
	if err != nil {
		t.Fatal(err)
	}
	// The entry reads as a sentence with names, not "visit 12: onsite … cadre:3".
	line := fmt.Sprintf("%s 提交了 「%s」 的现场督导", cadre.Name, biz.Name)
	_ = v

	hudai := a.SignIn(t, a.Hudai)
	hudai.Get("/console/audit?action=visit.submit")
	if hudai.Status != 200 || !strings.Contains(hudai.Text(), line) {
		t.Fatalf("胡埭镇's audit log lacks the chat report %q: %.600s", line, hudai.Text())
	}
	if m := webtest.InternalCode.FindString(hudai.Text()); m != "" {
		t.Errorf("the audit log shows the code %q", m)
	}
	hudai.Get(fmt.Sprintf("/console/audit?business=%s&person=%s", url.QueryEscape(biz.Name), url.QueryEscape(cadre.Name)))
	if !strings.Contains(hudai.Text(), line) {
		t.Errorf("filtered by business and person, the log lacks %q: %.600s", line, hudai.Text())
	}
	hudai.Get(fmt.Sprintf("/console/audit?business=%s&person=%s", url.QueryEscape(biz.Name), url.QueryEscape("无此人")))
	if strings.Contains(hudai.Text(), line) {
		t.Errorf("filtered by a person nobody is, the log still shows %q", line)
	}
	hudai.Get("/console/audit.xlsx?action=visit.submit")
	if sheet := conXLSXText([]byte(hudai.Body)); !strings.Contains(sheet, line) {
		t.Errorf("the export lacks it: %.400s", sheet)
	}
	lihu := a.SignIn(t, a.Lihu)
	for _, path := range []string{"/console/audit?action=visit.submit", "/console/audit.xlsx?action=visit.submit"} {
		lihu.Get(path)
		if body := lihu.Body + conXLSXText([]byte(lihu.Body)); lihu.Status != 200 || strings.Contains(body, line) {
			t.Errorf("%s as 蠡湖街道 = %d, shows 胡埭镇's report: %v", path, lihu.Status, strings.Contains(body, line))
		}
	}
}

// TestConsoleSlowCountKept: a slow list count is reused for a minute by
// the next pages of the same list and scope (the rows are always fresh),
// and never by another town's manager.
// Not parallel: it changes the process-wide threshold, and runs before the
// parallel tests start.
func TestConsoleSlowCountKept(t *testing.T) {
	defer listing.SetSlowCount(0)()
	a := webtest.Boot(t)
	ctx := context.Background()
	hudai := a.SignIn(t, a.Hudai)
	count := func(c *webtest.Client, path string) string {
		t.Helper()
		c.Get(path)
		m := regexp.MustCompile(`共 (\d+) 条`).FindStringSubmatch(c.Text())
		if c.Status != 200 || m == nil {
			t.Fatalf("%s = %d: %.300s", path, c.Status, c.Text())
		}
		return m[1]
	}
	before := count(hudai, "/console/businesses?covered=no")
	bs, _, err := a.Query.Businesses(ctx, query.BusinessFilter{ScopePath: a.HudaiTown.Path, Covered: query.CoveredNo, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var biz query.BusinessLine
	for _, b := range bs {
		if b.CadreID != 0 {
			biz = b
			break
		}
	}
	if _, _, err := a.Supervision.Submit(ctx, webtest.QuickReport(a.App, biz.ID, biz.CadreID)); err != nil {
		t.Fatal(err)
	}
	truth := func(q query.BusinessFilter) string {
		t.Helper()
		q.Limit = 1
		_, n, err := a.Query.Businesses(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(n)
	}
	now := truth(query.BusinessFilter{ScopePath: a.HudaiTown.Path, Covered: query.CoveredNo})
	if now == before {
		t.Fatalf("the report did not change the count (%s)", now)
	}
	if kept := count(hudai, "/console/businesses?covered=no&page=2"); kept != before {
		t.Errorf("the next page counts %s, want the kept %s (now %s)", kept, before, now)
	}
	if fresh, want := count(hudai, "/console/businesses?covered=no&grade=D"),
		truth(query.BusinessFilter{ScopePath: a.HudaiTown.Path, Covered: query.CoveredNo, Grade: string(registry.GradeD)}); fresh != want {
		t.Errorf("another filter counts %s, want its own %s", fresh, want)
	}
	lihu := a.SignIn(t, a.Lihu)
	if other, want := count(lihu, "/console/businesses?covered=no"),
		truth(query.BusinessFilter{ScopePath: a.LihuTown.Path, Covered: query.CoveredNo}); other != want {
		t.Errorf("蠡湖街道's manager counts %s, want its own %s", other, want)
	}
}

// TestConsoleAuditHasBindings: a 胡埭镇 cadre binding WeChat is in 胡埭镇's
// audit log, not in 蠡湖街道's.
func TestConsoleAuditHasBindings(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	ctx := context.Background()
	bs, _, err := a.Query.Businesses(ctx, query.BusinessFilter{ScopePath: a.HudaiTown.Path, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var cadreID int64
	for _, b := range bs {
		if b.CadreID != 0 {
			cadreID = b.CadreID
			break
		}
	}
	code, _, err := a.Accounts.IssueCode(ctx, account.RoleCadre, cadreID, "test")
	if err != nil {
		t.Fatal(err)
	}
	id, err := a.Accounts.Bind(ctx, chat.ChannelOA, "oAuditBind"+webtest.RandHex(4), code)
	if err != nil {
		t.Fatal(err)
	}
	cadre, err := a.Registry.Cadre(ctx, cadreID)
	if err != nil {
		t.Fatal(err)
	}
	_ = id
	line := fmt.Sprintf("微信用户 绑定微信（%s（包保干部））", cadre.Name)
	hudai := a.SignIn(t, a.Hudai)
	hudai.Get("/console/audit?action=bind")
	if !strings.Contains(hudai.Text(), line) {
		t.Errorf("胡埭镇's audit log lacks the binding %q: %.500s", line, hudai.Text())
	}
	lihu := a.SignIn(t, a.Lihu)
	lihu.Get("/console/audit?action=bind")
	if strings.Contains(lihu.Text(), line) {
		t.Errorf("蠡湖街道's audit log shows 胡埭镇's binding")
	}
}
