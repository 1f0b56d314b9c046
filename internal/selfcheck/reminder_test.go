package selfcheck_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
)

// recipients lists the contact ids messages go to.
func recipients(msgs []notify.Message) []int64 {
	var out []int64
	for _, m := range msgs {
		out = append(out, m.To.ID)
	}
	slices.Sort(out)
	return out
}

func TestReminders(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// A Wednesday: only daily controls are due.
		due := func(h, m int) []notify.Message {
			t.Helper()
			msgs, err := e.svc.Due(ctx, at(2026, 11, 25, h, m))
			if err != nil {
				t.Fatal(err)
			}
			return msgs
		}
		if msgs := due(15, 59); len(msgs) != 0 {
			t.Fatalf("before 16:00: %+v", msgs)
		}
		if msgs, err := e.svc.Due(ctx, at(2026, 11, 24, 16, 0)); err != nil || len(msgs) != 0 {
			t.Fatalf("a day already past: %+v %v", msgs, err)
		}
		msgs := due(16, 0)
		// 张舍副食店 has no bound contact; the canteen's and the
		// supermarket's officers are reminded, not their principals.
		want := []int64{
			e.contact(t, "马鞍面馆", account.ContactPrincipal).ID,
			e.contact(t, "马鞍超市", account.ContactOfficer).ID,
			e.contact(t, "胡埭中学食堂", account.ContactOfficer).ID,
			e.contact(t, "张舍烧烤", account.ContactOfficer).ID,
		}
		slices.Sort(want)
		if got := recipients(msgs); !slices.Equal(got, want) {
			t.Fatalf("reminded %v, want %v", got, want)
		}
		m := msgs[0]
		if m.Kind != selfcheck.KindReminder || m.Cycle != "2026-11-25" || !strings.Contains(m.Text, "日管控") ||
			strings.Contains(m.Text, "周排查") || len([]rune(m.Title)) > 20 {
			t.Fatalf("message %+v", m)
		}

		t.Run("RecordedTodayGetsNone", func(t *testing.T) {
			e.daily(t, "马鞍面馆", start)
			for _, m := range due(16, 30) {
				if m.To.ID == e.contact(t, "马鞍面馆", account.ContactPrincipal).ID {
					t.Fatalf("reminded after recording: %+v", m)
				}
			}
		})
		t.Run("SuspendedGetsNone", func(t *testing.T) {
			b := e.biz["张舍烧烤"]
			if _, err := e.reg.ChangeStatus(ctx, b.ID, registry.StatusChange{Kind: registry.EventSuspended, EffectiveOn: start, Actor: "test", Source: registry.SourceConsole}); err != nil {
				t.Fatal(err)
			}
			for _, m := range due(16, 30) {
				if m.Subject == "business:"+itoa(b.ID) {
					t.Fatalf("a suspended business reminded: %+v", m)
				}
			}
		})
		t.Run("OwnTime", func(t *testing.T) {
			officer := e.contact(t, "马鞍超市", account.ContactOfficer)
			if err := e.svc.SetReminder(ctx, officer.ID, 18*60); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.SetReminder(ctx, officer.ID, 23*60); !errs.Is(err, errs.Invalid) {
				t.Fatalf("23:00 accepted: %v", err)
			}
			if min, err := e.svc.ReminderMinute(ctx, e.biz["马鞍超市"].ID); err != nil || min != 18*60 {
				t.Fatalf("reminder time %d %v", min, err)
			}
			for _, m := range due(17, 59) {
				if m.To.ID == officer.ID {
					t.Fatal("reminded before the business's own time")
				}
			}
			if !slices.Contains(recipients(due(18, 0)), officer.ID) {
				t.Fatal("not reminded at the business's own time")
			}
		})
	})
}

func TestWeekAndMonthEndReminders(t *testing.T) {
	e := openEnv(t)
	ctx := context.Background()
	name := "胡埭中学食堂"
	// Saturday 28 November: the weekly review and (last three days) the
	// monthly dispatch are due too.
	e.clk.Set(at(2026, 11, 28, 10, 0))
	e.daily(t, name, e.clk.Now())
	msgs, err := e.svc.Due(ctx, at(2026, 11, 28, 16, 0))
	if err != nil {
		t.Fatal(err)
	}
	byContact := map[int64]string{}
	for _, m := range msgs {
		if m.Subject == "business:"+itoa(e.biz[name].ID) {
			byContact[m.To.ID] = m.Fields["items"]
		}
	}
	want := map[int64]string{
		e.contact(t, name, account.ContactPrincipal).ID: "月调度",
		e.contact(t, name, account.ContactDirector).ID:  "周排查",
		e.contact(t, name, account.ContactOfficer).ID:   "周排查",
	}
	if len(byContact) != len(want) {
		t.Fatalf("reminded %v, want %v", byContact, want)
	}
	for id, items := range want {
		if byContact[id] != items {
			t.Fatalf("reminded %v, want %v", byContact, want)
		}
	}
	// One contact of a shop hears of everything.
	for _, m := range msgs {
		if m.To.ID == e.contact(t, "马鞍面馆", account.ContactPrincipal).ID && m.Fields["items"] != "日管控、周排查、月调度" {
			t.Fatalf("the one contact of a shop: %q", m.Fields["items"])
		}
	}
}

func TestRemindTick(t *testing.T) {
	e := openEnv(t)
	ctx := context.Background()
	tick := func(h, m int) int {
		t.Helper()
		e.clk.Set(at(2026, 11, 25, h, m))
		n, err := e.svc.RemindTick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := tick(15, 0); n != 0 {
		t.Fatalf("15:00 queued %d", n)
	}
	if n := tick(16, 1); n != 4 {
		t.Fatalf("16:01 queued %d", n)
	}
	if n := tick(16, 2); n != 0 {
		t.Fatalf("16:02 queued %d again", n)
	}
	// The planner's daily source makes the same messages: nothing new.
	msgs, err := e.svc.Due(ctx, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := e.out.Enqueue(ctx, msgs...); n != 0 || len(msgs) != 4 {
		t.Fatalf("the source planned %d, %d new", len(msgs), n)
	}
}

func TestParseRemindTime(t *testing.T) {
	for in, want := range map[string]int{
		"18:00": 18 * 60, "18：30": 18*60 + 30, "８:05": 8*60 + 5, "18点": 18 * 60, "6点半": 6*60 + 30,
		"下午6点": 18 * 60, "晚上8点15分": 20*60 + 15, "16": 16 * 60, "17.45": 17*60 + 45,
	} {
		if got, ok := selfcheck.ParseRemindTime(in); !ok || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "25:00", "18:60", "明天", "18:0", "十八点"} {
		if got, ok := selfcheck.ParseRemindTime(bad); ok {
			t.Errorf("%q parsed as %d", bad, got)
		}
	}
}

func FuzzParseRemindTime(f *testing.F) {
	for _, s := range []string{"18:00", "下午6点半", "6点", "99", "：", "点"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if m, ok := selfcheck.ParseRemindTime(s); ok && (m < 0 || m >= 24*60) {
			t.Fatalf("%q → %d", s, m)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
