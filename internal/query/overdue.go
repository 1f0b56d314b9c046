package query

import (
	"context"
	"fmt"
	"sort"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
)

// OverdueItem is a business whose previous cycle passed without a visit
// and which has not been visited since (逾期). Grade is the register's word.
type OverdueItem struct {
	BusinessID     int64
	BusinessName   string
	Grade          string
	VillageID      int64
	Village        string
	CadreID        int64
	CadreName      string
	CadreWorkPhone string
	// CycleLabel names the cycle that was missed.
	CycleLabel  string
	DaysOverdue int
}

// overdueWhere is the condition, on businesses aliased b, of being overdue
// at now, with its arguments: operating, owing a visit in the cycle before
// the current one (operating since before it ended), and without a
// counting visit from that cycle's start until now.
func (r *Reader) overdueWhere() (string, []any, map[string]Cycle) {
	cur := r.cycles(r.now())
	prev := r.prevCycles(cur)
	covered, cargs := r.coveredInSQL(sinceSpan(prev, cur))
	duePrev, dargs := r.dueBeforeSQL(prev)
	args := append([]any{statusOperating}, dargs...)
	return "b.status = ? AND " + duePrev + " AND NOT " + covered, append(args, cargs...), prev
}

// Overdue lists the overdue operating businesses in a region subtree ("" for
// everything) with the cadres packing them, longest overdue first, then by
// village (in region order) and name. Businesses that were not operating
// before the missed cycle ended are not overdue. One query.
func (r *Reader) Overdue(ctx context.Context, scopePath string) ([]OverdueItem, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, err
	}
	if err := r.rulesOK(); err != nil {
		return nil, err
	}
	where, args, prev := r.overdueWhere()
	if scopePath != "" {
		where += " AND " + subtree("r.path")
		args = append(args, subtreeArg(scopePath))
	}
	var rows []OverdueItem
	err := r.db.Gorm(ctx).Raw(`
SELECT b.id AS business_id, b.name AS business_name, b.grade, r.id AS village_id, r.name AS village,
	COALESCE(c.id, 0) AS cadre_id, COALESCE(c.name, '') AS cadre_name, COALESCE(c.work_phone, '') AS cadre_work_phone
FROM businesses b JOIN regions r ON r.id = b.region_id
LEFT JOIN assignments a ON a.active_business_id = b.id
LEFT JOIN cadres c ON c.id = a.cadre_id
WHERE `+where, args...).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("overdue: %w", db.Translate(err))
	}
	now := r.now()
	for i := range rows {
		pc := prev[rows[i].Grade]
		rows[i].CycleLabel = pc.Label
		rows[i].DaysOverdue = clock.DaysBetween(pc.Due, now)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.DaysOverdue != b.DaysOverdue {
			return a.DaysOverdue > b.DaysOverdue
		}
		if a.VillageID != b.VillageID {
			return a.VillageID < b.VillageID
		}
		if a.BusinessName != b.BusinessName {
			return a.BusinessName < b.BusinessName
		}
		return a.BusinessID < b.BusinessID
	})
	return rows, nil
}

// OverdueCount counts what Overdue lists, in one query.
func (r *Reader) OverdueCount(ctx context.Context, scopePath string) (int64, error) {
	if err := checkScope(scopePath); err != nil {
		return 0, err
	}
	if err := r.rulesOK(); err != nil {
		return 0, err
	}
	where, args, _ := r.overdueWhere()
	if scopePath != "" {
		where += " AND " + regionIn("b.region_id")
		args = append(args, subtreeArg(scopePath))
	}
	var n int64
	if err := r.db.Gorm(ctx).Raw("SELECT COUNT(*) FROM businesses b WHERE "+where, args...).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("overdue count: %w", db.Translate(err))
	}
	return n, nil
}
