package selfcheck_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/supervision"
)

func TestDaily(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		officer := e.contact(t, "张舍烧烤", account.ContactOfficer)
		biz := e.biz["张舍烧烤"]

		t.Run("ZeroRisk", func(t *testing.T) {
			s, err := e.svc.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: "k-zero", ContactID: officer.ID})
			if err != nil {
				t.Fatal(err)
			}
			r := s.Record
			if s.Revision != 1 || s.Late || s.Repeated || r.Problems != 0 || r.Period != "2026-11-25" || r.ContactRole != account.ContactOfficer {
				t.Fatalf("saved %+v", s)
			}
			if n := len(r.Body.Items); n != len(e.svc.Risks().For(registry.CategoryCatering)) || n < 10 {
				t.Fatalf("%d points recorded", n)
			}
		})
		t.Run("RepeatedDelivery", func(t *testing.T) {
			s, err := e.svc.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: "k-zero", ContactID: officer.ID})
			if err != nil || !s.Repeated || s.Revision != 1 {
				t.Fatalf("repeat: %+v %v", s, err)
			}
			if n := count(t, e.d, "selfcheck_revisions", "business_id = ?", biz.ID); n != 1 {
				t.Fatalf("%d revisions after a repeated delivery", n)
			}
		})
		t.Run("AmendKeepsHistory", func(t *testing.T) {
			s, err := e.svc.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: "k-amend", ContactID: officer.ID, Problems: []selfcheck.Problem{
				{RiskID: "cold_storage_temp", Note: "冷藏柜温度12℃，已调整温控，食品转移至备用冰箱", Resolved: true},
				{RiskID: "pest_control", Note: "后门纱帘破损，已报修"},
			}})
			if err != nil {
				t.Fatal(err)
			}
			if s.Revision != 2 || s.Record.Problems != 2 || s.Record.Open != 1 {
				t.Fatalf("amended %+v", s)
			}
			if n := count(t, e.d, "selfcheck_records", "business_id = ? AND kind = ?", biz.ID, selfcheck.Daily); n != 1 {
				t.Fatalf("%d daily records after an amendment", n)
			}
			revs, err := e.svc.Revisions(ctx, s.Record.ID)
			if err != nil || len(revs) != 2 || revs[0].Problems != 0 || revs[1].Problems != 2 {
				t.Fatalf("history %+v %v", revs, err)
			}
		})
		t.Run("Late", func(t *testing.T) {
			s, err := e.svc.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: key(), ContactID: officer.ID, Day: start.AddDate(0, 0, -3)})
			if err != nil || !s.Late || !s.Record.Late || s.Record.Period != "2026-11-22" {
				t.Fatalf("late: %+v %v", s, err)
			}
		})
		t.Run("ErrTooLate", func(t *testing.T) {
			_, err := e.svc.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: key(), ContactID: officer.ID, Day: start.AddDate(0, 0, -4)})
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("4 days back: %v", err)
			}
		})
		t.Run("ErrFuture", func(t *testing.T) {
			_, err := e.svc.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: key(), ContactID: officer.ID, Day: start.AddDate(0, 0, 1)})
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("tomorrow: %v", err)
			}
		})
		t.Run("ErrBadProblems", func(t *testing.T) {
			for _, ps := range [][]selfcheck.Problem{
				{{RiskID: "label_shelf_life", Note: "x"}}, // a sales point, not catering
				{{RiskID: "pest_control", Note: " "}},
				{{RiskID: "pest_control", Note: "a"}, {RiskID: "pest_control", Note: "b"}},
			} {
				if _, err := e.svc.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: key(), ContactID: officer.ID, Problems: ps}); !errs.Is(err, errs.Invalid) {
					t.Errorf("%+v: %v", ps, err)
				}
			}
		})
		t.Run("ErrKeyOfAnotherRecord", func(t *testing.T) {
			other := e.contact(t, "马鞍面馆", account.ContactPrincipal)
			_, err := e.svc.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: "k-zero", ContactID: other.ID})
			if !errs.Is(err, errs.Conflict) {
				t.Fatalf("a key reused for another business: %v", err)
			}
		})
		t.Run("ErrSuspended", func(t *testing.T) {
			b := e.biz["马鞍超市"]
			if _, err := e.reg.ChangeStatus(ctx, b.ID, registry.StatusChange{Kind: registry.EventSuspended, EffectiveOn: start, Actor: "test", Source: registry.SourceConsole}); err != nil {
				t.Fatal(err)
			}
			_, err := e.svc.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: key(), ContactID: e.contact(t, "马鞍超市", account.ContactOfficer).ID})
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("suspended: %v", err)
			}
		})
	})
}

// TestOnePerDayUnderConcurrency: many contacts and repeated deliveries
// submitting the same day at once still make one record, with every
// distinct submission a revision of it and each delivered key once.
func TestOnePerDayUnderConcurrency(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		name := "胡埭中学食堂"
		biz := e.biz[name]
		roles := []account.ContactRole{account.ContactPrincipal, account.ContactDirector, account.ContactOfficer}
		const submissions, deliveries = 6, 3
		var wg sync.WaitGroup
		errc := make(chan error, submissions*deliveries)
		for i := range submissions {
			k := key()
			c := e.contact(t, name, roles[i%len(roles)])
			for range deliveries {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := e.svc.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: k, ContactID: c.ID,
						Photos: []supervision.PhotoInput{{MediaID: "m-" + k}}})
					errc <- err
				}()
			}
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := count(t, e.d, "selfcheck_records", "business_id = ? AND kind = ?", biz.ID, selfcheck.Daily); n != 1 {
			t.Fatalf("%d daily records for one day", n)
		}
		if n := count(t, e.d, "selfcheck_revisions", "business_id = ?", biz.ID); n != submissions {
			t.Fatalf("%d revisions for %d submissions", n, submissions)
		}
		if n := count(t, e.d, "selfcheck_photos", "business_id = ?", biz.ID); n != submissions {
			t.Fatalf("%d photos for %d submissions", n, submissions)
		}
		r, err := e.svc.Record(ctx, biz.ID, selfcheck.PeriodOf(selfcheck.Daily, start))
		if err != nil || r.Revision != submissions {
			t.Fatalf("record %+v %v", r, err)
		}
		revs, err := e.svc.Revisions(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, rv := range revs {
			if rv.Revision != i+1 {
				t.Fatalf("revisions %+v", revs)
			}
		}
	})
}

func TestWeeklyAndMonthly(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		name := "胡埭中学食堂"
		biz := e.biz[name]
		e.clk.Set(at(2026, 11, 23, 17, 0)) // Monday
		e.daily(t, name, e.clk.Now())
		e.clk.Set(at(2026, 11, 25, 17, 0))
		e.daily(t, name, e.clk.Now(), selfcheck.Problem{RiskID: "sample_retention", Note: "午餐留样不足125克，已补留", Resolved: true},
			selfcheck.Problem{RiskID: "special_room", Note: "专间紫外线灯损坏，已报修"})
		e.clk.Set(at(2026, 11, 28, 17, 0)) // Saturday

		week := selfcheck.PeriodOf(selfcheck.Weekly, e.clk.Now())
		sum, err := e.svc.WeekSummary(ctx, biz.ID, week)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Days != 6 || sum.Recorded != 2 || len(sum.Missing) != 4 || len(sum.Problems) != 2 || sum.Open != 1 {
			t.Fatalf("week summary %+v", sum)
		}
		director := e.contact(t, name, account.ContactDirector)
		t.Run("ErrOpenItemsMissing", func(t *testing.T) {
			_, err := e.svc.SubmitWeekly(ctx, selfcheck.WeeklyInput{SubmissionKey: key(), ContactID: director.ID, NextRisks: "降温注意燃气安全"})
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("not resolved, no open items: %v", err)
			}
		})
		s, err := e.svc.SubmitWeekly(ctx, selfcheck.WeeklyInput{SubmissionKey: key(), ContactID: director.ID,
			OpenItems: "专间紫外线灯待更换，周一前完成", NextRisks: "气温下降，注意冷藏设备和燃气安全"})
		if err != nil {
			t.Fatal(err)
		}
		if !s.RoleMatches || s.Record.Period != "2026-W48" || s.Record.Open != 1 || s.Record.Body.Week.Recorded != 2 {
			t.Fatalf("weekly %+v", s)
		}
		officer := e.contact(t, name, account.ContactOfficer)
		m, err := e.svc.SubmitMonthly(ctx, selfcheck.MonthlyInput{SubmissionKey: key(), ContactID: officer.ID,
			Conclusions: "本月食品安全状况总体良好", KeyWork: "开展冬季食品安全专项自查"})
		if err != nil {
			t.Fatal(err)
		}
		f := m.Record.Body.Month
		if m.RoleMatches || f.Recorded != 2 || f.Days != 28 || f.Problems != 2 || f.Open != 1 || f.Weekly != 1 {
			t.Fatalf("monthly by the officer %+v %+v", m, f)
		}
		// The review confirms everything resolved: the month has nothing open.
		if _, err := e.svc.SubmitWeekly(ctx, selfcheck.WeeklyInput{SubmissionKey: key(), ContactID: director.ID, Resolved: true, NextRisks: "无"}); err != nil {
			t.Fatal(err)
		}
		fig, err := e.svc.MonthFigures(ctx, biz.ID, selfcheck.PeriodOf(selfcheck.Monthly, e.clk.Now()))
		if err != nil || fig.Open != 0 {
			t.Fatalf("figures after the review %+v %v", fig, err)
		}
		c, err := e.svc.SinceLastVisit(ctx, biz.ID)
		if err != nil || c.Visited || c.Daily != 2 || c.Weekly != 1 || c.Monthly != 1 {
			t.Fatalf("counts %+v %v", c, err)
		}
	})
}

func TestLedgerAndAuthorize(t *testing.T) {
	e := openEnv(t)
	ctx := context.Background()
	name := "马鞍面馆"
	biz := e.biz[name]
	e.daily(t, name, start.AddDate(0, 0, -1))
	e.daily(t, name, start)
	e.daily(t, name, start, selfcheck.Problem{RiskID: "kitchen_waste", Note: "泔水桶未加盖，已加盖"})
	l, err := e.svc.Ledger(ctx, biz.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Days) != 30 || l.Days[23].Record == nil || l.Days[24].Record == nil || l.Days[24].Record.Revision != 2 || !l.Days[25].Future {
		t.Fatalf("ledger days %+v", l.Days[22:26])
	}
	if len(l.History) != 2 || l.NextMonth != "" || l.PrevMonth != "2026-10" {
		t.Fatalf("ledger %+v", l)
	}
	if _, err := e.svc.Ledger(ctx, biz.ID, "2026-12"); !errs.Is(err, errs.Invalid) {
		t.Fatalf("a month to come: %v", err)
	}
	for _, tc := range []struct {
		name   string
		reader registry.Actor
		ok     bool
	}{
		{"OwnContact", registry.ActorOf("contact", e.contact(t, name, account.ContactPrincipal).ID), true},
		{"Cadre", registry.ActorOf("cadre", e.c1.ID), true},
		{"ErrOtherContact", registry.ActorOf("contact", e.contact(t, "张舍烧烤", account.ContactOfficer).ID), false},
		{"ErrOtherCadre", registry.ActorOf("cadre", e.c2.ID), false},
		{"ErrManager", registry.ActorOf("manager", 1), false},
		{"ErrJunk", "contact:x", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.svc.Authorize(ctx, biz.ID, tc.reader)
			if tc.ok != (err == nil) || (!tc.ok && !errs.Is(err, errs.Forbidden)) {
				t.Fatalf("%s: %v", tc.reader, err)
			}
		})
	}
}

func TestRatesByVillage(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for d := range 3 {
			e.daily(t, "马鞍面馆", start.AddDate(0, 0, -d))
		}
		e.daily(t, "张舍烧烤", start)
		// Outside the span: not counted.
		e.daily(t, "张舍烧烤", start.AddDate(0, 0, -3))
		r, err := e.svc.RatesByVillage(ctx, e.town.Path, start.AddDate(0, 0, -2), start)
		if err != nil {
			t.Fatal(err)
		}
		if r.Days != 3 || len(r.ByVillage) != 2 || r.Total.Businesses != 5 || r.Total.Recorded != 4 || r.Total.Keeping != 2 {
			t.Fatalf("rates %+v", r)
		}
		v1, v2 := r.ByVillage[0], r.ByVillage[1]
		if v1.Name != "马鞍村" || v1.Businesses != 3 || v1.Recorded != 3 || v1.Percent < 33.3 || v1.Percent > 33.4 ||
			v2.Name != "张舍村" || v2.Businesses != 2 || v2.Recorded != 1 {
			t.Fatalf("by village %+v", r.ByVillage)
		}
		if _, err := e.svc.RatesByVillage(ctx, "bad", start, start); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad scope: %v", err)
		}
		if _, err := e.svc.RatesByVillage(ctx, "", start, start.AddDate(0, 0, -1)); !errs.Is(err, errs.Invalid) {
			t.Fatalf("backwards span: %v", err)
		}
	})
}

func TestPeriods(t *testing.T) {
	for _, tc := range []struct {
		kind              selfcheck.Kind
		at                time.Time
		key, first, label string
	}{
		{selfcheck.Daily, at(2026, 11, 28, 23, 59), "2026-11-28", "2026-11-28", "11月28日"},
		{selfcheck.Weekly, at(2026, 11, 29, 12, 0), "2026-W48", "2026-11-23", "11月23日—11月29日"},
		{selfcheck.Weekly, at(2027, 1, 1, 8, 0), "2026-W53", "2026-12-28", "12月28日—1月3日"},
		{selfcheck.Monthly, at(2026, 2, 28, 8, 0), "2026-02", "2026-02-01", "2026年2月"},
		{selfcheck.Daily, time.Date(2026, 11, 27, 16, 30, 0, 0, time.UTC), "2026-11-28", "2026-11-28", "11月28日"},
	} {
		p := selfcheck.PeriodOf(tc.kind, tc.at)
		if p.Key != tc.key || p.Start.Format("2006-01-02") != tc.first || p.Label() != tc.label {
			t.Errorf("%s %v: %+v %s", tc.kind, tc.at, p, p.Label())
		}
		back, err := selfcheck.ParsePeriod(tc.kind, p.Key)
		if err != nil || back.Key != p.Key || !back.Start.Equal(p.Start) {
			t.Errorf("parse %s: %+v %v", p.Key, back, err)
		}
	}
	for _, bad := range []string{"2026-W54", "2025-W53", "2026-13", "x"} {
		if _, err := selfcheck.ParsePeriod(selfcheck.Weekly, bad); err == nil && bad != "2026-13" {
			t.Errorf("week %q parsed", bad)
		}
	}
	if _, err := selfcheck.ParsePeriod(selfcheck.Monthly, "2026-13"); err == nil {
		t.Error("month 13 parsed")
	}
	week := selfcheck.PeriodOf(selfcheck.Weekly, at(2026, 11, 25, 9, 0))
	for _, tc := range []struct {
		today    time.Time
		ok, late bool
	}{
		{at(2026, 11, 22, 9, 0), false, false},
		{at(2026, 11, 23, 9, 0), true, false},
		{at(2026, 12, 2, 9, 0), true, true},
		{at(2026, 12, 3, 9, 0), false, false},
	} {
		if ok, late := week.Open(tc.today); ok != tc.ok || late != tc.late {
			t.Errorf("week open on %v: %v %v", tc.today, ok, late)
		}
	}
}
