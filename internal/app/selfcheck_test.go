package app_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/wechat"
)

// TestSelfCheckThroughTheCallback is the self-check issue as a new user
// meets it: a business records today's check through signed callbacks
// (a repeated delivery stores nothing twice), its photo is fetched in the
// background, its ledger opens from the link in chat; the reminder planner
// reminds the business that has not recorded and not the one that has, and
// none once it is suspended; the manager's 进度 shows the rate.
func TestSelfCheckThroughTheCallback(t *testing.T) {
	a := bootProduction(t)
	if a.FakeAPI == nil {
		t.Skip("needs the simulator's fake WeChat API")
	}
	ctx := context.Background()
	today := time.Date(2026, 11, 28, 10, 0, 0, 0, clock.China)
	a.Clock.(*clock.Offset).Set(today)
	ph := newPhone(t, a, wechat.ModeSafe)
	ph.p.Now = a.Clock.Now
	must := func(got string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(got, w) {
				t.Fatalf("reply lacks %q:\n%s", w, got)
			}
		}
	}
	// Two businesses of one cadre that have not recorded today: the demo
	// district comes with records of the days before the real today, the
	// test's fixed day among them when it fell in the last week.
	var tasks []supervision.Task
	for _, c := range cadresWithTasks(t, a, 50) {
		ts, err := a.Supervision.Tasks(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var fresh []supervision.Task
		for _, task := range ts {
			_, err := a.SelfCheck.Record(ctx, task.BusinessID, selfcheck.PeriodOf(selfcheck.Daily, today))
			if errs.Is(err, errs.NotFound) {
				fresh = append(fresh, task)
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if len(fresh) >= 2 {
			tasks = fresh
			break
		}
	}
	if len(tasks) < 2 {
		t.Fatal("no cadre with two open tasks for businesses without today's record")
	}
	var contacts []*account.Contact
	for i, openid := range []string{"o-sc-keeper", "o-sc-forgetful"} {
		c, err := a.Accounts.EnsureContact(ctx, tasks[i].BusinessID, account.ContactPrincipal)
		if err != nil {
			t.Fatal(err)
		}
		code, _, err := a.Accounts.IssueCode(ctx, account.RoleContact, c.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		must(ph.text(openid, "绑定 "+code), "绑定成功", "日管控")
		contacts = append(contacts, c)
	}
	keeper, forgetful := contacts[0], contacts[1]

	a.FakeAPI.PutMedia("media-sc-1", []byte("JPEG self-check"), "image/jpeg")
	must(ph.text("o-sc-keeper", "日管控"), "今天的日管控", "全部正常")
	must(ph.text("o-sc-keeper", "2"), "发现了什么问题")
	must(ph.text("o-sc-keeper", "供货单缺一张，已向供应商索取"), "处置好了吗")
	must(ph.text("o-sc-keeper", "需跟进"), "拍照")
	must(ph.photo("o-sc-keeper", "media-sc-1"), "已收到第1张照片")
	must(ph.text("o-sc-keeper", "完成"), "已记录今天的日管控", "发现问题1项")

	// The same day again; the platform delivers the last message twice.
	must(ph.text("o-sc-keeper", "日管控"), "今天已记录过日管控")
	last := wechat.TextMessage("o-sc-keeper", "gh_test", "全部正常", msgIDs.Add(1), time.Now())
	first := ph.send(last).Content
	if again := ph.send(last).Content; again != first || !strings.Contains(first, "第2次提交") {
		t.Fatalf("repeated delivery: %q then %q", first, again)
	}
	rec, err := a.SelfCheck.Record(ctx, keeper.BusinessID, selfcheck.PeriodOf(selfcheck.Daily, today))
	if err != nil || rec.Revision != 2 {
		t.Fatalf("today's record after a repeated delivery: %+v %v", rec, err)
	}

	// The photo is fetched in the background.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var stored int64
		a.DB.Gorm(ctx).Table("selfcheck_photos").Where("business_id = ? AND status = ?", keeper.BusinessID, selfcheck.PhotoStored).Count(&stored)
		if stored == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the photo was not fetched")
		}
	}

	// The ledger opens from the link, as the contact's WeChat.
	link := regexp.MustCompile(`https?://\S+/h5/ledger/\S+`).FindString(ph.text("o-sc-keeper", "台账"))
	if link == "" {
		t.Fatal("no ledger link")
	}
	jar, _ := cookiejar.New(nil)
	a.FakeAPI.SetPersona("o-sc-keeper")
	page := getPage(t, &http.Client{Jar: jar}, rebase(a, link))
	must(page, "食品安全自查台账", "供货单缺一张", "照片1")

	// At 16:00 the planner reminds the business that has not recorded
	// today; the other hears only of the week's and month's end.
	remindedAt := func() map[int64]string {
		t.Helper()
		msgs, err := a.Reminders.Planner.Plan(ctx, time.Date(2026, 11, 28, 16, 0, 0, 0, clock.China))
		if err != nil {
			t.Fatal(err)
		}
		to := map[int64]string{}
		for _, m := range msgs {
			if m.Kind == selfcheck.KindReminder {
				to[m.To.ID] = m.Fields["items"]
			}
		}
		return to
	}
	if to := remindedAt(); strings.Contains(to[keeper.ID], "日管控") || !strings.Contains(to[forgetful.ID], "日管控") {
		t.Fatalf("reminded %v: want %d of 日管控 and not %d", to, forgetful.ID, keeper.ID)
	}
	if _, err := a.Registry.ChangeStatus(ctx, forgetful.BusinessID, registry.StatusChange{Kind: registry.EventSuspended,
		EffectiveOn: today, Actor: "test", Source: registry.SourceConsole}); err != nil {
		t.Fatal(err)
	}
	if _, ok := remindedAt()[forgetful.ID]; ok {
		t.Fatal("a suspended business was reminded")
	}
	must(ph.text("o-sc-forgetful", "日管控"), "停产停业")

	// The office sees the rate by village.
	biz, err := a.Registry.Business(ctx, keeper.BusinessID)
	if err != nil {
		t.Fatal(err)
	}
	office, err := a.Registry.OfficeFor(ctx, biz.RegionID)
	if err != nil {
		t.Fatal(err)
	}
	managers, err := a.Registry.Managers(ctx, office.ID)
	if err != nil || len(managers) == 0 {
		t.Fatalf("managers: %v", err)
	}
	code, _, _ := a.Accounts.IssueCode(ctx, account.RoleManager, managers[0].ID, "test")
	must(ph.text("o-sc-manager", "绑定 "+code), "绑定成功")
	must(ph.text("o-sc-manager", "进度"), "日管控（近7天）")
}

// TestDemoSelfCheckHistory: the embedded default's demo district comes
// with its businesses' own records of the last days: every village of
// 胡埭镇 has a rate and the rates differ, some six businesses in ten keep
// records, a keeper's ledger shows its days, and today is left to record.
func TestDemoSelfCheckHistory(t *testing.T) {
	a := bootSQLite(t)
	ctx := context.Background()
	today := clock.Date(a.Clock.Now())
	yesterday := today.AddDate(0, 0, -1)
	regions, err := a.Registry.Regions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var town registry.Region
	for _, r := range regions {
		if r.Name == "胡埭镇" {
			town = r
		}
	}
	if town.ID == 0 {
		t.Fatal("no 胡埭镇 in the demo district")
	}
	r, err := a.SelfCheck.RatesByVillage(ctx, town.Path, today.AddDate(0, 0, -selfcheck.DemoDays), yesterday)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[float64]bool{}
	for _, v := range r.ByVillage {
		t.Logf("%s %.1f%% (%d/%d keeping)", v.Name, v.Percent, v.Keeping, v.Businesses)
		if v.Percent == 0 {
			t.Errorf("%s has no records", v.Name)
		}
		seen[v.Percent] = true
	}
	if len(r.ByVillage) < 3 || len(seen) < 3 {
		t.Errorf("rates by village %+v", r.ByVillage)
	}
	all, err := a.SelfCheck.RatesByVillage(ctx, "", today.AddDate(0, 0, -selfcheck.DemoDays), yesterday)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("district: %d of %d businesses keeping, %.1f%% of days recorded", all.Total.Keeping, all.Total.Businesses, all.Total.Percent)
	if share := float64(all.Total.Keeping) / float64(all.Total.Businesses); share < 0.5 || share > 0.7 {
		t.Errorf("%d of %d businesses keep records", all.Total.Keeping, all.Total.Businesses)
	}
	var todays int64
	if err := a.DB.Gorm(ctx).Table("selfcheck_records").Where("period = ?", today.Format("2006-01-02")).Count(&todays).Error; err != nil || todays != 0 {
		t.Fatalf("%d records of today: %v", todays, err)
	}

	var keeper selfcheck.Record
	if err := a.DB.Gorm(ctx).Where("kind = ? AND period = ?", selfcheck.Daily, yesterday.Format("2006-01-02")).Order("id").Take(&keeper).Error; err != nil {
		t.Fatal(err)
	}
	l, err := a.SelfCheck.Ledger(ctx, keeper.BusinessID, selfcheck.PeriodOf(selfcheck.Monthly, yesterday).Key)
	if err != nil {
		t.Fatal(err)
	}
	days := 0
	for _, d := range l.Days {
		if d.Record != nil {
			days++
		}
	}
	if days == 0 || l.Figures.Recorded != days {
		t.Errorf("ledger of %d: %d days recorded, figures %+v", keeper.BusinessID, days, l.Figures)
	}
}
