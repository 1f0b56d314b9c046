package supervision

import (
	"fmt"
	"strconv"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
)

// Period is the length of a supervision cycle. Cycles are calendar
// periods reckoned in China time.
type Period string

// Periods.
const (
	PeriodYear    Period = "year"
	PeriodHalf    Period = "half"
	PeriodQuarter Period = "quarter"
	PeriodMonth   Period = "month"
)

// Periods lists every period, longest first.
var Periods = []Period{PeriodYear, PeriodHalf, PeriodQuarter, PeriodMonth}

var periodLabels = map[Period]string{PeriodYear: "每年", PeriodHalf: "每半年", PeriodQuarter: "每季度", PeriodMonth: "每月"}

// Valid reports whether p is known.
func (p Period) Valid() bool { return periodLabels[p] != "" }

// Label says how often a visit is due: "每季度".
func (p Period) Label() string { return periodLabels[p] }

// months is the period's length in months.
func (p Period) months() int {
	switch p {
	case PeriodYear:
		return 12
	case PeriodHalf:
		return 6
	case PeriodQuarter:
		return 3
	case PeriodMonth:
		return 1
	}
	return 0
}

// Cycle is one calendar period in which a business must be visited at
// least once: 2026Q4 runs from 1 October 00:00 to 1 January 00:00 China
// time. Start, End and Due are in clock.China.
type Cycle struct {
	Period Period
	// Key names the cycle in storage and reports: "2026", "2026H2",
	// "2026Q4", "2026-11".
	Key string
	// Label is the Chinese name: "2026年第四季度".
	Label string
	// Start is the first instant; End the first instant of the next cycle.
	Start, End time.Time
	// Due is the last day (midnight at its start): the deadline users see.
	Due time.Time
}

// CycleFor returns the cycle of period p that contains t (in China time).
// It panics on an unknown period, which Rules.Validate rules out.
func CycleFor(p Period, t time.Time) Cycle {
	n := p.months()
	if n == 0 {
		panic(fmt.Sprintf("supervision: unknown period %q", p))
	}
	y, m, _ := t.In(clock.China).Date()
	first := time.Month((int(m)-1)/n*n + 1)
	start := time.Date(y, first, 1, 0, 0, 0, 0, clock.China)
	end := start.AddDate(0, n, 0)
	c := Cycle{Period: p, Start: start, End: end, Due: end.AddDate(0, 0, -1)}
	switch p {
	case PeriodYear:
		c.Key, c.Label = strconv.Itoa(y), fmt.Sprintf("%d年度", y)
	case PeriodHalf:
		h := (int(first)-1)/6 + 1
		c.Key, c.Label = fmt.Sprintf("%dH%d", y, h), fmt.Sprintf("%d年%s", y, [...]string{"上半年", "下半年"}[h-1])
	case PeriodQuarter:
		q := (int(first)-1)/3 + 1
		c.Key, c.Label = fmt.Sprintf("%dQ%d", y, q), fmt.Sprintf("%d年第%s季度", y, [...]string{"一", "二", "三", "四"}[q-1])
	case PeriodMonth:
		c.Key, c.Label = fmt.Sprintf("%d-%02d", y, first), fmt.Sprintf("%d年%d月", y, first)
	}
	return c
}

// CycleByKey returns the cycle a key names ("2026Q4"), false for anything else.
func CycleByKey(key string) (Cycle, bool) {
	var p Period
	var y, part int
	var err error
	switch {
	case len(key) == 4:
		p, part = PeriodYear, 1
		y, err = strconv.Atoi(key)
	case len(key) == 6 && key[4] == 'H':
		p = PeriodHalf
		y, err = strconv.Atoi(key[:4])
		part = int(key[5] - '0')
		if part < 1 || part > 2 {
			return Cycle{}, false
		}
		part = (part-1)*6 + 1
	case len(key) == 6 && key[4] == 'Q':
		p = PeriodQuarter
		y, err = strconv.Atoi(key[:4])
		part = int(key[5] - '0')
		if part < 1 || part > 4 {
			return Cycle{}, false
		}
		part = (part-1)*3 + 1
	case len(key) == 7 && key[4] == '-':
		p = PeriodMonth
		y, err = strconv.Atoi(key[:4])
		if err == nil {
			part, err = strconv.Atoi(key[5:])
		}
		if part < 1 || part > 12 {
			return Cycle{}, false
		}
	default:
		return Cycle{}, false
	}
	if err != nil || y < 1000 {
		return Cycle{}, false
	}
	c := CycleFor(p, time.Date(y, time.Month(part), 1, 0, 0, 0, 0, clock.China))
	return c, c.Key == key
}

// Prev is the cycle before c.
func (c Cycle) Prev() Cycle { return CycleFor(c.Period, c.Start.AddDate(0, 0, -1)) }

// Next is the cycle after c.
func (c Cycle) Next() Cycle { return CycleFor(c.Period, c.End) }

// Contains reports whether t falls in the cycle.
func (c Cycle) Contains(t time.Time) bool { return !t.Before(c.Start) && t.Before(c.End) }

// DaysLeft is the number of days from now's day (China) to the due day:
// 0 on the last day of the cycle, negative once it has ended.
func (c Cycle) DaysLeft(now time.Time) int { return DaysBetween(now, c.Due) }

// DaysBetween counts calendar days (China) from a's day to b's day:
// 1 from any time on 30 November to any time on 1 December.
func DaysBetween(a, b time.Time) int { return clock.DaysBetween(a, b) }
