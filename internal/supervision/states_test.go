package supervision_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

func TestStates(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		scenario(t, e)
		states := func(t *testing.T) map[string]supervision.AssignmentState {
			t.Helper()
			out := map[string]supervision.AssignmentState{}
			err := e.svc.States(ctx, visitDay, func(s supervision.AssignmentState) error {
				out[s.BusinessName] = s
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}

		t.Run("OK", func(t *testing.T) {
			got := states(t)
			var lines []string
			for name, s := range got {
				lines = append(lines, fmt.Sprintf("%s %s %s/%s %d cadre=%s covered=%v prev=%v overdue=%v/%d office=%v",
					name, s.Grade, s.Cycle.Key, s.Prev.Key, s.DaysLeft, s.CadreName, s.Covered, s.CoveredPrev, s.Overdue, s.DaysOverdue,
					s.OfficeID == e.office.ID))
			}
			sort.Strings(lines)
			want := []string{
				"太湖食品有限公司 B 2026H2/2026H1 41 cadre=陈刚 covered=true prev=false overdue=false/0 office=true",
				"张舍烧烤 D 2026Q4/2026Q3 41 cadre=李秀英 covered=true prev=false overdue=false/0 office=true",
				"无人包保小店 D 2026Q4/2026Q3 41 cadre= covered=false prev=false overdue=true/51 office=true",
				"胡埭中学食堂 C 2026Q4/2026Q3 41 cadre=张伟 covered=false prev=false overdue=true/51 office=true",
				"马鞍小吃 D 2026Q4/2026Q3 41 cadre=王建国 covered=false prev=false overdue=true/51 office=true",
				"马鞍超市 D 2026Q4/2026Q3 41 cadre=王建国 covered=false prev=true overdue=false/0 office=true",
				"马鞍面馆 D 2026Q4/2026Q3 41 cadre=王建国 covered=true prev=true overdue=false/0 office=true",
			}
			if strings.Join(lines, "\n") != strings.Join(want, "\n") {
				t.Errorf("states\n got %s\nwant %s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
			}
			// 太湖食品 was registered in June, before H1 ended: it owed H1.
			if !got["太湖食品有限公司"].OwedPrev || got["无人包保小店"].CadreID != 0 || !got["马鞍超市"].CadreActive {
				t.Error("owed, unassigned or active wrong")
			}
		})

		// The figures agree with Tasks and Overdue, which the bot and the
		// console show.
		t.Run("AgreesWithTasksAndOverdue", func(t *testing.T) {
			got := states(t)
			for _, c := range []*registry.Cadre{e.c1, e.c2, e.c3, e.c4} {
				tasks, err := e.svc.Tasks(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				var fromTasks, fromStates []string
				for _, tk := range tasks {
					fromTasks = append(fromTasks, fmt.Sprintf("%s %v", tk.Name, tk.Overdue))
				}
				for _, s := range got {
					if s.CadreID == c.ID && !s.Covered {
						fromStates = append(fromStates, fmt.Sprintf("%s %v", s.BusinessName, s.Overdue))
					}
				}
				sort.Strings(fromTasks)
				sort.Strings(fromStates)
				if strings.Join(fromTasks, ",") != strings.Join(fromStates, ",") {
					t.Errorf("cadre %s: tasks %v, states %v", c.Name, fromTasks, fromStates)
				}
			}
			items, err := e.read(e.svc).Overdue(ctx, e.town.Path)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, s := range got {
				if s.Overdue {
					n++
				}
			}
			if n != len(items) {
				t.Errorf("%d overdue states, Overdue lists %d", n, len(items))
			}
			for _, it := range items {
				if s := got[it.BusinessName]; !s.Overdue || s.DaysOverdue != it.DaysOverdue {
					t.Errorf("%s: state %+v", it.BusinessName, s)
				}
			}
		})

		// Other rules split the grades differently (D monthly and onsite
		// only): the states still agree with Tasks.
		t.Run("OtherRules", func(t *testing.T) {
			rules := supervision.DefaultRules()
			rules.Frequency[registry.GradeD] = supervision.PeriodMonth
			rules.CountingModes[registry.GradeD] = []supervision.Mode{supervision.ModeOnsite}
			svc := supervision.NewService(e.d, e.reg, e.lists, rules, e.clk)
			open := map[string]bool{}
			err := svc.States(ctx, visitDay, func(s supervision.AssignmentState) error {
				if !s.Covered && s.CadreID != 0 {
					open[fmt.Sprintf("%s %s %v", s.BusinessName, s.Cycle.Key, s.Overdue)] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, c := range []*registry.Cadre{e.c1, e.c2, e.c3, e.c4} {
				tasks, err := svc.Tasks(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, tk := range tasks {
					n++
					if k := fmt.Sprintf("%s %s %v", tk.Name, tk.Cycle.Key, tk.Overdue); !open[k] {
						t.Errorf("task %s not in the states %v", k, open)
					}
				}
			}
			// 张舍烧烤's online visit no longer counts, and it missed October.
			if n != 5 || n != len(open) || !open["张舍烧烤 2026-11 true"] {
				t.Fatalf("%d tasks, states %v", n, open)
			}
		})

		t.Run("SuspendedLeftOut", func(t *testing.T) {
			if _, ok := states(t)["张舍副食店"]; ok {
				t.Fatal("suspended business listed")
			}
		})

		t.Run("Queries", func(t *testing.T) {
			n := statements(e.d)
			before := n.Load()
			states(t)
			// Regions (their count and highest id, then the rows), offices,
			// for each of grades A, B, and C with D the covered sets of two
			// cycles, and the businesses: none grows with the register.
			if q := n.Load() - before; q != 10 {
				t.Fatalf("%d queries, want 10 (regions twice, offices, two each for grades A, B, C with D, businesses)", q)
			}
		})

		t.Run("StopsOnError", func(t *testing.T) {
			stop := fmt.Errorf("stop")
			calls := 0
			err := e.svc.States(ctx, visitDay, func(supervision.AssignmentState) error { calls++; return stop })
			if err != stop || calls != 1 {
				t.Fatalf("err %v after %d calls", err, calls)
			}
		})
	})
}

func TestOpenRectificationStates(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.submit(t, day(2026, 11, 10, 9, 0), withIssue(e.report("马鞍面馆"), "staff_health", "m1"))
		e.submit(t, day(2026, 11, 14, 9, 0), withIssue(e.report("张舍烧烤"), "premises_hygiene", "m2"))
		closed := withIssue(e.report("张舍副食店"), "staff_health", "m3")
		closed.StatusSeen, closed.StatusNote = registry.EventSuspended, "店主外出"
		e.submit(t, day(2026, 11, 14, 10, 0), closed)
		e.at(visitDay)

		got, err := e.svc.OpenRectificationStates(ctx, visitDay, day(2026, 11, 1, 0, 0), day(2026, 12, 1, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		// Deadlines 17 and 21 November; the suspended shop's is left out.
		if len(got) != 2 || got[0].BusinessName != "马鞍面馆" || got[0].DaysLeft != -3 || got[1].DaysLeft != 1 ||
			got[0].CadreID != e.c1.ID || got[1].CadreName != "李秀英" || !got[1].CadreActive || got[0].OfficeID != e.office.ID ||
			got[0].ItemLabel == "" || got[0].Description == "" || !got[1].Deadline.Equal(day(2026, 11, 21, 0, 0)) {
			t.Fatalf("open %+v", got)
		}
		// The deadline window is by China day: 17 November only.
		if one, err := e.svc.OpenRectificationStates(ctx, visitDay, day(2026, 11, 17, 23, 0), day(2026, 11, 18, 1, 0)); err != nil ||
			len(one) != 1 || one[0].ID != got[0].ID {
			t.Fatalf("17 November: %+v %v", one, err)
		}
		counts, err := e.svc.OpenRectificationCounts(ctx, visitDay)
		if err != nil {
			t.Fatal(err)
		}
		byVillage := map[int64]supervision.RectificationCount{}
		for _, c := range counts {
			byVillage[c.VillageID] = c
		}
		if len(counts) != 2 || byVillage[e.v1.ID].Open != 1 || byVillage[e.v1.ID].Overdue != 1 ||
			byVillage[e.v2.ID].Open != 1 || byVillage[e.v2.ID].Overdue != 0 {
			t.Fatalf("counts %+v", counts)
		}
	})
}

// TestCoveredFilter: the console's covered / not-covered filter, which
// works out the covered sets once per group of grades (coveredInSQL),
// selects exactly the businesses the planner's States calls covered, and
// marks each row as the per-page check does (States leaves out suspended
// businesses, so both lists are of operating ones).
func TestCoveredFilter(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		scenario(t, e)
		e.at(visitDay)
		want := map[string][]string{}
		err := e.svc.States(ctx, visitDay, func(s supervision.AssignmentState) error {
			k := query.CoveredNo
			if s.Covered {
				k = query.CoveredYes
			}
			want[k] = append(want[k], s.BusinessName)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{query.CoveredYes, query.CoveredNo} {
			rows, total, err := e.read(e.svc).Businesses(ctx, query.BusinessFilter{Covered: k, Status: string(registry.StatusOperating), Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.Name)
				if r.Covered != (k == query.CoveredYes) {
					t.Errorf("%s listed under covered=%s but marked covered=%v", r.Name, k, r.Covered)
				}
			}
			sort.Strings(got)
			sort.Strings(want[k])
			if int(total) != len(got) || strings.Join(got, ",") != strings.Join(want[k], ",") {
				t.Errorf("covered=%s: %d %v, want %v", k, total, got, want[k])
			}
		}
	})
}
