package selfcheck

import (
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
)

// LateDays is how many days after its period ends a record may still be
// made (补记); it is then marked late.
const LateDays = 3

// dayLayout is how days are stored: a calendar date in China, as text, so
// neither engine converts it across time zones and ranges compare as
// strings.
const dayLayout = "2006-01-02"

// Period is the span one record covers, in China: a day, an ISO week
// (Monday to Sunday) or a calendar month. Start and End are its first and
// last day, at midnight China time.
type Period struct {
	Kind Kind
	// Key names it: "2026-11-28", "2026-W48", "2026-11".
	Key        string
	Start, End time.Time
}

// PeriodOf returns the period of kind k that contains t.
func PeriodOf(k Kind, t time.Time) Period {
	d := clock.Date(t)
	switch k {
	case Weekly:
		start := d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
		y, w := start.ISOWeek()
		return Period{Kind: k, Key: fmt.Sprintf("%d-W%02d", y, w), Start: start, End: start.AddDate(0, 0, 6)}
	case Monthly:
		start := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, clock.China)
		return Period{Kind: k, Key: start.Format("2006-01"), Start: start, End: start.AddDate(0, 1, -1)}
	}
	return Period{Kind: Daily, Key: d.Format(dayLayout), Start: d, End: d}
}

// ParsePeriod reads a period key of kind k ("2026-11" for a month).
// Invalid for anything else.
func ParsePeriod(k Kind, key string) (Period, error) {
	var t time.Time
	var err error
	switch k {
	case Monthly:
		t, err = time.ParseInLocation("2006-01", key, clock.China)
	case Daily:
		t, err = time.ParseInLocation(dayLayout, key, clock.China)
	case Weekly:
		var y, w int
		if _, serr := fmt.Sscanf(key, "%d-W%d", &y, &w); serr != nil || w < 1 || w > 53 {
			return Period{}, errs.E(errs.Invalid, msgBadPeriod)
		}
		// 4 January is always in week 1.
		t = time.Date(y, 1, 4, 0, 0, 0, 0, clock.China).AddDate(0, 0, 7*(w-1))
	}
	if err != nil || t.IsZero() {
		return Period{}, errs.E(errs.Invalid, msgBadPeriod)
	}
	p := PeriodOf(k, t)
	if p.Key != key {
		return Period{}, errs.E(errs.Invalid, msgBadPeriod)
	}
	return p, nil
}

// Prev is the period before p.
func (p Period) Prev() Period { return PeriodOf(p.Kind, p.Start.AddDate(0, 0, -1)) }

// Next is the period after p.
func (p Period) Next() Period { return PeriodOf(p.Kind, p.End.AddDate(0, 0, 1)) }

// Contains reports whether day d (any time on it) lies in p.
func (p Period) Contains(d time.Time) bool {
	d = clock.Date(d)
	return !d.Before(p.Start) && !d.After(p.End)
}

// Label names the period for people: "11月28日", "11月23日—11月29日",
// "2026年11月".
func (p Period) Label() string {
	switch p.Kind {
	case Weekly:
		return p.Start.Format("1月2日") + "—" + p.End.Format("1月2日")
	case Monthly:
		return p.Start.Format("2006年1月")
	}
	return p.Start.Format("1月2日")
}

// Days lists the days of p up to and including through (all of them when
// through is on or after its end).
func (p Period) Days(through time.Time) []time.Time {
	last := p.End
	if t := clock.Date(through); t.Before(last) {
		last = t
	}
	var out []time.Time
	for d := p.Start; !d.After(last); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// Check says whether p may be recorded on day today: it has begun and
// ended no more than LateDays ago (Invalid otherwise, saying so). late is
// true once it has ended.
func (p Period) Check(today time.Time) (late bool, err error) {
	today = clock.Date(today)
	switch {
	case p.Start.After(today):
		return false, errs.E(errs.Invalid, msgFuture, p.Kind.Label())
	case today.After(p.End.AddDate(0, 0, LateDays)):
		return false, errs.E(errs.Invalid, msgTooLate, LateDays, p.Kind.Label())
	}
	return today.After(p.End), nil
}

// Open reports whether p may still be recorded on day today, and whether
// it would be late.
func (p Period) Open(today time.Time) (ok, late bool) {
	late, err := p.Check(today)
	return err == nil, late
}

func (p Period) startKey() string { return p.Start.Format(dayLayout) }
func (p Period) endKey() string   { return p.End.Format(dayLayout) }
