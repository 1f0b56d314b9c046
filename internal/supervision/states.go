package supervision

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/registry"
)

// AssignmentState is where one operating business stands at a moment: its
// grade's cycle then, whether that cycle and the one before are covered,
// and who packs it. The figures are Tasks' and Overdue's: a business listed
// by Tasks is one with Covered false, and one listed by Overdue is one with
// Overdue true.
type AssignmentState struct {
	BusinessID   int64
	BusinessName string
	Grade        registry.Grade
	// VillageID is the region the business is registered in; OfficeID the
	// office nearest above it (its town's), 0 when there is none.
	VillageID int64
	OfficeID  int64
	// CadreID is the cadre packing it now, 0 when it is unassigned;
	// CadreActive is false for a deactivated cadre.
	CadreID     int64
	CadreName   string
	CadreActive bool
	// Cycle is the grade's cycle at the moment asked about, Prev the one
	// before; DaysLeft counts the days to Cycle's due day.
	Cycle, Prev Cycle
	DaysLeft    int
	// Covered and CoveredPrev say whether Cycle and Prev have a
	// qualifying visit. OwedPrev says the business was operating before
	// Prev ended, so Prev's visit was owed.
	Covered, CoveredPrev, OwedPrev bool
	// Overdue means Prev was owed and missed and there has been no
	// qualifying visit since; DaysOverdue then counts the days since Prev's
	// due day.
	Overdue     bool
	DaysOverdue int
}

// States calls fn for every operating business (suspended and
// deregistered ones accrue no due visit), assigned or not, with its state
// at at. Its queries do not grow with the register: regions, offices, two
// per group of grades sharing a cycle and counting modes (A, B, and C with
// D by default) for the businesses covered in the cycle and in the one
// before, kept as bitmaps (a bit per business), and one for the businesses
// themselves, whose rows are streamed, so memory stays flat. An error from
// fn stops the walk and is returned.
//
// Visits count through the end of each cycle, as in Tasks: asked about a
// past moment, a business visited later in the same cycle is covered.
func (s *Service) States(ctx context.Context, at time.Time, fn func(AssignmentState) error) error {
	offices, err := s.officeIndex(ctx)
	if err != nil {
		return fmt.Errorf("states: %w", err)
	}
	cur := s.rules.cycles(at)
	// Coverage comes from two range scans of ix_visits_counted_time per
	// group (the visits of each stretch, business ids only), kept as
	// bitmaps, and the businesses are read in one pass for every grade:
	// at a province's million businesses, probing the visits per business
	// and a full pass per group were most of the planner's time.
	byGrade := map[registry.Grade]*groupState{}
	var grades []registry.Grade
	var owed []string
	var args []any
	for _, grp := range s.gradeGroups(cur) {
		c := cur[grp[0]]
		g := &groupState{cycle: c, prev: c.Prev(), daysLeft: c.DaysLeft(at)}
		g.daysOverdue = DaysBetween(g.prev.Due, at)
		if g.now, err = s.coveredSet(ctx, grp[0], c.Start, c.End); err != nil {
			return err
		}
		if g.before, err = s.coveredSet(ctx, grp[0], g.prev.Start, g.prev.End); err != nil {
			return err
		}
		for _, gr := range grp {
			byGrade[gr] = g
		}
		grades = append(grades, grp...)
		// Owed as dueBeforeSQL has it: operating since before the previous cycle ended.
		owed = append(owed, "(b.grade IN ? AND COALESCE(b.status_since, b.created_at) < ?)")
		args = append(args, grp, g.prev.End.UTC())
	}
	args = append([]any{true}, args...)
	args = append(args, registry.StatusOperating, grades)
	rows, err := s.db.Gorm(ctx).Raw(`
SELECT b.id, b.name, b.grade, b.region_id, COALESCE(c.id, 0), COALESCE(c.name, ''),
	CASE WHEN c.active = ? THEN 1 ELSE 0 END,
	CASE WHEN `+strings.Join(owed, " OR ")+` THEN 1 ELSE 0 END
FROM businesses b
LEFT JOIN assignments a ON a.active_business_id = b.id
LEFT JOIN cadres c ON c.id = a.cadre_id
WHERE b.status = ? AND b.grade IN ?`, args...).Rows()
	if err != nil {
		return fmt.Errorf("states: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st AssignmentState
		var grade string
		var active, owed int
		if err := rows.Scan(&st.BusinessID, &st.BusinessName, &grade, &st.VillageID, &st.CadreID, &st.CadreName,
			&active, &owed); err != nil {
			return fmt.Errorf("states: %w", err)
		}
		g := byGrade[registry.Grade(grade)]
		st.Grade, st.Cycle, st.Prev, st.DaysLeft = registry.Grade(grade), g.cycle, g.prev, g.daysLeft
		st.OfficeID = offices[st.VillageID]
		st.CadreActive = active == 1
		st.Covered, st.CoveredPrev, st.OwedPrev = g.now.has(st.BusinessID), g.before.has(st.BusinessID), owed == 1
		if st.OwedPrev && !st.CoveredPrev && !st.Covered {
			st.Overdue, st.DaysOverdue = true, g.daysOverdue
		}
		if err := fn(st); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("states: %w", err)
	}
	return nil
}

// groupState is what the grades of one group share at a moment: their
// cycle and the one before, and who was covered in each.
type groupState struct {
	cycle, prev           Cycle
	daysLeft, daysOverdue int
	now, before           idSet
}

// gradeGroups groups the grades whose cycles and counting modes are the
// same at this moment. Within a group coverage is one range of visits (the
// cycle's stretch) instead of a test of every visit a business ever had
// against each grade's stretch, which is what makes a city's states a few
// seconds' work.
func (s *Service) gradeGroups(cur map[registry.Grade]Cycle) [][]registry.Grade {
	var out [][]registry.Grade
	for _, g := range registry.Grades {
		i := slices.IndexFunc(out, func(grp []registry.Grade) bool {
			return cur[grp[0]].Key == cur[g].Key && slices.Equal(s.modes(grp[0]), s.modes(g))
		})
		if i < 0 {
			out = append(out, []registry.Grade{g})
		} else {
			out[i] = append(out[i], g)
		}
	}
	return out
}

// idSet is a set of ids as a bitmap: an eighth of a byte per id up to the
// highest, 125 KB for a million businesses.
type idSet []uint64

func (s *idSet) add(id int64) {
	if id < 0 {
		return
	}
	i := int(id / 64)
	if i >= len(*s) {
		*s = append(*s, make([]uint64, i+1-len(*s))...)
	}
	(*s)[i] |= 1 << (uint(id) % 64)
}

func (s idSet) has(id int64) bool {
	i := int(id / 64)
	return id >= 0 && i < len(s) && s[i]&(1<<(uint(id)%64)) != 0
}

// coveredSet is the businesses with a qualifying visit (current, counted,
// of grade g's modes) in [from, to), as the console's coverage counts it.
func (s *Service) coveredSet(ctx context.Context, g registry.Grade, from, to time.Time) (idSet, error) {
	rows, err := s.db.Gorm(ctx).Raw(`SELECT v.business_id FROM visits v
WHERE v.submitted_at >= ? AND v.submitted_at < ? AND v.is_current = ? AND v.counted = ? AND v.mode IN ?`,
		from.UTC(), to.UTC(), true, true, s.modes(g)).Rows()
	if err != nil {
		return nil, fmt.Errorf("states: covered: %w", err)
	}
	defer rows.Close()
	var set idSet
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("states: covered: %w", err)
		}
		set.add(id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("states: covered: %w", err)
	}
	return set, nil
}

// officeIndex maps every region to the office nearest above it (itself
// included), as registry's OfficeFor does for one region, in two queries.
func (s *Service) officeIndex(ctx context.Context) (map[int64]int64, error) {
	regions, err := s.reg.Regions(ctx)
	if err != nil {
		return nil, err
	}
	offices, err := s.reg.Offices(ctx)
	if err != nil {
		return nil, err
	}
	byRegion := make(map[int64]int64, len(offices))
	for _, o := range offices {
		byRegion[o.RegionID] = o.ID
	}
	out := make(map[int64]int64, len(regions))
	// Regions come ordered by path, so a parent is resolved before its children.
	for _, r := range regions {
		if id, ok := byRegion[r.ID]; ok {
			out[r.ID] = id
		} else if r.ParentID != nil {
			out[r.ID] = out[*r.ParentID]
		}
	}
	return out, nil
}

// RectificationState is an open rectification of an operating business,
// with the cadre who packs the business now (who follows it up) and the
// office above it.
type RectificationState struct {
	ID, BusinessID int64
	BusinessName   string
	VillageID      int64
	OfficeID       int64
	// CadreID is 0 when the business is unassigned.
	CadreID     int64
	CadreName   string
	CadreActive bool
	ItemLabel   string
	Description string
	Requirement string
	// Deadline is a day (midnight China time); DaysLeft counts from at's
	// day to it and is negative once it has passed.
	Deadline time.Time
	DaysLeft int
}

// OpenRectificationStates lists the open rectifications of operating
// businesses whose deadline falls on a day in [from, to) (China time), by
// deadline then id: the ones a reminder is due for. The deadline range is
// an index range, so only those rows are read. One query besides the
// office index.
func (s *Service) OpenRectificationStates(ctx context.Context, at, from, to time.Time) ([]RectificationState, error) {
	offices, err := s.officeIndex(ctx)
	if err != nil {
		return nil, fmt.Errorf("open rectifications: %w", err)
	}
	var rows []struct {
		ID, BusinessID, RegionID, CadreID int64
		BusinessName, CadreName           string
		CadreActive                       int
		ItemID, CheckKind, Description    string
		Requirement                       string
		Deadline                          time.Time
	}
	err = s.db.Gorm(ctx).Raw(`
SELECT r.id, r.business_id, b.region_id, COALESCE(c.id, 0) AS cadre_id, b.name AS business_name,
	COALESCE(c.name, '') AS cadre_name, CASE WHEN c.active = ? THEN 1 ELSE 0 END AS cadre_active,
	f.item_id, v.check_kind, f.description, f.requirement, r.deadline
FROM rectifications r
JOIN businesses b ON b.id = r.business_id
JOIN findings f ON f.id = r.finding_id
JOIN visits v ON v.id = f.visit_id
LEFT JOIN assignments a ON a.active_business_id = r.business_id
LEFT JOIN cadres c ON c.id = a.cadre_id
WHERE r.status = ? AND r.deadline >= ? AND r.deadline < ? AND b.status = ?
ORDER BY r.deadline, r.id`, true, StatusOpen, clock.Date(from).UTC(), clock.Date(to).UTC(), registry.StatusOperating).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("open rectifications: %w", err)
	}
	out := make([]RectificationState, len(rows))
	for i, r := range rows {
		out[i] = RectificationState{
			ID: r.ID, BusinessID: r.BusinessID, BusinessName: r.BusinessName, VillageID: r.RegionID,
			OfficeID: offices[r.RegionID], CadreID: r.CadreID, CadreName: r.CadreName, CadreActive: r.CadreActive == 1,
			ItemLabel: s.lists.Label(r.ItemID, r.CheckKind), Description: r.Description, Requirement: r.Requirement,
			Deadline: clock.Date(r.Deadline), DaysLeft: DaysBetween(at, r.Deadline),
		}
	}
	return out, nil
}

// RectificationCount is how many open rectifications the operating
// businesses of a region have, and how many of them are past their
// deadline at the moment asked about.
type RectificationCount struct {
	VillageID     int64
	Open, Overdue int
}

// OpenRectificationCounts counts open rectifications by the region of
// their business, for digests. One grouped query.
func (s *Service) OpenRectificationCounts(ctx context.Context, at time.Time) ([]RectificationCount, error) {
	var out []RectificationCount
	err := s.db.Gorm(ctx).Raw(`
SELECT b.region_id AS village_id, COUNT(*) AS open, SUM(CASE WHEN r.deadline < ? THEN 1 ELSE 0 END) AS overdue
FROM rectifications r JOIN businesses b ON b.id = r.business_id
WHERE r.status = ? AND b.status = ?
GROUP BY b.region_id`, clock.Date(at).UTC(), StatusOpen, registry.StatusOperating).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("count open rectifications: %w", err)
	}
	return out, nil
}
