package supervision

import (
	"fmt"
	"slices"
	"time"

	"github.com/shianbao/shianbao/internal/registry"
)

// Rules are the supervision settings that differ between places.
type Rules struct {
	// Frequency is how often a business of each grade must be visited.
	Frequency map[registry.Grade]Period
	// CountingModes lists, per grade, the visit modes that cover a cycle.
	CountingModes map[registry.Grade][]Mode
	// DeadlineDays is the default rectification deadline, in days after the visit.
	DeadlineDays int
	// FarMeters flags (never blocks) a report sent from further than this
	// from the business's registered location.
	FarMeters float64
}

// DefaultRules are the seed document's: A yearly, B half-yearly, C and D
// quarterly; every mode counts; seven days to rectify; 500 m.
func DefaultRules() Rules {
	all := []Mode{ModeOnsite, ModeOnline, ModeCentralized, ModeReport}
	return Rules{
		Frequency: map[registry.Grade]Period{
			registry.GradeA: PeriodYear, registry.GradeB: PeriodHalf,
			registry.GradeC: PeriodQuarter, registry.GradeD: PeriodQuarter,
		},
		CountingModes: map[registry.Grade][]Mode{
			registry.GradeA: all, registry.GradeB: all, registry.GradeC: all, registry.GradeD: all,
		},
		DeadlineDays: 7,
		FarMeters:    500,
	}
}

// Validate says what is wrong with the rules, or nil.
func (r Rules) Validate() error {
	for _, g := range registry.Grades {
		if !r.Frequency[g].Valid() {
			return fmt.Errorf("supervision rules: grade %s has no valid frequency (year, half, quarter or month)", g)
		}
		ms := r.CountingModes[g]
		if len(ms) == 0 {
			return fmt.Errorf("supervision rules: no visit mode counts for grade %s", g)
		}
		for _, m := range ms {
			if !m.Valid() {
				return fmt.Errorf("supervision rules: unknown visit mode %q for grade %s", m, g)
			}
		}
	}
	if r.DeadlineDays < 1 || r.DeadlineDays > 365 {
		return fmt.Errorf("supervision rules: deadline days %d out of 1…365", r.DeadlineDays)
	}
	if r.FarMeters <= 0 {
		return fmt.Errorf("supervision rules: far distance must be positive")
	}
	return nil
}

// Period is how often a grade is due.
func (r Rules) Period(g registry.Grade) Period { return r.Frequency[g] }

// CycleFor is the grade's cycle containing t.
func (r Rules) CycleFor(g registry.Grade, t time.Time) Cycle { return CycleFor(r.Frequency[g], t) }

// Counts reports whether a visit in mode m covers a business of grade g.
func (r Rules) Counts(g registry.Grade, m Mode) bool { return slices.Contains(r.CountingModes[g], m) }

// cycles returns every grade's current cycle at now.
func (r Rules) cycles(now time.Time) map[registry.Grade]Cycle {
	out := make(map[registry.Grade]Cycle, len(registry.Grades))
	for _, g := range registry.Grades {
		out[g] = r.CycleFor(g, now)
	}
	return out
}
