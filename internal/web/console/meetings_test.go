package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/meeting"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// demoMeeting is the id of the demo's meeting of kind.
func demoMeeting(t *testing.T, a *webtest.App, kind meeting.Kind) meeting.Meeting {
	t.Helper()
	var m meeting.Meeting
	if err := a.DB.Gorm(context.Background()).Where("kind = ?", kind).Order("id").Take(&m).Error; err != nil {
		t.Fatalf("demo %s meeting: %v", kind, err)
	}
	return m
}

// TestConsoleMeetings: each town's manager sees his town's meetings only;
// the demo training's page shows attendance and quiz rates by village;
// the export reads back with the names, the poster carries a QR code and
// the 签到表 a signature column; a new meeting made on the form invites
// the town's cadres; a hand check-in is recorded; the API lists by status
// with counts and refuses a status it does not know. Not parallel: the
// poster's QR code is made through the fake WeChat API, whose address is
// the process's (the SDK keeps it globally).
func TestConsoleMeetings(t *testing.T) {
	a := webtest.Boot(t)
	training := demoMeeting(t, a, meeting.KindCadreTraining)
	batch := demoMeeting(t, a, meeting.KindBusinessTraining)

	hudai := a.SignIn(t, a.Hudai)
	hudai.Get("/console/meetings")
	if text := hudai.Text(); hudai.Status != 200 || !strings.Contains(text, training.Title) || strings.Contains(text, batch.Title) {
		t.Fatalf("胡埭镇's meetings = %d: %.600s", hudai.Status, text)
	}
	lihu := a.SignIn(t, a.Lihu)
	lihu.Get("/console/meetings?status=upcoming")
	if text := lihu.Text(); !strings.Contains(text, batch.Title) || strings.Contains(text, training.Title) {
		t.Fatalf("蠡湖街道's upcoming meetings: %.600s", text)
	}
	lihu.Get(fmt.Sprintf("/console/meetings/%d", training.ID))
	if lihu.Status != 404 {
		t.Fatalf("another town's meeting = %d", lihu.Status)
	}

	hudai.Get(fmt.Sprintf("/console/meetings/%d", training.ID))
	text := hudai.Text()
	for _, want := range []string{"参会名单", "测验及格率", "已签到", "请假", "缺席", "签到二维码海报"} {
		if !strings.Contains(text, want) {
			t.Fatalf("training page lacks %q: %.800s", want, text)
		}
	}
	hudai.Get(fmt.Sprintf("/console/meetings/%d/attendance.xlsx", training.ID))
	sheet := conXLSXText([]byte(hudai.Body))
	var cadre string
	a.DB.Gorm(context.Background()).Raw(`SELECT c.name FROM meeting_people p JOIN cadres c ON c.id = p.subject_id
		WHERE p.meeting_id = ? AND p.checked_in_at IS NOT NULL ORDER BY p.id LIMIT 1`, training.ID).Scan(&cadre)
	if !strings.Contains(sheet, "签到时间") || cadre == "" || !strings.Contains(sheet, cadre) || !strings.Contains(sheet, "已签到") {
		t.Fatalf("attendance export lacks %q: %.600s", cadre, sheet)
	}
	// The poster's QR code is made on the platform: the simulator's fake
	// API, served once the app runs.
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	hudai.Get(fmt.Sprintf("/console/meetings/%d/poster", training.ID))
	if hudai.Status != 200 || !strings.Contains(hudai.Body, "data:image/png;base64,") || !strings.Contains(hudai.Body, "微信扫一扫") {
		t.Fatalf("poster = %d: %.300s", hudai.Status, hudai.Text())
	}
	hudai.Get(fmt.Sprintf("/console/meetings/%d/sheet", training.ID))
	if hudai.Status != 200 || !strings.Contains(hudai.Body, "<th>签名</th>") || !strings.Contains(hudai.Body, cadre) {
		t.Fatalf("sign sheet = %d: %.300s", hudai.Status, hudai.Text())
	}

	// A new 工作部署会 for 胡埭镇's cadres on the form.
	day := a.Clock.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 2).Format("2006-01-02")
	hudai.Get("/console/meetings/new")
	hudai.Post("/console/meetings", url.Values{"kind": {"work"}, "title": {"冬季保供工作部署会"}, "date": {day}, "start": {"09:00"},
		"end": {"10:30"}, "place": {"胡埭镇人民政府一楼会议室"}, "region_id": {fmt.Sprint(a.HudaiTown.ID)},
		"cadres_of": {fmt.Sprint(a.HudaiTown.ID)}, "opens_before": {"45"}, "closes_after": {"20"}, "quiz": {"cadre_key_points"}})
	if hudai.Status != 303 {
		t.Fatalf("create = %d: %.400s", hudai.Status, hudai.Text())
	}
	where, _, _ := strings.Cut(hudai.Header.Get("Location"), "?")
	hudai.Get(hudai.Header.Get("Location"))
	if text := hudai.Text(); !strings.Contains(text, "通知已发出") || !strings.Contains(text, "胡埭镇全部包保干部") {
		t.Fatalf("new meeting page: %.600s", text)
	}
	hudai.Post("/console/meetings", url.Values{"kind": {"work"}, "title": {"缺时间"}, "date": {"明天"}})
	if hudai.Status != 400 || !strings.Contains(hudai.Text(), "请填写会议日期") {
		t.Fatalf("create without a date = %d: %.300s", hudai.Status, hudai.Text())
	}
	var m meeting.Meeting
	a.DB.Gorm(context.Background()).Where("title = ?", "冬季保供工作部署会").Take(&m)
	var someone int64
	a.DB.Gorm(context.Background()).Raw(`SELECT subject_id FROM meeting_people WHERE meeting_id = ? ORDER BY id LIMIT 1`, m.ID).Scan(&someone)
	hudai.Post(where+"/checkin", url.Values{"who": {fmt.Sprintf("cadre-%d", someone)}, "reason": {"提前到场，手机未带"}})
	if hudai.Status != 303 {
		t.Fatalf("hand check-in = %d: %.300s", hudai.Status, hudai.Text())
	}
	hudai.Get(where)
	if text := hudai.Text(); !strings.Contains(text, "提前到场，手机未带") || !strings.Contains(text, "手工") {
		t.Fatalf("hand check-in not shown: %.800s", text)
	}

	// The API.
	api := a.SignIn(t, a.Hudai)
	api.API("GET", "/api/v1/meetings?status=past")
	var list struct {
		Items []struct {
			ID     int64 `json:"id"`
			Title  string
			Counts struct {
				Invited   int `json:"invited"`
				CheckedIn int `json:"checked_in"`
				Absent    int `json:"absent"`
			} `json:"counts"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(api.Body), &list); err != nil || api.Status != 200 || len(list.Items) == 0 {
		t.Fatalf("API past meetings = %d %v: %.300s", api.Status, err, api.Body)
	}
	for _, it := range list.Items {
		if it.ID == m.ID {
			t.Fatal("an upcoming meeting among the past ones")
		}
		if it.ID == training.ID && (it.Counts.Invited == 0 || it.Counts.CheckedIn == 0) {
			t.Fatalf("training counts: %+v", it.Counts)
		}
	}
	api.API("GET", fmt.Sprintf("/api/v1/meetings/%d", m.ID))
	if api.Status != 200 || !strings.Contains(api.Body, `"checked_in":1`) || !strings.Contains(api.Body, `"attendees"`) {
		t.Fatalf("API meeting = %d: %.400s", api.Status, api.Body)
	}
	api.API("GET", "/api/v1/meetings?status=someday")
	if api.Status != 400 {
		t.Fatalf("API bad status = %d", api.Status)
	}
	api.API("GET", fmt.Sprintf("/api/v1/meetings/%d", batch.ID))
	if api.Status != 404 {
		t.Fatalf("API another town's meeting = %d", api.Status)
	}
}

// TestConsoleCentralizedResults: results entered on a 集中督导's page
// become visits of mode 集中督导 that cover the businesses.
func TestConsoleCentralizedResults(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	ctx := context.Background()
	var biz []struct{ ID, CadreID int64 }
	a.DB.Gorm(ctx).Raw(`SELECT b.id, a.cadre_id FROM businesses b JOIN regions r ON r.id = b.region_id
		JOIN assignments a ON a.active_business_id = b.id WHERE b.status = ? AND r.path LIKE ? ORDER BY b.id DESC LIMIT 2`,
		registry.StatusOperating, a.HudaiTown.Path+"%").Scan(&biz)
	if len(biz) < 2 {
		t.Fatal("no 胡埭镇 businesses")
	}
	now := a.Clock.Now()
	m, err := a.Meetings.Create(ctx, a.HudaiTown.Path, meeting.Input{Kind: meeting.KindCentralized, Title: "测试集中督导",
		StartsAt: now.Add(-10 * time.Minute), EndsAt: now.Add(time.Hour), Place: "村委会", RegionID: a.HudaiTown.ID,
		PresidingCadreID: biz[0].CadreID, Rule: meeting.Rule{BusinessIDs: []int64{biz[0].ID, biz[1].ID}}}, "user:hd")
	if err != nil {
		t.Fatal(err)
	}
	hudai := a.SignIn(t, a.Hudai)
	page := fmt.Sprintf("/console/meetings/%d", m.ID)
	for _, b := range biz {
		hudai.Post(page+"/checkin", url.Values{"who": {fmt.Sprintf("business-%d", b.ID)}, "reason": {"现场核实"}})
	}
	hudai.Get(page)
	if !strings.Contains(hudai.Text(), "集中督导结果") {
		t.Fatalf("no results form: %.600s", hudai.Text())
	}
	quick := a.Supervision.Checklists().Quick()
	hudai.Post(page+"/results", url.Values{
		fmt.Sprintf("result_%d", biz[0].ID): {"pass"},
		fmt.Sprintf("result_%d", biz[1].ID): {"issue"}, fmt.Sprintf("item_%d", biz[1].ID): {quick[0].ID},
		fmt.Sprintf("note_%d", biz[1].ID): {"冷藏柜温度未记录"},
	})
	if hudai.Status != 303 {
		t.Fatalf("results = %d: %.400s", hudai.Status, hudai.Text())
	}
	for _, b := range biz {
		ok, _, err := a.Supervision.Covered(ctx, b.ID)
		if err != nil || !ok {
			t.Fatalf("business %d not covered: %v", b.ID, err)
		}
	}
	hudai.Get(page)
	if text := hudai.Text(); !strings.Contains(text, "已录入：合格") || !strings.Contains(text, "已录入：发现问题") {
		t.Fatalf("recorded results not shown: %.800s", text)
	}
}
