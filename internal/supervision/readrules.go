package supervision

import (
	"time"

	"github.com/shianbao/shianbao/internal/registry"
)

// ReadRules are the service's rules and checklist in the plain words and
// times the read side (internal/query) asks for them, so it counts
// coverage exactly as the service does without importing it.
type ReadRules struct{ s *Service }

// ReadRules returns the service's rules for the read side.
func (s *Service) ReadRules() ReadRules { return ReadRules{s} }

// Grades lists the grades, A first.
func (r ReadRules) Grades() []string {
	out := make([]string, len(registry.Grades))
	for i, g := range registry.Grades {
		out[i] = string(g)
	}
	return out
}

// Cycle is grade's cycle containing t: its key, label, first instant and
// the first instant of the next.
func (r ReadRules) Cycle(grade string, t time.Time) (key, label string, start, end time.Time) {
	c := r.s.rules.CycleFor(registry.Grade(grade), t)
	return c.Key, c.Label, c.Start, c.End
}

// Modes lists the visit modes that cover a cycle of grade.
func (r ReadRules) Modes(grade string) []string { return r.s.modes(registry.Grade(grade)) }

// CycleLabel names the cycle a key names, the key itself when none.
func (r ReadRules) CycleLabel(key string) string { return cycleLabel(key) }

// ItemLabel names a checklist item as a check of the kind shows it.
func (r ReadRules) ItemLabel(itemID, checkKind string) string {
	return r.s.lists.Label(itemID, checkKind)
}
