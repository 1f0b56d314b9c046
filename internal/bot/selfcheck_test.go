package bot_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/demo/demotest"
	"github.com/shianbao/shianbao/internal/dialog/dialogtest"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/supervision"
)

// ledgerLink's signature and expiry are stable under the fixed clock, but
// long; golden files show the business id only.
var ledgerLink = regexp.MustCompile(`(/h5/ledger/\d+)\?\S+`)

func scrubLedger(s string) string { return ledgerLink.ReplaceAllString(s, "$1?…") }

// operating finds an operating business of a category with a cadre.
func (w *district) operating(t *testing.T, cat registry.Category, skip int) registry.Business {
	t.Helper()
	ctx := context.Background()
	bs := demotest.Businesses(t, w.d, query.BusinessFilter{Category: string(cat), Status: string(registry.StatusOperating), Limit: 50})
	for _, b := range bs {
		if _, err := w.reg.CurrentAssignment(ctx, b.ID); err != nil {
			continue
		}
		if skip == 0 {
			return b
		}
		skip--
	}
	t.Fatalf("no operating %s business with a cadre", cat)
	return registry.Business{}
}

// bindContact binds openid as the business's contact in role, through the bot.
func (w *district) bindContact(t *testing.T, openid string, businessID int64, role account.ContactRole) *account.Contact {
	t.Helper()
	c, err := w.accounts.EnsureContact(context.Background(), businessID, role)
	if err != nil {
		t.Fatal(err)
	}
	w.bind(t, openid, account.RoleContact, c.ID)
	return c
}

// TestDailyControl: a day recorded with one reply, then amended with two
// problems and a photo (history kept), a repeated delivery, a late entry
// for yesterday, dates out of reach, bad input, the reminder time and the
// ledger link.
func TestDailyControl(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	biz := w.operating(t, registry.CategoryCatering, 0)
	w.bindContact(t, "o-officer", biz.ID, account.ContactOfficer)

	c := w.chat(t, "o-officer")
	c.Say("日管控")
	c.Say("全部正常")
	c.Note("同一天再次填写：修改今天的记录，原记录保留")
	c.Say("日管控")
	c.Say("好的")
	c.Say("3 99")
	c.Say("帮助")
	c.Say("4、12")
	c.Say("冷藏柜温度12℃，已调整温控，食品转移到备用冰箱")
	c.Say("也许")
	c.Say("1")
	c.Say("返回")
	c.Say("不变")
	c.Say("泔水桶未加盖")
	c.Say("需跟进")
	c.Photo("media-daily-1")
	c.Say("完成")
	c.Again()
	c.Note("补记昨天")
	c.Say("日管控 昨天")
	c.Say("全部正常")
	c.Say("日管控 11月23日")
	c.Say("日管控 明天")
	c.Say("日管控 哪天都行")
	c.Say("日管控提醒")
	c.Say("日管控提醒 25点")
	c.Say("日管控提醒 23:00")
	c.Say("日管控提醒 下午6点")
	c.Say("台账")
	dialogtest.Golden(t, "selfcheck_daily", scrubLedger(c.Transcript()))

	r, err := w.self.Record(ctx, biz.ID, selfcheck.PeriodOf(selfcheck.Daily, now))
	if err != nil {
		t.Fatal(err)
	}
	if r.Revision != 2 || r.Problems != 2 || r.Open != 1 || r.ContactRole != account.ContactOfficer {
		t.Fatalf("today's record %+v", r)
	}
	revs, err := w.self.Revisions(ctx, r.ID)
	if err != nil || len(revs) != 2 || revs[0].Problems != 0 {
		t.Fatalf("history %+v %v", revs, err)
	}
	y, err := w.self.Record(ctx, biz.ID, selfcheck.PeriodOf(selfcheck.Daily, now.AddDate(0, 0, -1)))
	if err != nil || !y.Late || y.Revision != 1 {
		t.Fatalf("yesterday %+v %v", y, err)
	}
	if m, err := w.self.ReminderMinute(ctx, biz.ID); err != nil || m != 18*60 {
		t.Fatalf("reminder time %d %v", m, err)
	}
}

// TestWeeklyReview: the week's daily records are shown; an open problem
// is listed, then the review is amended once it is fixed.
func TestWeeklyReview(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	biz := w.operating(t, registry.CategoryCanteen, 0)
	officer := w.bindContact(t, "o-week", biz.ID, account.ContactOfficer)
	for _, d := range []struct {
		day      time.Time
		problems []selfcheck.Problem
	}{
		{now.AddDate(0, 0, -3), []selfcheck.Problem{{RiskID: "special_room", Note: "专间紫外线灯不亮，已报修"}}},
		{now.AddDate(0, 0, -2), []selfcheck.Problem{{RiskID: "sample_retention", Note: "晚餐留样漏记一样，已补留", Resolved: true}}},
		{now.AddDate(0, 0, -1), nil},
	} {
		if _, err := w.self.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: "wk-" + d.day.Format("0102"), ContactID: officer.ID, Day: d.day, Problems: d.problems}); err != nil {
			t.Fatal(err)
		}
	}
	c := w.chat(t, "o-week")
	c.Say("周排查")
	c.Say("也许")
	c.Say("否")
	c.Say("专间紫外线灯待更换，12月1日前完成")
	c.Say("气温下降，注意冷藏设备和燃气安全")
	c.Note("灯已换好，重新填写")
	c.Say("周排查")
	c.Say("是")
	c.Say("无")
	dialogtest.Golden(t, "selfcheck_weekly", scrubLedger(c.Transcript()))

	r, err := w.self.Record(ctx, biz.ID, selfcheck.PeriodOf(selfcheck.Weekly, now))
	if err != nil || r.Revision != 2 || !r.Body.Resolved || r.Open != 0 || r.Body.Week.Recorded != 3 {
		t.Fatalf("weekly record %+v %v", r, err)
	}
}

// TestMonthlyDispatch: the principal holds the month's dispatch; the
// officer of another business records one too (accepted, and said so);
// early in December November can still be recorded, late.
func TestMonthlyDispatch(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	biz := w.operating(t, registry.CategorySales, 0)
	principal := w.bindContact(t, "o-boss", biz.ID, account.ContactPrincipal)
	if _, err := w.self.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: "m-1", ContactID: principal.ID,
		Problems: []selfcheck.Problem{{RiskID: "expiry_handling", Note: "两包饼干过期，已下架销毁", Resolved: true}}}); err != nil {
		t.Fatal(err)
	}
	c := w.chat(t, "o-boss")
	c.Say("月调度")
	c.Say(strings.Repeat("长", 501))
	c.Say("本月食品安全状况良好，过期食品已及时清理")
	c.Say("开展冬季食品安全专项自查，组织从业人员培训")
	dialogtest.Golden(t, "selfcheck_monthly", scrubLedger(c.Transcript()))

	other := w.operating(t, registry.CategoryCatering, 1)
	w.bindContact(t, "o-other-officer", other.ID, account.ContactOfficer)
	w.clk.Set(time.Date(2026, 12, 2, 10, 0, 0, 0, clock.China))
	o := w.chat(t, "o-other-officer")
	o.Say("月调度")
	o.Say("上月")
	o.Say("11月各项工作正常")
	o.Say("做好元旦期间食品安全保障")
	o.Say("月调度")
	o.Say("取消")
	dialogtest.Golden(t, "selfcheck_monthly_late", scrubLedger(o.Transcript()))

	r, err := w.self.Record(ctx, other.ID, selfcheck.PeriodOf(selfcheck.Monthly, now))
	if err != nil || !r.Late || r.ContactRole != account.ContactOfficer {
		t.Fatalf("November's dispatch, recorded late by the officer: %+v %v", r, err)
	}
}

// TestSelfCheckForOthers: cadres and managers are told the records are the
// business's; a manager's 进度 shows the village's rate.
func TestSelfCheckForOthers(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	cadre, _ := w.cadreWithTasks(t)
	w.bind(t, "o-cadre-sc", account.RoleCadre, cadre.ID)
	c := w.chat(t, "o-cadre-sc")
	must(t, c.Say("日管控").Text, "包保主体")

	biz := w.operating(t, registry.CategoryCatering, 0)
	contact := w.bindContact(t, "o-sc", biz.ID, account.ContactPrincipal)
	if _, err := w.self.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: "o-1", ContactID: contact.ID}); err != nil {
		t.Fatal(err)
	}
	region, err := w.reg.Region(ctx, biz.RegionID)
	if err != nil {
		t.Fatal(err)
	}
	offices, err := w.reg.Offices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range offices {
		r, err := w.reg.Region(ctx, o.RegionID)
		if err != nil || !r.Contains(*region) || r.Level != registry.LevelTown {
			continue // a district office's 进度 lists towns, not villages
		}
		ms, err := w.reg.Managers(ctx, o.ID)
		if err != nil || len(ms) == 0 {
			t.Fatalf("managers of %s: %v", o.Name, err)
		}
		w.bind(t, "o-mgr-sc", account.RoleManager, ms[0].ID)
		out := w.chat(t, "o-mgr-sc").Say("进度").Text
		must(t, out, "日管控（近7天）", "· "+region.Name+" ")
		if !regexp.MustCompile(`· ` + region.Name + ` 1/\d+家有记录，按天计[0-9.]+%`).MatchString(out) {
			t.Fatalf("the village's rate does not count the record:\n%s", out)
		}
		return
	}
	t.Fatal("no office covers the business")
}

// TestVisitShowsSelfCheck: a full visit shows the business's record counts
// since its last visit on the daily_weekly_monthly item, pre-set to 合格
// (kept by 全部合格), and stores them in the visit's remarks.
func TestVisitShowsSelfCheck(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-cadre-v", account.RoleCadre, cadre.ID)
	biz, err := w.reg.Business(ctx, tasks[0].BusinessID)
	if err != nil {
		t.Fatal(err)
	}
	contact := w.bindContact(t, "o-biz-v", biz.ID, account.ContactPrincipal)
	for d := range 3 {
		if _, err := w.self.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: "v-" + string(rune('a'+d)), ContactID: contact.ID, Day: now.AddDate(0, 0, -d)}); err != nil {
			t.Fatal(err)
		}
	}
	c := w.chat(t, "o-cadre-v")
	for _, s := range []string{"上报督导", "1", "在线", "全面", "1", "1", "1", "1"} {
		c.Say(s)
	}
	prompt := c.Reply().Text
	must(t, prompt, "日管控周排查月调度记录", "以来日管控3天、周排查0次、月调度0次", "当前：合格", "/h5/ledger/")
	c.Say("不变")
	c.Say("全部合格")
	c.Say("确认")
	must(t, c.Reply().Text, "督导已提交")
	dialogtest.Golden(t, "selfcheck_visit_prefill", scrubLedger(c.Transcript()))

	vs, err := w.sup.RecentVisits(ctx, cadre.ID, 1)
	if err != nil || len(vs) != 1 {
		t.Fatalf("recent visits %+v %v", vs, err)
	}
	v, err := w.sup.Visit(ctx, vs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(v.Remarks, "日管控3天") {
		t.Fatalf("remarks %q", v.Remarks)
	}
	for _, it := range v.Items {
		if it.ItemID == "daily_weekly_monthly" && it.Result != supervision.ResultOK {
			t.Fatalf("daily_weekly_monthly = %s", it.Result)
		}
	}
}
