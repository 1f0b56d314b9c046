package meeting_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/meeting"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

func TestRemindersAndFollowUp(t *testing.T) {
	e := openEnv(t)
	ctx := context.Background()
	// A 主体培训 for 胡埭镇's catering businesses: 马鞍面馆 and 张舍烧烤,
	// both with a bound contact.
	m, err := e.svc.Create(ctx, e.town.Path, meeting.Input{
		Kind: meeting.KindBusinessTraining, Title: "餐饮主体分批培训", StartsAt: meetingAt, EndsAt: meetingAt.Add(time.Hour),
		Place: "胡埭镇便民服务中心", RegionID: e.town.ID, QuizID: "business_main_duty",
		Rule: meeting.Rule{BusinessesOf: e.town.ID, Categories: []registry.Category{registry.CategoryCatering}},
	}, "user:hudai")
	must(t, err)
	if !strings.Contains(m.RuleText, "餐饮") || e.out.count(meeting.KindInvited, notify.ToContact) != 2 {
		t.Fatalf("rule %q, invitations %d", m.RuleText, e.out.count(meeting.KindInvited, notify.ToContact))
	}
	_, err = e.svc.Answer(ctx, chat.ChannelOA, "contact-张舍烧烤", false, "店里装修")
	must(t, err)

	tick := func(want int) {
		t.Helper()
		n, err := e.svc.Tick(ctx)
		must(t, err)
		if n != want {
			t.Fatalf("tick at %v handled %d meetings, want %d", e.clk.Now(), n, want)
		}
	}
	e.clk.Set(meetingAt.Add(-30 * time.Hour))
	tick(0)
	e.clk.Set(meetingAt.Add(-20 * time.Hour))
	tick(1)
	tick(0)
	// The excused business gets no reminder.
	if got := e.out.count(meeting.KindReminder, notify.ToContact); got != 1 {
		t.Fatalf("day-before reminders = %d, want 1", got)
	}
	e.clk.Set(meetingAt.Add(-90 * time.Minute))
	tick(1)
	if got := e.out.count(meeting.KindReminder, notify.ToContact); got != 2 {
		t.Fatalf("reminders after two hours before = %d, want 2", got)
	}
	e.clk.Set(meetingAt.Add(2 * time.Hour))
	tick(1)
	tick(0)
	// Both absentees get the materials and quiz; 马鞍面馆 (absent, not
	// excused) is reported to its cadre 王建国.
	if got := e.out.count(meeting.KindFollowUp, notify.ToContact); got != 2 {
		t.Fatalf("follow-ups = %d, want 2", got)
	}
	var absent []notify.Message
	for _, msg := range e.out.msgs {
		if msg.Kind == meeting.KindAbsent {
			absent = append(absent, msg)
		}
	}
	if len(absent) != 1 || absent[0].To.ID != e.c1.ID || !strings.Contains(absent[0].Text, "马鞍面馆") {
		t.Fatalf("absent notices = %+v", absent)
	}
	c, err := e.svc.Counts(ctx, m)
	must(t, err)
	if c.Absent != 1 || c.Excused != 1 {
		t.Fatalf("counts = %+v", c)
	}
	// The absentee takes the quiz afterwards.
	_, q, err := e.svc.QuizFor(ctx, chat.ChannelOA, "contact-马鞍面馆")
	must(t, err)
	var answers strings.Builder
	for _, qu := range q.Questions {
		answers.WriteString(strings.ToLower(qu.Answer))
	}
	a, _, err := e.svc.TakeQuiz(ctx, chat.ChannelOA, "contact-马鞍面馆", answers.String())
	must(t, err)
	if !a.Passed || a.Score != len(q.Questions) {
		t.Fatalf("attempt = %+v", a)
	}
}

func TestQuizScore(t *testing.T) {
	qs, err := meeting.DefaultQuizzes()
	must(t, err)
	q, ok := qs.Get("cadre_key_points")
	if !ok {
		t.Fatal("no cadre quiz")
	}
	for _, tc := range []struct {
		name, answers string
		right         int
		passed        bool
		err           bool
	}{
		{"AllRight", "BCABB", 5, true, false},
		{"Spaced", "b, c, a, b, b", 5, true, false},
		{"FullWidth", "ＢＣＡＢＡ", 4, true, false},
		{"Fails", "AAAAA", 1, false, false},
		{"TooFew", "BCA", 0, false, true},
		{"NotAnOption", "BCABE", 0, false, true},
		{"Garbage", "你好", 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, right, passed, err := q.Score(tc.answers)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			if tc.err {
				if !errs.Is(err, errs.Invalid) {
					t.Fatalf("err %v is not Invalid", err)
				}
				return
			}
			if right != tc.right || passed != tc.passed {
				t.Fatalf("right %d passed %v, want %d %v", right, passed, tc.right, tc.passed)
			}
		})
	}
	if _, err := meeting.LoadQuizzes([]byte("quizzes:\n  - id: x\n    title: t\n    pass: 3\n    questions:\n      - q: a\n        options: [a, b]\n        answer: C\n")); err == nil {
		t.Fatal("a quiz of one question with a bad answer loaded")
	}
}

func TestCentralizedCountsAsVisits(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		m, err := e.svc.Create(ctx, e.town.Path, meeting.Input{
			Kind: meeting.KindCentralized, Title: "马鞍村集中督导", StartsAt: meetingAt, EndsAt: meetingAt.Add(2 * time.Hour),
			Place: "马鞍村委会", RegionID: e.town.ID, PresidingCadreID: e.c3.ID,
			Rule: meeting.Rule{BusinessIDs: []int64{e.biz["马鞍面馆"].ID, e.biz["马鞍超市"].ID, e.biz["张舍烧烤"].ID}},
		}, "user:hudai")
		must(t, err)
		if _, err := e.svc.RecordResults(ctx, e.town.Path, m.ID, nil, "user:hudai"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("results before the start: %v", err)
		}
		e.clk.Set(meetingAt.Add(5 * time.Minute))
		_, err = e.svc.CheckInByScene(ctx, chat.ChannelOA, "contact-马鞍面馆", e.svc.Scene(m.ID))
		must(t, err)
		_, err = e.svc.CheckInByHand(ctx, e.town.Path, m.ID, meeting.PersonBusiness, e.biz["马鞍超市"].ID, "", "user:hudai")
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("by hand without a reason: %v", err)
		}
		_, err = e.svc.CheckInByHand(ctx, e.town.Path, m.ID, meeting.PersonBusiness, e.biz["马鞍超市"].ID, "手机没电，现场确认", "user:hudai")
		must(t, err)
		_, err = e.svc.CheckInByHand(ctx, e.other.Path, m.ID, meeting.PersonBusiness, e.biz["马鞍超市"].ID, "越权", "user:lihu")
		if !errs.Is(err, errs.NotFound) {
			t.Fatalf("by hand outside the scope: %v", err)
		}
		quick := e.visits.Checklists().Quick()
		e.clk.Set(meetingAt.Add(90 * time.Minute))
		results := []meeting.Result{
			{BusinessID: e.biz["马鞍面馆"].ID, Passed: true},
			{BusinessID: e.biz["马鞍超市"].ID, ItemID: quick[0].ID, Note: "货架上有过期饮料"},
			{BusinessID: e.biz["张舍烧烤"].ID, Passed: true}, // did not come
		}
		out, err := e.svc.RecordResults(ctx, e.town.Path, m.ID, results, "user:hudai")
		must(t, err)
		if len(out) != 3 || out[0].VisitID == 0 || out[1].VisitID == 0 || out[2].Err == "" {
			t.Fatalf("outcomes = %+v", out)
		}
		for _, name := range []string{"马鞍面馆", "马鞍超市"} {
			covered, _, err := e.visits.Covered(ctx, e.biz[name].ID)
			must(t, err)
			if !covered {
				t.Fatalf("%s is not covered by the 集中督导", name)
			}
		}
		covered, _, err := e.visits.Covered(ctx, e.biz["张舍烧烤"].ID)
		must(t, err)
		if covered {
			t.Fatal("an absent business is covered")
		}
		var modes []string
		must(t, e.d.Gorm(ctx).Model(&supervision.Visit{}).Where("remarks LIKE ?", "%马鞍村集中督导%").Order("id").Pluck("mode", &modes).Error)
		if len(modes) != 2 || modes[0] != string(supervision.ModeCentralized) {
			t.Fatalf("visit modes = %v", modes)
		}
		// Recording again stores nothing twice.
		again, err := e.svc.RecordResults(ctx, e.town.Path, m.ID, results[:2], "user:hudai")
		must(t, err)
		if again[0].Created || again[0].VisitID != out[0].VisitID {
			t.Fatalf("again = %+v", again)
		}
		var visits, findings, hand int64
		must(t, e.d.Gorm(ctx).Model(&supervision.Visit{}).Where("mode = ?", supervision.ModeCentralized).Count(&visits).Error)
		must(t, e.d.Gorm(ctx).Table("findings").Count(&findings).Error)
		must(t, e.d.Gorm(ctx).Model(&audit.Entry{}).Where("action = ?", "meeting.checkin").Count(&hand).Error)
		if visits != 2 || findings != 1 || hand != 1 {
			t.Fatalf("visits %d findings %d hand check-ins audited %d", visits, findings, hand)
		}
	})
}
