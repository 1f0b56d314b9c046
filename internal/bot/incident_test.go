package bot_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/demo/demotest"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
)

// incidents lists the stored incidents, oldest first.
func (w *district) incidents(t *testing.T) []incident.Incident {
	t.Helper()
	var out []incident.Incident
	if err := w.d.Gorm(t.Context()).Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIncidentCadre: a cadre reports a suspected poisoning at one of their
// businesses; the confirmation delivered three times stores one incident.
func TestIncidentCadre(t *testing.T) {
	w := openDistrict(t)
	cadre, _ := w.cadreWithTasks(t)
	w.bind(t, "o-cadre", account.RoleCadre, cadre.ID)
	c := w.chat(t, "o-cadre")
	c.Say("应急")
	c.Say("1")
	c.Say("1")
	c.Say("午饭后5名顾客腹泻呕吐，已送医")
	c.Say("5")
	c.Photo("media-incident-1")
	c.Say("完成")
	c.Location(31.56, 120.16, "胡埭镇")
	c.Say("确认")
	c.Again()
	c.Again()
	c.Golden("incident_cadre")

	got := w.incidents(t)
	if len(got) != 1 {
		t.Fatalf("%d incidents after a triple delivery, want 1", len(got))
	}
	inc := got[0]
	if inc.Kind != incident.Poisoning || inc.Affected != 5 || !inc.Verified || inc.ReporterKind != "cadre" ||
		inc.ReporterID != cadre.ID || inc.BusinessID == 0 || !inc.HasLocation {
		t.Fatalf("incident %+v", inc)
	}
	if a, err := w.reg.CurrentAssignment(t.Context(), inc.BusinessID); err != nil || a.CadreID != cadre.ID {
		t.Fatalf("business %d is not one the cadre packs: %+v, %v", inc.BusinessID, a, err)
	}
}

// TestIncidentStranger: someone who never bound reports from the menu,
// without a business, naming the town; the report is marked unverified.
func TestIncidentStranger(t *testing.T) {
	w := openDistrict(t)
	c := w.chat(t, "o-stranger")
	c.Say("[点击菜单] INCIDENT")
	c.Say("2")
	c.Say("跳过")
	c.Say("胡埭")
	c.Say("路边摊在卖过期的熟食")
	c.Say("跳过")
	c.Say("跳过")
	c.Say("跳过")
	c.Say("确认")
	c.Golden("incident_stranger")

	got := w.incidents(t)
	if len(got) != 1 || got[0].Verified || got[0].ReporterKind != incident.ReporterStranger || got[0].BusinessID != 0 {
		t.Fatalf("incidents %+v", got)
	}
	r, err := w.reg.Region(t.Context(), got[0].RegionID)
	if err != nil || r.Name != "胡埭镇" {
		t.Fatalf("region %+v, %v", r, err)
	}
	if strings.Contains(c.Transcript(), "o-stranger") {
		t.Fatal("the transcript shows the WeChat id")
	}
}

// TestIncidentByName: a manager types part of a business's name; several
// matches are numbered, and a bound person may not skip the business.
func TestIncidentByName(t *testing.T) {
	w := openDistrict(t)
	ms, err := w.reg.Managers(t.Context(), 1)
	if err != nil || len(ms) == 0 {
		t.Fatalf("managers: %v", err)
	}
	w.bind(t, "o-manager", account.RoleManager, ms[0].ID)
	var biz registry.Business
	if err := w.d.Gorm(t.Context()).Order("id").First(&biz).Error; err != nil {
		t.Fatal(err)
	}
	c := w.chat(t, "o-manager")
	c.Say("突发")
	c.Say("投诉")
	if r := c.Say("跳过"); !strings.Contains(r.Text, "名称") {
		t.Fatalf("a manager skipped the business: %s", r.Text)
	}
	c.Say(biz.Name)
	c.Say("顾客投诉菜里有异物")
	c.Say("1")
	c.Say("跳过")
	c.Say("跳过")
	c.Say("确认")
	got := w.incidents(t)
	if len(got) != 1 || got[0].ReporterKind != "manager" || got[0].Kind != incident.Complaint {
		t.Fatalf("incidents %+v\n%s", got, c.Transcript())
	}
}

// TestIncidentContact: a business's contact reports at their own business
// (not asked which), and a menu tap in the middle keeps the report.
func TestIncidentContact(t *testing.T) {
	w := openDistrict(t)
	biz := w.operating(t, registry.CategoryCatering, 0)
	w.bindContact(t, "o-boss", biz.ID, account.ContactPrincipal)
	c := w.chat(t, "o-boss")
	c.Say("应急")
	if r := c.Say("3"); strings.Contains(r.Text, "哪家主体") {
		t.Fatalf("a contact was asked for the business: %s", r.Text)
	}
	if r := c.Say("[点击菜单] LETTERS"); !strings.Contains(r.Text, "请简要描述") {
		t.Fatalf("a menu tap lost the report: %s", r.Text)
	}
	c.Say("后厨油锅起火，已扑灭，无人受伤")
	c.Say("0")
	c.Say("跳过")
	c.Say("跳过")
	if r := c.Reply(); !strings.Contains(r.Text, biz.Name) || !strings.Contains(r.Text, "0人") {
		t.Fatalf("summary: %s", r.Text)
	}
	c.Say("确认")
	got := w.incidents(t)
	if len(got) != 1 || got[0].BusinessID != biz.ID || got[0].ReporterKind != "contact" || got[0].Kind != incident.Accident || got[0].Affected != 0 {
		t.Fatalf("incidents %+v\n%s", got, c.Transcript())
	}
}

// TestIncidentManagerSteps: a manager accepts, handles and closes his
// town's incident from the phone; another town's manager cannot touch it
// and learns nothing of it; a cadre is told it is the office's to do.
func TestIncidentManagerSteps(t *testing.T) {
	w := openDistrict(t)
	ctx := t.Context()
	offices, err := w.reg.Offices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mine, other *registry.Office
	for i := range offices {
		r, err := w.reg.Region(ctx, offices[i].RegionID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Level != registry.LevelTown {
			continue
		}
		if mine == nil {
			mine = &offices[i]
		} else if other == nil {
			other = &offices[i]
		}
	}
	region, _ := w.reg.Region(ctx, mine.RegionID)
	biz := demotest.Businesses(t, w.d, query.BusinessFilter{RegionPath: region.Path, Limit: 1})[0]
	cadre, _ := w.cadreWithTasks(t)
	inc, _, err := w.inc.Report(ctx, incident.Report{Key: "mgr-steps", Kind: incident.Complaint, BusinessID: biz.ID,
		Description: "顾客投诉", Affected: -1, Reporter: registry.ActorOf("cadre", cadre.ID)})
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := w.reg.Managers(ctx, mine.ID)
	others, _ := w.reg.Managers(ctx, other.ID)
	w.bind(t, "o-mgr-mine", account.RoleManager, ms[0].ID)
	w.bind(t, "o-mgr-other", account.RoleManager, others[0].ID)
	w.bind(t, "o-some-cadre", account.RoleCadre, cadre.ID)
	say := func(openid, text string) string {
		t.Helper()
		out, err := w.bot.Handle(ctx, chat.Inbound{Channel: chat.ChannelOA, UserID: openid, Kind: chat.KindText, Text: text, MsgKey: openid + text})
		if err != nil {
			t.Fatal(err)
		}
		return out.Text
	}
	n := strconv.FormatInt(inc.ID, 10)
	for _, step := range []struct{ who, text, want string }{
		{"o-mgr-other", "受理 " + n, "应急事件不存在"},
		{"o-some-cadre", "受理 " + n, "只有食安办人员"},
		{"o-mgr-mine", "办结 " + n + " 已处理", "下一步只能是「已受理」"},
		{"o-mgr-mine", "受理 " + n + "，已派人", "已更新为「已受理」"},
		{"o-mgr-mine", "开始处置" + n, "已更新为「处置中」"},
		{"o-mgr-mine", "办结 " + n, "办结前请填写处置结果"},
		{"o-mgr-mine", "办结 " + n + " 已责令整改并回复顾客", "已更新为「已办结」"},
	} {
		got := say(step.who, step.text)
		if !strings.Contains(got, step.want) || strings.Contains(got, biz.Name) && step.who == "o-mgr-other" {
			t.Fatalf("%s %q answered %q, want %q", step.who, step.text, got, step.want)
		}
	}
	evs, err := w.inc.Events(ctx, inc.ID)
	if err != nil || len(evs) != 4 || evs[1].Note != "已派人" || !strings.Contains(evs[3].ActorName, ms[0].Name) {
		t.Fatalf("steps %+v, %v", evs, err)
	}
}
