package supervision_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// scenario makes the fixture's history, seen on 20 November 2026 (Q4,
// H2; 41 days left in the quarter):
//
//	马鞍面馆 D        Q3 and Q4 visits             covered
//	马鞍超市 D        Q3 visit                     to do
//	马鞍小吃 D        none                         overdue (Q3 missed)
//	张舍烧烤 D        Q4, online                   covered (not if only onsite counts)
//	张舍副食店 D      Q4, found suspended          not due
//	胡埭中学食堂 C    Q2 visit only                overdue
//	太湖食品 B        August (H2)                  covered
//	无人包保小店 D    none, unassigned             overdue, no cadre
func scenario(t *testing.T, e *env) {
	t.Helper()
	e.submit(t, day(2026, 8, 10, 9, 0), e.report("马鞍面馆"))
	e.submit(t, day(2026, 10, 15, 9, 0), e.report("马鞍面馆"))
	e.submit(t, day(2026, 9, 30, 23, 30), e.report("马鞍超市")) // late on the last day of Q3, China time
	online := e.report("张舍烧烤")
	online.Mode = supervision.ModeOnline
	e.submit(t, day(2026, 11, 2, 15, 0), online)
	closed := e.report("张舍副食店")
	closed.StatusSeen = registry.EventSuspended
	e.submit(t, day(2026, 10, 20, 9, 0), closed)
	e.submit(t, day(2026, 6, 20, 9, 0), e.report("胡埭中学食堂"))
	e.submit(t, day(2026, 8, 1, 9, 0), e.report("太湖食品有限公司"))
	e.at(visitDay)
}

func TestCoverage(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		scenario(t, e)
		id := func(name string) int64 { return e.biz[name].ID }

		t.Run("Tasks", func(t *testing.T) {
			for _, tc := range []struct {
				cadre int64
				want  string
			}{
				{e.c1.ID, "马鞍小吃 D 2026Q4 41 overdue; 马鞍超市 D 2026Q4 41; "},
				{e.c2.ID, ""},
				{e.c3.ID, "胡埭中学食堂 C 2026Q4 41 overdue; "},
				{e.c4.ID, ""},
			} {
				tasks, err := e.svc.Tasks(ctx, tc.cadre)
				if err != nil {
					t.Fatal(err)
				}
				got := ""
				for _, tk := range tasks {
					got += fmt.Sprintf("%s %s %s %d", tk.Name, tk.Grade, tk.Cycle.Key, tk.DaysLeft)
					if tk.Overdue {
						got += " overdue"
					}
					got += "; "
				}
				if got != tc.want {
					t.Errorf("cadre %d: %q, want %q", tc.cadre, got, tc.want)
				}
			}
		})
		t.Run("TasksQueries", func(t *testing.T) {
			n := statements(e.d)
			before := n.Load()
			if _, err := e.svc.Tasks(ctx, e.c1.ID); err != nil {
				t.Fatal(err)
			}
			if q := n.Load() - before; q != 1 {
				t.Fatalf("%d queries", q)
			}
		})
		t.Run("Progress", func(t *testing.T) {
			p, err := e.read(e.svc).Progress(ctx, e.town.Path)
			if err != nil {
				t.Fatal(err)
			}
			if p.Cycle != "2026年第四季度" {
				t.Fatalf("cycle %s", p.Cycle)
			}
			row := func(r query.CoverageRow) string {
				return fmt.Sprintf("%s %d/%d %.1f", r.Name, r.Covered, r.Due, r.Percent)
			}
			if got := row(p.Total); got != "合计 3/7 42.9" {
				t.Errorf("total %s", got)
			}
			var got string
			for _, r := range p.ByVillage {
				got += row(r) + "; "
			}
			if want := "马鞍村 1/4 25.0; 张舍村 2/3 66.7; "; got != want {
				t.Errorf("by village %q, want %q", got, want)
			}
			got = ""
			for _, r := range p.ByCadre {
				got += row(r) + "; "
			}
			if want := "张伟 0/1 0.0; 王建国 1/3 33.3; 李秀英 1/1 100.0; 陈刚 1/1 100.0; "; got != want {
				t.Errorf("by cadre %q, want %q", got, want)
			}
			if len(p.ByTown) != 1 || row(p.ByTown[0]) != "胡埭镇 3/7 42.9" {
				t.Errorf("by town %+v", p.ByTown)
			}
			if p.ByVillage[0].ID != e.v1.ID || p.ByCadre[0].ID != e.c3.ID {
				t.Error("ids")
			}
			one, err := e.read(e.svc).Progress(ctx, e.v2.Path)
			if err != nil || one.Total.Due != 3 || len(one.ByVillage) != 1 {
				t.Fatalf("village scope %+v %v", one, err)
			}
		})
		t.Run("Overdue", func(t *testing.T) {
			items, err := e.read(e.svc).Overdue(ctx, e.town.Path)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			for _, it := range items {
				got += fmt.Sprintf("%s %s %s %s %s %d; ", it.BusinessName, it.Village, it.CadreName, it.CadreWorkPhone, it.CycleLabel, it.DaysOverdue)
			}
			want := "胡埭中学食堂 马鞍村 张伟 0510-85000003 2026年第三季度 51; " +
				"马鞍小吃 马鞍村 王建国 13900000001 2026年第三季度 51; " +
				"无人包保小店 张舍村   2026年第三季度 51; "
			if got != want {
				t.Errorf("overdue\n got %q\nwant %q", got, want)
			}
		})
		t.Run("Covered", func(t *testing.T) {
			for name, want := range map[string]bool{"马鞍面馆": true, "马鞍超市": false, "张舍烧烤": true, "太湖食品有限公司": true, "胡埭中学食堂": false} {
				ok, _, err := e.svc.Covered(ctx, id(name))
				if err != nil || ok != want {
					t.Errorf("%s: %v %v", name, ok, err)
				}
			}
		})
		t.Run("CountingModes", func(t *testing.T) {
			rules := supervision.DefaultRules()
			rules.CountingModes[registry.GradeD] = []supervision.Mode{supervision.ModeOnsite}
			strict := supervision.NewService(e.d, e.reg, e.lists, rules, e.clk)
			if ok, _, _ := strict.Covered(ctx, id("张舍烧烤")); ok {
				t.Fatal("online visit counted")
			}
			p, _ := e.read(strict).Progress(ctx, e.town.Path)
			if p.Total.Covered != 2 {
				t.Fatalf("covered %d", p.Total.Covered)
			}
		})
		t.Run("Monthly", func(t *testing.T) {
			rules := supervision.DefaultRules()
			rules.Frequency[registry.GradeD] = supervision.PeriodMonth
			monthly := supervision.NewService(e.d, e.reg, e.lists, rules, e.clk)
			// In November only 张舍烧烤 (2 Nov) is covered among D; October's
			// 马鞍面馆 visit covered October.
			p, _ := e.read(monthly).Progress(ctx, e.town.Path)
			if p.Cycle != "2026年11月" || p.Total.Covered != 2 {
				t.Fatalf("%s covered %d", p.Cycle, p.Total.Covered)
			}
			tasks, _ := monthly.Tasks(ctx, e.c1.ID)
			if len(tasks) != 3 || tasks[0].Name != "马鞍小吃" || !tasks[0].Overdue || tasks[1].Name != "马鞍超市" || !tasks[1].Overdue || tasks[2].Overdue {
				t.Fatalf("monthly tasks %+v", tasks)
			}
		})
		t.Run("ErrScope", func(t *testing.T) {
			for _, s := range []string{"/", "1/2/", "/1/2", "/1/%/", "//"} {
				if _, err := e.read(e.svc).Progress(ctx, s); err == nil {
					t.Errorf("scope %q accepted", s)
				}
			}
		})
	})
}
