package app_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/wechat"
)

// TestStory is the whole product end to end, talking to the app only as
// the platform and a phone's browser would: a cadre binds, asks 我的任务,
// reports a visit with one failed item, a photo and a location; a prompt
// letter goes out; the business's contact opens it from WeChat and
// acknowledges it with feedback and a photo; the cadre accepts the fix in
// 整改跟踪; the manager's 进度 shows the coverage change; a week before the
// quarter ends the right cadres get one reminder each; overdue work
// escalates to the office. MySQL + Redis when the environment provides them.
func TestStory(t *testing.T) {
	a := bootProduction(t)
	if a.FakeAPI == nil {
		t.Skip("the story needs the simulator's fake WeChat API")
	}
	ctx := context.Background()
	// Daytime in China, whatever time the test runs: pushes wait out quiet hours.
	a.Clock.(*clock.Offset).Set(time.Date(2026, 11, 28, 10, 0, 0, 0, clock.China))
	ph := newPhone(t, a, wechat.ModeSafe)
	ph.p.Now = a.Clock.Now // the platform signs with the time it believes too
	say := func(openid, text string) string { t.Helper(); return ph.text(openid, text) }
	must := func(got string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(got, w) {
				t.Fatalf("reply lacks %q:\n%s", w, got)
			}
		}
	}

	// A cadre binds and looks at the tasks.
	// A village cadre with more than one open task, so one stays open for the reminder.
	var cadre registry.Cadre
	var tasks []supervision.Task
	for _, c := range cadresWithTasks(t, a, 50) {
		ts, err := a.Supervision.Tasks(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) >= 2 && c.Level == registry.CadreVillage {
			cadre, tasks = c, ts
			break
		}
	}
	if cadre.ID == 0 {
		t.Fatal("no village cadre with two open tasks")
	}
	biz, err := a.Registry.Business(ctx, tasks[0].BusinessID)
	if err != nil {
		t.Fatal(err)
	}
	code, _, err := a.Accounts.IssueCode(ctx, account.RoleCadre, cadre.ID, "story")
	if err != nil {
		t.Fatal(err)
	}
	must(say("o-story-cadre", "绑定 "+code), "绑定成功")
	must(say("o-story-cadre", "我的任务"), biz.Name)

	// The manager binds too and notes the progress before.
	office, err := a.Registry.OfficeFor(ctx, biz.RegionID)
	if err != nil {
		t.Fatal(err)
	}
	managers, err := a.Registry.Managers(ctx, office.ID)
	if err != nil || len(managers) == 0 {
		t.Fatalf("no manager for the business's office: %v", err)
	}
	mcode, _, _ := a.Accounts.IssueCode(ctx, account.RoleManager, managers[0].ID, "story")
	must(say("o-story-manager", "绑定 "+mcode), "绑定成功")
	before := say("o-story-manager", "进度")

	// The business's contact binds (so the letter reaches it at once).
	contact, err := a.Accounts.EnsureContact(ctx, biz.ID, account.ContactPrincipal)
	if err != nil {
		t.Fatal(err)
	}
	ccode, _, _ := a.Accounts.IssueCode(ctx, account.RoleContact, contact.ID, "story")
	must(say("o-story-business", "绑定 "+ccode), "绑定成功")

	// The visit: one failed item with a photo, the location, a letter.
	a.FakeAPI.PutMedia("media-story-1", []byte("JPEG story"), "image/jpeg")
	must(say("o-story-cadre", "上报督导"), "请选择")
	say("o-story-cadre", "1")
	say("o-story-cadre", "现场")
	say("o-story-cadre", "快速")
	say("o-story-cadre", "2")
	say("o-story-cadre", "全部合格")
	say("o-story-cadre", "后厨防蝇设施缺失")
	must(ph.photo("o-story-cadre", "media-story-1"), "已收到第1张照片")
	say("o-story-cadre", "完成")
	must(ph.send(wechat.LocationMessage("o-story-cadre", "gh_test", *biz.Latitude, *biz.Longitude, "门店", msgIDs.Add(1), time.Now())).Content, "距登记地址")
	must(say("o-story-cadre", "1"), "请核对")
	receipt := say("o-story-cadre", "确认")
	must(receipt, "督导已提交", biz.Name, "已发送提示函")

	// The letter went out as a template message to the business.
	letterURL := waitPush(t, a, "o-story-business", "/h5/letters/")

	// The contact opens it from WeChat (web authorisation as that person)
	// and acknowledges it with feedback and a photo.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	a.FakeAPI.SetPersona("o-story-business")
	page := getPage(t, browser, rebase(a, letterURL))
	if !strings.Contains(page, "食安督〔") || !strings.Contains(page, "后厨防蝇设施缺失") {
		t.Fatalf("letter page:\n%s", page)
	}
	action := html.UnescapeString(regexp.MustCompile(`action="([^"]*/ack\?[^"]*)"`).FindStringSubmatch(page)[1])
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)[1]
	postAck(t, browser, a.URL()+action, csrf, "已安装防蝇帘")

	// The cadre is told, and accepts the fix in 整改跟踪.
	waitPush(t, a, "o-story-cadre", "")
	must(say("o-story-cadre", "整改跟踪"), "待复查", "店家反馈", "已安装防蝇帘")
	say("o-story-cadre", "1")
	must(say("o-story-cadre", "1"), "店家已发来1张整改照片")
	say("o-story-cadre", "是") // the business's photo is the evidence
	must(say("o-story-cadre", "主体已反馈，复查合格"), "复查合格")

	// The manager sees the coverage move.
	after := say("o-story-manager", "进度")
	if after == before {
		t.Fatalf("进度 did not change after the visit:\n%s", after)
	}

	// A week before quarter end: the cadre gets one reminder for the rest.
	jumpClock(t, a, "t-7")
	waitPushKind(t, a, "o-story-cadre", 2) // the letter receipt notice and the reminder
	jumpClock(t, a, "t-7")
	time.Sleep(300 * time.Millisecond)
	if n := pushesTo(a, "o-story-cadre"); n != 2 {
		t.Fatalf("the cadre has %d pushes after a second jump; nothing may be sent twice", n)
	}

	// Overdue work escalates to the office.
	jumpClock(t, a, "overdue-3")
	var escalations int64
	a.DB.Gorm(ctx).Table("outbox").Where("kind = ? AND recipient_kind = ? AND recipient_id = ?", "escalation", "manager", managers[0].ID).Count(&escalations)
	if escalations != 1 {
		t.Fatalf("escalations to the manager: %d, want 1", escalations)
	}
}

// pushesTo counts the messages the platform delivered to a user.
func pushesTo(a *app.App, openid string) int {
	n := 0
	for _, c := range a.FakeAPI.Calls() {
		if c.ToUser == openid && c.Delivered() && (c.MsgType == "template" || c.MsgType == "text" || c.MsgType == "news") && !pledgePush(a, c) {
			n++
		}
	}
	return n
}

// waitPush waits for a push to openid (whose URL contains urlPart) and returns its URL.
func waitPush(t *testing.T, a *app.App, openid, urlPart string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, c := range a.FakeAPI.Calls() {
			if c.ToUser != openid || !c.Delivered() || c.MsgType != "template" {
				continue
			}
			u := regexp.MustCompile(`"url":"([^"]+)"`).FindSubmatch(c.Body)
			if urlPart == "" || (u != nil && strings.Contains(string(u[1]), urlPart)) {
				if u == nil {
					return ""
				}
				return strings.ReplaceAll(string(u[1]), `\u0026`, "&")
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no push to %s containing %q", openid, urlPart)
	return ""
}

func waitPushKind(t *testing.T, a *app.App, openid string, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if pushesTo(a, openid) >= n {
			return
		}
	}
	t.Fatalf("%s has %d pushes, want %d", openid, pushesTo(a, openid), n)
}

func jumpClock(t *testing.T, a *app.App, preset string) {
	t.Helper()
	resp, err := http.Post(a.URL()+"/dev/simulator/api/clock", "application/json", strings.NewReader(`{"preset":"`+preset+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("clock jump %s = %d", preset, resp.StatusCode)
	}
}

// rebase points a link built with the public base URL at the test server.
func rebase(a *app.App, link string) string {
	i := strings.Index(link, "/h5/")
	return a.URL() + link[i:]
}

func getPage(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d\n%s", u, resp.StatusCode, b)
	}
	return string(b)
}

func postAck(t *testing.T, c *http.Client, u, csrf, feedback string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("csrf", csrf)
	w.WriteField("feedback", feedback)
	fw, _ := w.CreateFormFile("photos", "fix.png")
	fw.Write(tinyPNG)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, u, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Accept", "text/html")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "回执") {
		t.Fatalf("acknowledge = %d\n%s", resp.StatusCode, b)
	}
}

// tinyPNG is a 1×1 PNG.
var tinyPNG = []byte{0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00,
	0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99,
	0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82}
