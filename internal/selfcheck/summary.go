package selfcheck

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
)

// WeekSummary is a week's daily records as the weekly review shows them
// (and keeps, as they stood when it was made).
type WeekSummary struct {
	// Days is how many days of the week have passed (all seven once it
	// is over); Recorded how many of them have a daily record.
	Days     int `json:"days"`
	Recorded int `json:"recorded"`
	// Missing lists the passed days without a record ("2026-11-24").
	Missing []string `json:"missing,omitempty"`
	// Problems are the problems the daily records found, by day; Open
	// counts those not dealt with on the day.
	Problems []ProblemLine `json:"problems,omitempty"`
	Open     int           `json:"open"`
}

// ProblemLine is one problem a daily record found.
type ProblemLine struct {
	Day      string `json:"day"`
	Label    string `json:"label"`
	Note     string `json:"note"`
	Resolved bool   `json:"resolved,omitempty"`
}

// DayLabel is the problem's day as people write it ("11月25日").
func (p ProblemLine) DayLabel() string { return dayLabel(p.Day) }

// MissingLabels are the missing days as people write them.
func (w WeekSummary) MissingLabels() []string {
	out := make([]string, len(w.Missing))
	for i, d := range w.Missing {
		out[i] = dayLabel(d)
	}
	return out
}

func dayLabel(key string) string {
	t, err := time.ParseInLocation(dayLayout, key, clock.China)
	if err != nil {
		return key
	}
	return t.Format("1月2日")
}

// MonthFigures are a month's figures as the monthly dispatch shows them
// (and keeps).
type MonthFigures struct {
	// Days have passed in the month; Recorded of them have a daily record.
	Days     int `json:"days"`
	Recorded int `json:"recorded"`
	// Problems the daily records found; Open of them neither dealt with
	// on the day nor confirmed resolved by that week's review.
	Problems int `json:"problems"`
	Open     int `json:"open"`
	// Weekly counts the weekly reviews of weeks ending in the month.
	Weekly int `json:"weekly"`
	// Visits are the supervision visits to the business in the month and
	// VisitFindings the problems they found; Letters the prompt letters
	// issued, LettersAcked of them acknowledged. Supervision is false when
	// these were not available.
	Supervision   bool `json:"supervision"`
	Visits        int  `json:"visits"`
	VisitFindings int  `json:"visit_findings"`
	Letters       int  `json:"letters"`
	LettersAcked  int  `json:"letters_acked"`
}

// dailyIn returns a business's daily records from day from to day to
// (keys, inclusive), by day.
func (s *Service) dailyIn(ctx context.Context, businessID int64, from, to string) ([]Record, error) {
	var rs []Record
	err := s.d.DB.Gorm(ctx).Where("business_id = ? AND kind = ? AND period >= ? AND period <= ? AND revision > 0",
		businessID, Daily, from, to).Order("period").Find(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("selfcheck daily records: %w", err)
	}
	return rs, nil
}

// WeekSummary sums up the daily records of a business's week p so far.
// One query.
func (s *Service) WeekSummary(ctx context.Context, businessID int64, p Period) (*WeekSummary, error) {
	rs, err := s.dailyIn(ctx, businessID, p.startKey(), p.endKey())
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(rs))
	sum := &WeekSummary{}
	for _, r := range rs {
		have[r.Period] = true
		for _, it := range r.Body.Items {
			if !it.Problem {
				continue
			}
			sum.Problems = append(sum.Problems, ProblemLine{Day: r.Period, Label: it.Label, Note: it.Note, Resolved: it.Resolved})
			if !it.Resolved {
				sum.Open++
			}
		}
	}
	for _, d := range p.Days(s.today()) {
		sum.Days++
		if k := d.Format(dayLayout); have[k] {
			sum.Recorded++
		} else {
			sum.Missing = append(sum.Missing, k)
		}
	}
	return sum, nil
}

// MonthFigures works out a business's month p so far: two queries of its
// records, and the visits and letters when available.
func (s *Service) MonthFigures(ctx context.Context, businessID int64, p Period) (*MonthFigures, error) {
	daily, err := s.dailyIn(ctx, businessID, p.startKey(), p.endKey())
	if err != nil {
		return nil, err
	}
	var weeks []Record
	// The weeks overlapping the month: their reviews may resolve its problems.
	err = s.d.DB.Gorm(ctx).Where("business_id = ? AND kind = ? AND period_end >= ? AND period_start <= ? AND revision > 0",
		businessID, Weekly, p.startKey(), p.endKey()).Find(&weeks).Error
	if err != nil {
		return nil, fmt.Errorf("selfcheck weekly records: %w", err)
	}
	resolved := map[string]bool{}
	f := &MonthFigures{Days: len(p.Days(s.today()))}
	for _, w := range weeks {
		resolved[w.Period] = w.Body.Resolved
		if w.PeriodEnd >= p.startKey() && w.PeriodEnd <= p.endKey() {
			f.Weekly++
		}
	}
	for _, r := range daily {
		f.Recorded++
		f.Problems += r.Problems
		if !resolved[PeriodOf(Weekly, r.Day()).Key] {
			f.Open += r.Open
		}
	}
	if s.d.Visits != nil && s.d.Letters != nil {
		if err := s.oversight(ctx, businessID, p, f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// oversight adds the month's visits and letters to f.
func (s *Service) oversight(ctx context.Context, businessID int64, p Period, f *MonthFigures) error {
	vs, err := s.d.Visits.VisitsOf(ctx, businessID, p.Start, p.End.AddDate(0, 0, 1), 1000)
	if err != nil {
		return fmt.Errorf("selfcheck month figures: %w", err)
	}
	ls, err := s.d.Letters.ForBusiness(ctx, businessID)
	if err != nil {
		return fmt.Errorf("selfcheck month figures: %w", err)
	}
	f.Supervision = true
	f.Visits = len(vs)
	for _, v := range vs {
		f.VisitFindings += v.Findings
	}
	for _, l := range ls {
		if p.Contains(l.IssuedAt) {
			f.Letters++
			if l.AcknowledgedAt != nil {
				f.LettersAcked++
			}
		}
	}
	return nil
}

// noVisitWindow is how far back the counts reach for a business never
// visited.
const noVisitWindow = 90

// Counts are a business's records since a day, for the cadre's next visit.
type Counts struct {
	// Since is the day counted from: the last visit's, or noVisitWindow
	// days back when Visited is false.
	Since   time.Time
	Visited bool
	Daily   int
	Weekly  int
	Monthly int
}

// SinceLastVisit counts the business's records of periods ending on or
// after the day of its last supervision visit (the visit being reported
// is not stored yet, so this is the one before). Without Visits it counts
// the last noVisitWindow days. Three queries at most.
func (s *Service) SinceLastVisit(ctx context.Context, businessID int64) (*Counts, error) {
	c := &Counts{Since: s.today().AddDate(0, 0, -noVisitWindow)}
	if s.d.Visits != nil {
		vs, err := s.d.Visits.VisitsOf(ctx, businessID, time.Time{}, time.Time{}, 1)
		if err != nil {
			return nil, fmt.Errorf("selfcheck counts: %w", err)
		}
		if len(vs) > 0 {
			c.Since, c.Visited = clock.Date(vs[0].SubmittedAt), true
		}
	}
	var rows []struct {
		Kind Kind
		N    int
	}
	err := s.d.DB.Gorm(ctx).Model(&Record{}).Select("kind, COUNT(*) AS n").
		Where("business_id = ? AND period_end >= ? AND revision > 0", businessID, c.Since.Format(dayLayout)).
		Group("kind").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("selfcheck counts: %w", err)
	}
	for _, r := range rows {
		switch r.Kind {
		case Daily:
			c.Daily = r.N
		case Weekly:
			c.Weekly = r.N
		case Monthly:
			c.Monthly = r.N
		}
	}
	return c, nil
}
