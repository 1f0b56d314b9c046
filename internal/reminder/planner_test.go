package reminder_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/demo/demotest"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/reminder"
	"github.com/shianbao/shianbao/internal/supervision"
)

func TestStages(t *testing.T) {
	cases := []struct {
		daysLeft int
		want     string
	}{{30, ""}, {15, ""}, {14, "t-14"}, {8, "t-14"}, {7, "t-7"}, {2, "t-7"}, {1, "t-1"}, {0, "t-1"}, {-1, ""}}
	for _, tc := range cases {
		if got := reminder.StageOf(reminder.DefaultSettings(), tc.daysLeft); got != tc.want {
			t.Errorf("%d days left: %q, want %q", tc.daysLeft, got, tc.want)
		}
	}
	for _, bad := range []reminder.Settings{
		{Stages: []int{7, 7}, EscalateAfter: 3, CatchUp: 7},
		{Stages: []int{-1}, EscalateAfter: 3, CatchUp: 7},
		{Stages: []int{7}, EscalateAfter: 0, CatchUp: 7},
		{Stages: []int{7}, EscalateAfter: 3, CatchUp: 0},
	} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestPlanner(t *testing.T) {
	each(t, func(t *testing.T, w *district) {
		ctx := context.Background()

		// A week before the quarter ends every cadre with open work gets
		// exactly one reminder listing exactly that work: what "my tasks"
		// (supervision.Tasks) shows them.
		t.Run("WeekBeforeQuarterEnd", func(t *testing.T) {
			ns := w.notices(t, weekBefore)
			due := kinds(ns, reminder.KindDue)
			byCadre := map[int64]reminder.Notice{}
			for _, n := range due {
				m := n.Message
				if m.To.Kind != notify.ToCadre || m.Stage != "t-7" || m.Channel != notify.ChannelTemplate {
					t.Fatalf("reminder %+v", m)
				}
				if _, dup := byCadre[m.To.ID]; dup {
					t.Fatalf("two reminders for cadre %d", m.To.ID)
				}
				byCadre[m.To.ID] = n
			}
			withWork := 0
			for _, c := range w.cadres(t) {
				tasks, err := w.sup.Tasks(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				n, got := byCadre[c.ID]
				if len(tasks) == 0 {
					if got {
						t.Errorf("cadre %s has nothing open but got %q", c.Name, n.Message.Text)
					}
					continue
				}
				withWork++
				if !got {
					t.Errorf("cadre %s has %d open tasks and no reminder", c.Name, len(tasks))
					continue
				}
				var want []string
				for _, tk := range tasks {
					want = append(want, tk.Name)
				}
				if g, wnt := sortedCopy(n.Businesses), sortedCopy(want); !slices.Equal(g, wnt) {
					t.Errorf("cadre %s: reminder lists %v, tasks are %v", c.Name, g, wnt)
				}
				m := n.Message
				if wantCycle := tasks[0].Cycle.Key; m.Cycle != wantCycle {
					t.Errorf("cadre %s: cycle %s, want %s", c.Name, m.Cycle, wantCycle)
				}
				if !strings.Contains(m.Text, c.Name) || !strings.Contains(m.Text, "12月31日") || !strings.Contains(m.Text, "还有7天") ||
					m.Fields["count"] != fmt.Sprintf("%d家", len(tasks)) || m.URL != (links{}).CadreTasks(c.ID, registry.ActorOf("cadre", c.ID), clock.Date(weekBefore).AddDate(0, 0, 30)) || len([]rune(m.Title)) > 20 {
					t.Errorf("cadre %s: message %+v", c.Name, m)
				}
				for _, tk := range tasks {
					if !strings.Contains(m.Text, tk.Name) {
						t.Errorf("cadre %s: text does not name %s", c.Name, tk.Name)
					}
				}
			}
			if withWork < 100 || len(due) != withWork {
				t.Fatalf("%d reminders for %d cadres with open work", len(due), withWork)
			}
			// Grade B businesses run by the half year: 2026H2 ends the same day.
			cycles := map[string]int{}
			for _, n := range due {
				cycles[n.Message.Cycle]++
			}
			if cycles["2026Q4"] == 0 || cycles["2026H2"] == 0 {
				t.Errorf("cycles %v", cycles)
			}
			t.Logf("%d reminders, cycles %v; e.g.\n%s", len(due), cycles, due[0].Message.Text)
		})

		t.Run("SuspendedNeverListed", func(t *testing.T) {
			suspended := demotest.Businesses(t, w.d, query.BusinessFilter{Status: string(registry.StatusSuspended), Limit: 1000})
			if len(suspended) == 0 {
				t.Fatal("the demo district has no suspended business")
			}
			for _, at := range []time.Time{weekBefore, china(2027, 1, 4, 9, 0)} {
				for _, n := range w.notices(t, at) {
					for _, b := range suspended {
						if slices.Contains(n.Businesses, b.Name) || strings.Contains(n.Message.Text, b.Name) {
							t.Fatalf("suspended %s listed in %s to %s", b.Name, n.Message.Kind, n.Message.To)
						}
					}
				}
			}
		})

		t.Run("OnlyTheCurrentStage", func(t *testing.T) {
			for at, want := range map[time.Time]string{
				china(2026, 12, 10, 9, 0): "",
				china(2026, 12, 17, 9, 0): "t-14",
				china(2026, 12, 25, 9, 0): "t-7",
				china(2026, 12, 30, 9, 0): "t-1",
				china(2026, 12, 31, 9, 0): "t-1",
				china(2027, 1, 1, 9, 0):   "",
			} {
				got := map[string]bool{}
				for _, n := range kinds(w.notices(t, at), reminder.KindDue) {
					got[n.Message.Stage] = true
				}
				if want == "" && len(got) > 0 || want != "" && (len(got) != 1 || !got[want]) {
					t.Errorf("%s: stages %v, want %q", at.Format(time.DateOnly), got, want)
				}
			}
		})

		t.Run("PlanTwiceSendsNothingTwice", func(t *testing.T) {
			first := w.notices(t, weekBefore)
			second := w.notices(t, weekBefore)
			if len(first) != len(second) {
				t.Fatalf("%d then %d messages", len(first), len(second))
			}
			keys := map[string]bool{}
			for i := range first {
				a, b := first[i].Message, second[i].Message
				if a.Key() != b.Key() || a.Text != b.Text {
					t.Fatalf("plans differ at %d: %+v / %+v", i, a, b)
				}
				if keys[a.Key()] {
					t.Fatalf("duplicate key in one plan: %+v", a)
				}
				keys[a.Key()] = true
			}
			o := newOutbox()
			msgs, err := w.planner.Plan(ctx, weekBefore)
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := o.Enqueue(ctx, msgs...); n != len(msgs) {
				t.Fatalf("first enqueue queued %d of %d", n, len(msgs))
			}
			// The next day is the same stage: no reminder is queued again
			// (rectifications due a day later are new).
			again, _ := w.planner.Plan(ctx, weekBefore.AddDate(0, 0, 1))
			var reminders []notify.Message
			for _, m := range again {
				if m.Kind != reminder.KindRectification {
					reminders = append(reminders, m)
				}
			}
			if n, _ := o.Enqueue(ctx, reminders...); n != 0 || len(reminders) < 100 {
				t.Fatalf("the next day queued %d of %d again", n, len(reminders))
			}
		})

		t.Run("OverdueNextMorning", func(t *testing.T) {
			newYear := china(2027, 1, 1, 9, 0)
			ns := w.notices(t, newYear)
			if len(kinds(ns, reminder.KindEscalation)) != 0 {
				t.Fatal("escalated on the first day")
			}
			overdue := kinds(ns, reminder.KindOverdue)
			byCadre := map[int64][]string{}
			for _, n := range overdue {
				m := n.Message
				if m.To.Kind != notify.ToCadre || m.Stage != reminder.StageOverdue || len(byCadre[m.To.ID]) > 0 ||
					!strings.Contains(m.Text, "12月31日") || !strings.Contains(m.Text, "逾期1天") {
					t.Fatalf("overdue %+v", m)
				}
				byCadre[m.To.ID] = sortedCopy(n.Businesses)
			}
			want := map[int64][]string{}
			for _, c := range w.cadres(t) {
				tasks, err := w.sup.Tasks(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, tk := range tasks {
					if tk.Overdue {
						want[c.ID] = append(want[c.ID], tk.Name)
					}
				}
				if g, wnt := byCadre[c.ID], sortedCopy(want[c.ID]); !slices.Equal(g, wnt) {
					t.Errorf("cadre %s: overdue notice lists %v, overdue tasks %v", c.Name, g, wnt)
				}
			}
			if len(overdue) == 0 || len(overdue) != len(want) {
				t.Fatalf("%d overdue notices for %d cadres", len(overdue), len(want))
			}
		})

		t.Run("EscalationAfterThreeDays", func(t *testing.T) {
			at := china(2027, 1, 4, 9, 0)
			ns := w.notices(t, at)
			offices, err := w.reg.Offices(ctx)
			if err != nil {
				t.Fatal(err)
			}
			escalated := 0
			for _, o := range offices {
				region, _ := w.reg.Region(ctx, o.RegionID)
				if region.Level != registry.LevelTown {
					continue
				}
				items, err := w.read.Overdue(ctx, region.Path)
				if err != nil {
					t.Fatal(err)
				}
				var want []string
				for _, it := range items {
					want = append(want, it.BusinessName)
				}
				managers, _ := w.reg.Managers(ctx, o.ID)
				var to []string
				for _, n := range kinds(ns, reminder.KindEscalation) {
					m := n.Message
					if m.Subject != fmt.Sprintf("office:%d", o.ID) {
						continue
					}
					to = append(to, m.To.String())
					// Each manager's link is theirs; the group's is the office's.
					reader := registry.ActorOf("manager", m.To.ID)
					if m.To.Kind == notify.ToGroup {
						reader = registry.ActorOf("office", o.ID)
					}
					if want := fmt.Sprintf("/overdue/%d", o.ID) + linkFor(reader, at); !strings.HasSuffix(m.URL, want) {
						t.Errorf("escalation to %s links %s, want …%s", m.To, m.URL, want)
					}
					if g := sortedCopy(n.Businesses); !slices.Equal(g, sortedCopy(want)) {
						t.Errorf("%s: escalation lists %d businesses, Overdue %d", o.Name, len(g), len(want))
					}
					if m.Cycle != "2026Q4" || m.Stage != reminder.StageEscalation || !strings.Contains(m.Text, "逾期4天") {
						t.Errorf("escalation %+v", m)
					}
					// The text lists them in Overdue's order, up to 30, then counts the rest.
					for i, it := range items[:min(30, len(items))] {
						line := fmt.Sprintf("%d. %s（%s，包保干部：%s）", i+1, it.BusinessName, it.Village, it.CadreName)
						if it.CadreName != "" && !strings.Contains(m.Text, line) {
							t.Errorf("%s: no line %q", o.Name, line)
						}
					}
					if more := fmt.Sprintf("另有%d家", len(items)-30); len(items) > 30 && !strings.Contains(m.Text, more) {
						t.Errorf("%s: text does not say %s", o.Name, more)
					}
				}
				wantTo := []string{"group:" + o.ShortName}
				for _, mg := range managers {
					wantTo = append(wantTo, notify.Recipient{Kind: notify.ToManager, ID: mg.ID}.String())
				}
				if !slices.Equal(sortedCopy(to), sortedCopy(wantTo)) {
					t.Errorf("%s: escalated to %v, want %v", o.Name, to, wantTo)
				}
				escalated++
			}
			if escalated != 2 {
				t.Fatalf("%d town offices", escalated)
			}
			// Past the catch-up week an escalation is stale: not sent.
			if n := len(kinds(w.notices(t, china(2027, 1, 20, 9, 0)), reminder.KindEscalation)); n != 0 {
				t.Fatalf("%d stale escalations", n)
			}
		})

		t.Run("WeeklyDigestIsGentle", func(t *testing.T) {
			monday := china(2026, 12, 21, 9, 0)
			weekly := kinds(w.notices(t, monday), reminder.KindWeekly)
			groups := map[string]bool{}
			for _, n := range weekly {
				m := n.Message
				groups[m.To.Group] = true
				if m.To.Kind != notify.ToGroup || m.Channel != notify.ChannelRobot || m.Subject != "week:2026-W52" ||
					!strings.Contains(m.Text, "感谢") || !strings.Contains(m.Text, "请各位干部合理安排") || !strings.Contains(m.Text, "%") {
					t.Errorf("weekly %+v", m)
				}
				for _, c := range w.cadres(t) {
					if strings.Contains(m.Text, c.Name) {
						t.Errorf("weekly digest to %s names cadre %s:\n%s", m.To.Group, c.Name, m.Text)
					}
				}
			}
			if len(groups) != 3 {
				t.Fatalf("weekly digests to %v", groups)
			}
			t.Logf("weekly:\n%s", weekly[len(weekly)-1].Message.Text)
			if n := len(kinds(w.notices(t, weekBefore), reminder.KindWeekly)); n != 0 {
				t.Fatalf("%d weekly digests on a Thursday", n)
			}
		})

		t.Run("MonthlyDigestToManagers", func(t *testing.T) {
			monthly := kinds(w.notices(t, china(2026, 12, 1, 9, 0)), reminder.KindMonthly)
			offices, _ := w.reg.Offices(ctx)
			want := 0
			for _, o := range offices {
				ms, _ := w.reg.Managers(ctx, o.ID)
				want += len(ms)
			}
			if len(monthly) != want || want == 0 {
				t.Fatalf("%d monthly digests for %d managers", len(monthly), want)
			}
			for _, n := range monthly {
				m := n.Message
				if m.To.Kind != notify.ToManager || m.Subject != "month:2026-11" || !strings.Contains(m.Text, "截至11月30日") ||
					!strings.Contains(m.Text, "整改") || !strings.HasSuffix(m.URL, linkFor(registry.ActorOf("manager", m.To.ID), china(2026, 12, 1, 9, 0))) {
					t.Errorf("monthly %+v", m)
				}
			}
			t.Logf("monthly:\n%s", monthly[0].Message.Text)
		})

		t.Run("Rectifications", func(t *testing.T) {
			rects, err := w.sup.OpenRectificationStates(ctx, weekBefore, weekBefore, weekBefore.AddDate(0, 0, 30))
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(rects, func(r supervision.RectificationState) bool { return r.DaysLeft >= 2 && r.CadreID != 0 })
			if i < 0 {
				t.Fatal("no open rectification due later")
			}
			r := rects[i]
			c, err := w.accounts.CreateContact(ctx, r.BusinessID, "李店长", "13800000099", account.ContactPrincipal)
			if err != nil {
				t.Fatal(err)
			}
			deadline := r.Deadline.Format(time.DateOnly)
			find := func(ns []reminder.Notice, to notify.Recipient, stage string) *reminder.Notice {
				for _, n := range kinds(ns, reminder.KindRectification) {
					if n.Message.To == to && n.Message.Stage == stage && strings.HasSuffix(n.Message.Subject, "deadline:"+deadline) {
						return &n
					}
				}
				return nil
			}
			cadre := notify.Recipient{Kind: notify.ToCadre, ID: r.CadreID}
			contact := notify.Recipient{Kind: notify.ToContact, ID: c.ID}
			for _, tc := range []struct {
				at    time.Time
				stage string
				want  string
			}{
				{r.Deadline.Add(-15 * time.Hour), reminder.StageDayBefore, "明天"},
				{r.Deadline.Add(9 * time.Hour), reminder.StageDayBefore, "今天"},
				{r.Deadline.Add(33 * time.Hour), reminder.StageOverdue, "已于"},
			} {
				ns := w.notices(t, tc.at)
				n := find(ns, cadre, tc.stage)
				if n == nil || !slices.Contains(n.Businesses, r.BusinessName) || !strings.Contains(n.Message.Text, tc.want) ||
					!strings.Contains(n.Message.Text, r.Description) || !strings.HasSuffix(n.Message.URL, linkFor(registry.ActorOf("cadre", r.CadreID), tc.at)) {
					t.Fatalf("%s: cadre's %s reminder %+v", tc.at, tc.stage, n)
				}
				if n := find(ns, contact, tc.stage); n == nil || !strings.Contains(n.Message.Text, r.BusinessName) ||
					!strings.Contains(n.Message.URL, "/rect/") || !strings.HasSuffix(n.Message.URL, linkFor(registry.ActorOf("contact", c.ID), tc.at)) {
					t.Fatalf("%s: contact's %s reminder %+v", tc.at, tc.stage, n)
				}
			}
			if ns := w.notices(t, r.Deadline.AddDate(0, 0, -3)); find(ns, cadre, reminder.StageDayBefore) != nil {
				t.Fatal("reminded three days early")
			}
		})

		t.Run("Sources", func(t *testing.T) {
			letter := notify.Message{Kind: "letter.unacknowledged", To: notify.Recipient{Kind: notify.ToContact, ID: 7},
				Subject: "letter:1", Stage: "d3", Channel: notify.ChannelTemplate}
			var asked atomic.Int64
			p := w.newPlanner(t, []reminder.Source{reminder.SourceFunc(func(_ context.Context, at time.Time) ([]notify.Message, error) {
				asked.Add(1)
				return []notify.Message{letter}, nil
			})})
			msgs, err := p.Plan(ctx, weekBefore)
			if err != nil {
				t.Fatal(err)
			}
			if asked.Load() != 1 || !slices.ContainsFunc(msgs, func(m notify.Message) bool { return m.Key() == letter.Key() }) {
				t.Fatal("source not planned")
			}
			// A failing source holds nothing else back: the rest is
			// enqueued, the error reported, and the day left undone.
			broken := w.newPlanner(t, []reminder.Source{reminder.SourceFunc(func(context.Context, time.Time) ([]notify.Message, error) {
				return nil, fmt.Errorf("letters unavailable")
			})})
			msgs, err = broken.Plan(ctx, weekBefore)
			var se *reminder.SourceError
			if !errors.As(err, &se) || len(msgs) != len(w.notices(t, weekBefore)) {
				t.Fatalf("plan with a broken source: %d messages, %v", len(msgs), err)
			}
			o := newOutbox()
			res, err := (&reminder.Scheduler{Planner: broken, Enqueuer: o, KV: w.store}).RunOnce(ctx, weekBefore)
			if !errors.As(err, &se) || res.Enqueued != len(msgs) || o.len() != len(msgs) {
				t.Fatalf("run with a broken source: %+v %v", res, err)
			}
		})

		t.Run("Outbox", func(t *testing.T) { testRealOutbox(t, w) })
		t.Run("Scheduler", func(t *testing.T) { testSchedulers(t, w) })

		// The plan costs the same few queries whatever the size of the
		// register: none per business or per cadre.
		t.Run("Queries", func(t *testing.T) {
			p, err := reminder.NewPlanner(reminder.Deps{Supervision: w.sup, Registry: w.reg, Groups: func(string) bool { return true }})
			if err != nil {
				t.Fatal(err)
			}
			n := statements(w.d)
			before := n.Load()
			if _, err := p.Plan(ctx, weekBefore); err != nil {
				t.Fatal(err)
			}
			// Regions (their count and highest id, then the rows) and
			// offices for the planner, the states and the rectifications
			// (9); states: for each of grades A, B, and C with D the
			// covered sets of two cycles, and the businesses (7);
			// rectifications (1). Contacts, when set, add one lookup per
			// business with a rectification due.
			if q := n.Load() - before; q != 17 {
				t.Fatalf("%d queries", q)
			}
		})
	})
}

// statements counts the SQL statements GORM runs on d from now on.
func statements(d *db.DB) *atomic.Int64 {
	var n atomic.Int64
	inc := func(*gorm.DB) { n.Add(1) }
	cb := d.Gorm(context.Background()).Callback()
	cb.Query().After("gorm:query").Register("test:count_query", inc)
	cb.Row().After("gorm:row").Register("test:count_row", inc)
	cb.Raw().After("gorm:raw").Register("test:count_raw", inc)
	return &n
}
