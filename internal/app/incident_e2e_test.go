package app_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/wechat"
)

// TestIncidentAtNight: a cadre reports a suspected poisoning through the
// callback at 23:00, inside the quiet hours; the town office's manager
// gets the template message and its WeCom group the post at once (the
// dispatcher claims urgent messages at night), the office accepts and
// closes it, and the cadre hears of both, that night too. Not parallel:
// it calls the fake WeChat API.
func TestIncidentAtNight(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.SQLiteConfig(t)
	cfg.WeChat.ReplayWindow = 0
	cfg.WeCom.Robots = map[string]string{"胡埭": "robot-hudai", "蠡湖": "robot-lihu", "滨湖": "robot-binhu"}
	clk := clock.NewOffset()
	tomorrow := time.Now().In(clock.China).AddDate(0, 0, 1)
	clk.Set(time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 23, 0, 0, 0, clock.China))
	a := run(t, cfg, app.Options{Clock: clk, LogOutput: io.Discard})
	if a.FakeAPI == nil {
		t.Fatal("the embedded default runs without its fake WeChat API")
	}
	cadre := cadresWithTasks(t, a, 1)[0]
	tasks, err := a.Supervision.Tasks(ctx, cadre.ID)
	if err != nil {
		t.Fatal(err)
	}
	biz, err := a.Registry.Business(ctx, tasks[0].BusinessID)
	if err != nil {
		t.Fatal(err)
	}
	// The office of the business's town is told, whoever reports.
	office, err := a.Registry.OfficeFor(ctx, biz.RegionID)
	if err != nil {
		t.Fatal(err)
	}
	managers, err := a.Registry.Managers(ctx, office.ID)
	if err != nil || len(managers) == 0 {
		t.Fatalf("managers of %s: %v", office.Name, err)
	}
	ph := newPhone(t, a, wechat.ModeSafe)
	bind := func(openid string, role account.Role, id int64) {
		t.Helper()
		code, _, err := a.Accounts.IssueCode(ctx, role, id, "test")
		if err != nil {
			t.Fatal(err)
		}
		if got := ph.text(openid, "绑定 "+code); !strings.Contains(got, "绑定成功") {
			t.Fatalf("bind %s: %q", openid, got)
		}
	}
	const cadreID, managerID = "o-incident-cadre", "o-incident-manager"
	bind(cadreID, account.RoleCadre, cadre.ID)
	bind(managerID, account.RoleManager, managers[0].ID)

	putPhoto(t, a, "incident-photo", 120)
	for _, s := range []string{"应急", "1", biz.Name, "晚饭后6人呕吐腹泻，已送医", "6", "[photo]", "完成", "跳过"} {
		var got string
		if s == "[photo]" {
			got = ph.photo(cadreID, "incident-photo")
		} else {
			got = ph.text(cadreID, s)
		}
		if got == "" || strings.Contains(got, "系统开小差") {
			t.Fatalf("%q answered %q", s, got)
		}
	}
	if got := ph.text(cadreID, "确认"); !strings.Contains(got, "已上报") || !strings.Contains(got, office.Name) {
		t.Fatalf("confirm: %q", got)
	}
	var inc incident.Incident
	if err := a.DB.Gorm(ctx).Order("id DESC").Take(&inc).Error; err != nil || inc.ReporterID != cadre.ID {
		t.Fatalf("stored incident %+v, %v", inc, err)
	}

	dispatch := func() {
		t.Helper()
		for range 20 {
			sent, retried, gaveUp, err := a.Notify.DispatchOnce(ctx, 200)
			if err != nil {
				t.Fatal(err)
			}
			if sent+retried+gaveUp == 0 {
				return
			}
		}
	}
	dispatch()
	told := false
	for _, c := range a.FakeAPI.CallsTo("/message/template/send") {
		told = told || (c.ToUser == managerID && c.Delivered() && strings.Contains(c.Content, "应急事件"))
	}
	if !told {
		t.Fatalf("the manager got no template message at 23:00: %+v", a.FakeAPI.CallsTo("/message/template/send"))
	}
	posted := false
	for _, c := range a.FakeAPI.CallsTo("/cgi-bin/webhook/send") {
		posted = posted || (c.Delivered() && strings.Contains(c.Content, "请"+office.Name))
	}
	if !posted {
		t.Fatal("the office's group got no post naming who must act")
	}

	// The message opens the incident's page on the manager's phone; not
	// on a stranger's.
	ns, _, err := a.Notify.List(ctx, notify.Filter{Kind: incident.KindReported, Recipient: &notify.Recipient{Kind: notify.ToManager, ID: managers[0].ID}})
	if err != nil || len(ns) != 1 || !strings.Contains(ns[0].URL, "/h5/incidents/") {
		t.Fatalf("manager's message: %+v, %v", ns, err)
	}
	jar, _ := cookiejar.New(nil)
	a.FakeAPI.SetPersona(managerID)
	managerPhone := &http.Client{Jar: jar}
	if page := getPage(t, managerPhone, rebase(a, ns[0].URL)); !strings.Contains(page, biz.Name) || !strings.Contains(page, "受理") {
		t.Fatalf("incident page:\n%s", page)
	}
	// The photo sent with the report shows on the page, once fetched.
	var img []string
	pollUntil(t, func() bool {
		img = regexp.MustCompile(`<img src="([^"]+/photos/[0-9]+\?[^"]+)"`).FindStringSubmatch(getPage(t, managerPhone, rebase(a, ns[0].URL)))
		return img != nil
	})
	resp, err := managerPhone.Get(a.URL() + html.UnescapeString(img[1]))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("the incident's photo = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	strangerJar, _ := cookiejar.New(nil)
	a.FakeAPI.SetPersona("o-incident-nobody")
	if resp, err := (&http.Client{Jar: strangerJar}).Get(rebase(a, ns[0].URL)); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a stranger opened the manager's link: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	manager := registry.ActorOf("manager", managers[0].ID)
	for _, st := range []incident.Step{{To: incident.Accepted, Note: "已受理，卫生院已接诊"}, {To: incident.Handling}, {To: incident.Closed, Note: "样品送检，停业整改"}} {
		st.Actor, st.ActorName = manager, managers[0].Name
		clk.Advance(5 * time.Minute)
		if _, err := a.Incidents.Advance(ctx, inc.ID, st); err != nil {
			t.Fatalf("%s: %v", st.To, err)
		}
	}
	dispatch()
	var heard []string
	for _, c := range a.FakeAPI.Calls() {
		if c.ToUser == cadreID && c.Delivered() && (strings.Contains(c.Content, "上报的疑似食物中毒") || strings.Contains(c.Content, "您上报的事件")) {
			heard = append(heard, c.Content)
		}
	}
	if len(heard) < 3 {
		t.Fatalf("the cadre heard %d of 3 steps that night: %q", len(heard), heard)
	}
}
