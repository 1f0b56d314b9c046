package supervision

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/registry"
)

// span is a half-open stretch of time [from, to) per grade.
type span map[registry.Grade][2]time.Time

func spanOf(cycles map[registry.Grade]Cycle) span {
	out := span{}
	for g, c := range cycles {
		out[g] = [2]time.Time{c.Start, c.End}
	}
	return out
}

// coveredSQL is a condition on the business aliased b: it has a current
// visit, in a mode that counts for its grade, submitted within its
// grade's stretch of sp. Each grade is one OR branch, so a whole region's
// coverage is one query whatever the mix of grades.
func (s *Service) coveredSQL(sp span) (string, []any) {
	var sb strings.Builder
	args := []any{true, true}
	sb.WriteString("EXISTS (SELECT 1 FROM visits v WHERE v.business_id = b.id AND v.is_current = ? AND v.counted = ? AND (")
	for i, g := range registry.Grades {
		if i > 0 {
			sb.WriteString(" OR ")
		}
		sb.WriteString("(b.grade = ? AND v.submitted_at >= ? AND v.submitted_at < ? AND v.mode IN ?)")
		args = append(args, string(g), sp[g][0].UTC(), sp[g][1].UTC(), s.modes(g))
	}
	sb.WriteString("))")
	return sb.String(), args
}

// modes lists the modes that count for a grade, as query arguments.
func (s *Service) modes(g registry.Grade) []string {
	out := make([]string, 0, len(s.rules.CountingModes[g]))
	for _, m := range s.rules.CountingModes[g] {
		out = append(out, string(m))
	}
	return out
}

// dueBeforeSQL is a condition on b: it has been operating since before its
// grade's cycle in cycles ended, so that cycle's visit was owed.
func dueBeforeSQL(cycles map[registry.Grade]Cycle) (string, []any) {
	var parts []string
	var args []any
	for _, g := range registry.Grades {
		parts = append(parts, "(b.grade = ? AND COALESCE(b.status_since, b.created_at) < ?)")
		args = append(args, string(g), cycles[g].End.UTC())
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// Covered reports whether a business has a qualifying visit in its
// grade's current cycle, and which cycle that is. NotFound for an unknown business.
func (s *Service) Covered(ctx context.Context, businessID int64) (bool, Cycle, error) {
	b, err := s.reg.Business(ctx, businessID)
	if err != nil {
		return false, Cycle{}, err
	}
	c := s.rules.CycleFor(b.Grade, s.now())
	var n int64
	err = s.db.Gorm(ctx).Model(&Visit{}).
		Where("business_id = ? AND is_current = ? AND counted = ? AND submitted_at >= ? AND submitted_at < ? AND mode IN ?",
			businessID, true, true, c.Start.UTC(), c.End.UTC(), s.modes(b.Grade)).
		Count(&n).Error
	if err != nil {
		return false, c, fmt.Errorf("covered: %w", err)
	}
	return n > 0, c, nil
}

// CoveredAt returns when a business was last visited in its grade's
// current cycle by a visit that counts (its mode, not taken off by a
// review) — zero when it is not covered — and
// the cycle. It takes the business already read (the chat has just checked the
// cadre may report on it), so the turn does not read it twice.
func (s *Service) CoveredAt(ctx context.Context, b registry.Business) (time.Time, Cycle, error) {
	businessID := b.ID
	c := s.rules.CycleFor(b.Grade, s.now())
	var at []time.Time
	err := s.db.Gorm(ctx).Model(&Visit{}).
		Where("business_id = ? AND is_current = ? AND counted = ? AND submitted_at >= ? AND submitted_at < ? AND mode IN ?",
			businessID, true, true, c.Start.UTC(), c.End.UTC(), s.modes(b.Grade)).
		Order("submitted_at DESC").Limit(1).Pluck("submitted_at", &at).Error
	if err != nil {
		return time.Time{}, c, fmt.Errorf("covered at: %w", err)
	}
	if len(at) == 0 {
		return time.Time{}, c, nil
	}
	return at[0].In(clock.China), c, nil
}

// Task is a business a cadre still has to visit this cycle (我的任务).
// Overdue means its previous cycle passed without a visit as well.
type Task struct {
	BusinessID int64
	Name       string
	Address    string
	Grade      registry.Grade
	Category   registry.Category
	Cycle      Cycle
	DaysLeft   int
	Overdue    bool
}

// Tasks lists the businesses the cadre packs now that are operating and
// not yet covered in their grade's current cycle: overdue ones first, then
// by days left, then by name. One query, whatever the number of businesses.
func (s *Service) Tasks(ctx context.Context, cadreID int64) ([]Task, error) {
	now := s.now()
	cur := s.rules.cycles(now)
	prev := prevCycles(cur)
	coveredNow, a1 := s.coveredSQL(spanOf(cur))
	coveredPrev, a2 := s.coveredSQL(spanOf(prev))
	duePrev, a3 := dueBeforeSQL(prev)
	var rows []struct {
		ID       int64
		Name     string
		Address  string
		Grade    registry.Grade
		Category registry.Category
		Overdue  int
	}
	args := append(append(append([]any{}, a3...), a2...), cadreID, registry.StatusOperating)
	args = append(args, a1...)
	err := s.db.Gorm(ctx).Raw(`
SELECT b.id, b.name, b.address, b.grade, b.category,
	CASE WHEN `+duePrev+` AND NOT `+coveredPrev+` THEN 1 ELSE 0 END AS overdue
FROM businesses b JOIN assignments a ON a.active_business_id = b.id
WHERE a.cadre_id = ? AND b.status = ? AND NOT `+coveredNow, args...).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	out := make([]Task, len(rows))
	for i, r := range rows {
		c := cur[r.Grade]
		out[i] = Task{BusinessID: r.ID, Name: r.Name, Address: r.Address, Grade: r.Grade, Category: r.Category,
			Cycle: c, DaysLeft: c.DaysLeft(now), Overdue: r.Overdue == 1}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Overdue != b.Overdue {
			return a.Overdue
		}
		if a.DaysLeft != b.DaysLeft {
			return a.DaysLeft < b.DaysLeft
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.BusinessID < b.BusinessID
	})
	return out, nil
}

func prevCycles(cur map[registry.Grade]Cycle) map[registry.Grade]Cycle {
	out := make(map[registry.Grade]Cycle, len(cur))
	for g, c := range cur {
		out[g] = c.Prev()
	}
	return out
}
