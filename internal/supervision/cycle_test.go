package supervision_test

import (
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

func TestCycleFor(t *testing.T) {
	at := day(2026, 11, 28, 9, 0)
	for _, tc := range []struct {
		period     supervision.Period
		key, label string
		start, due time.Time
	}{
		{supervision.PeriodYear, "2026", "2026年度", day(2026, 1, 1, 0, 0), day(2026, 12, 31, 0, 0)},
		{supervision.PeriodHalf, "2026H2", "2026年下半年", day(2026, 7, 1, 0, 0), day(2026, 12, 31, 0, 0)},
		{supervision.PeriodQuarter, "2026Q4", "2026年第四季度", day(2026, 10, 1, 0, 0), day(2026, 12, 31, 0, 0)},
		{supervision.PeriodMonth, "2026-11", "2026年11月", day(2026, 11, 1, 0, 0), day(2026, 11, 30, 0, 0)},
	} {
		t.Run(string(tc.period), func(t *testing.T) {
			c := supervision.CycleFor(tc.period, at)
			if c.Key != tc.key || c.Label != tc.label || !c.Start.Equal(tc.start) || !c.Due.Equal(tc.due) {
				t.Fatalf("got %s %s %v…%v due %v", c.Key, c.Label, c.Start, c.End, c.Due)
			}
			if !c.End.Equal(c.Due.AddDate(0, 0, 1)) || c.Start.Location() != clock.China {
				t.Fatalf("end %v, location %v", c.End, c.Start.Location())
			}
			if !c.Contains(at) || c.Contains(c.End) || !c.Contains(c.Start) {
				t.Fatal("contains")
			}
			back, ok := supervision.CycleByKey(c.Key)
			if !ok || back != c {
				t.Fatalf("CycleByKey(%s) = %+v, %v", c.Key, back, ok)
			}
			if n := c.Next(); n.Prev() != c || !n.Start.Equal(c.End) {
				t.Fatalf("next %s prev %s", n.Key, n.Prev().Key)
			}
		})
	}
	t.Run("Prev", func(t *testing.T) {
		for period, want := range map[supervision.Period]string{
			supervision.PeriodYear: "2025", supervision.PeriodHalf: "2025H2", supervision.PeriodQuarter: "2025Q4", supervision.PeriodMonth: "2025-12",
		} {
			if got := supervision.CycleFor(period, day(2026, 1, 1, 0, 0)).Prev().Key; got != want {
				t.Errorf("%s: prev = %s, want %s", period, got, want)
			}
		}
	})
	t.Run("ChinaTime", func(t *testing.T) {
		// 23:30 on 31 March in China is 15:30 UTC, still Q1; 00:30 on 1 April
		// China is 16:30 UTC on 31 March, already Q2.
		late := day(2026, 3, 31, 23, 30).UTC()
		if k := supervision.CycleFor(supervision.PeriodQuarter, late).Key; k != "2026Q1" {
			t.Errorf("%v: %s", late, k)
		}
		early := day(2026, 4, 1, 0, 30).UTC()
		if early.Day() != 31 {
			t.Fatal("fixture")
		}
		if k := supervision.CycleFor(supervision.PeriodQuarter, early).Key; k != "2026Q2" {
			t.Errorf("%v: %s", early, k)
		}
	})
	t.Run("BadKeys", func(t *testing.T) {
		for _, k := range []string{"", "26", "2026Q5", "2026Q0", "2026H3", "2026-13", "2026-00", "20x6", "2026q4", "2026-1"} {
			if _, ok := supervision.CycleByKey(k); ok {
				t.Errorf("CycleByKey(%q) ok", k)
			}
		}
	})
}

func TestDaysLeft(t *testing.T) {
	q4 := supervision.CycleFor(supervision.PeriodQuarter, day(2026, 11, 1, 0, 0))
	for _, tc := range []struct {
		now  time.Time
		want int
	}{
		{day(2026, 12, 30, 23, 59), 1},
		{day(2026, 12, 31, 0, 0), 0},
		{day(2026, 12, 31, 23, 59), 0},
		{day(2027, 1, 1, 0, 0), -1},
		{day(2026, 12, 31, 18, 0).UTC(), 0}, // 10:00 UTC on the 31st
		{day(2027, 1, 1, 7, 0).UTC(), -1},   // 23:00 UTC on the 31st is already the 1st in China
		{day(2026, 10, 1, 0, 0), 91},
		{day(2026, 11, 20, 10, 0), 41},
	} {
		if got := q4.DaysLeft(tc.now); got != tc.want {
			t.Errorf("DaysLeft(%v) = %d, want %d", tc.now, got, tc.want)
		}
	}
	y := supervision.CycleFor(supervision.PeriodYear, day(2028, 2, 29, 12, 0)) // leap year
	if got := y.DaysLeft(day(2028, 1, 1, 0, 0)); got != 365 {
		t.Errorf("leap year: %d", got)
	}
}

func TestRules(t *testing.T) {
	r := supervision.DefaultRules()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	want := map[registry.Grade]supervision.Period{registry.GradeA: "year", registry.GradeB: "half", registry.GradeC: "quarter", registry.GradeD: "quarter"}
	for g, p := range want {
		if r.Period(g) != p {
			t.Errorf("%s: %s", g, r.Period(g))
		}
		for _, m := range supervision.Modes {
			if !r.Counts(g, m) {
				t.Errorf("%s %s does not count", g, m)
			}
		}
	}
	if r.DeadlineDays != 7 || r.FarMeters != 500 {
		t.Errorf("%+v", r)
	}
	bad := supervision.DefaultRules()
	bad.Frequency = map[registry.Grade]supervision.Period{registry.GradeA: "year"}
	if bad.Validate() == nil {
		t.Error("missing frequencies accepted")
	}
	bad = supervision.DefaultRules()
	bad.CountingModes = map[registry.Grade][]supervision.Mode{registry.GradeA: {"walk"}}
	if bad.Validate() == nil {
		t.Error("unknown mode accepted")
	}
	for s, want := range map[string]supervision.Mode{"现场": "onsite", "在线督导": "online", "centralized": "centralized", "集中汇报": "report"} {
		if m, ok := supervision.ParseMode(s); !ok || m != want {
			t.Errorf("ParseMode(%q) = %q", s, m)
		}
	}
}
