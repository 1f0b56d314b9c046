package query

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/shianbao/shianbao/internal/db"
)

// CoverageRow is one line of a progress report: of Due operating
// businesses, Covered have been visited this cycle. ID is the town's or
// village's region id, or the cadre's id.
type CoverageRow struct {
	ID      int64
	Name    string
	Due     int
	Covered int
	Percent float64
}

func (r *CoverageRow) percent() {
	r.Percent = 0
	if r.Due > 0 {
		r.Percent = float64(r.Covered) * 100 / float64(r.Due)
	}
}

// Progress is the coverage of the current cycle in a region (进度).
type Progress struct {
	// Cycle names the cycle most businesses are counted in (grade D's).
	Cycle string
	Total CoverageRow
	// ByTown and ByVillage are by the region each business is registered
	// in (added up to its town), in region order; ByCadre by the cadre
	// packing it now, least covered first. Unassigned businesses count in
	// the total, their town and their village only.
	ByTown    []CoverageRow
	ByVillage []CoverageRow
	ByCadre   []CoverageRow
}

// Progress reports, for the operating businesses in a region subtree
// (scopePath is a Region.Path, "" for everything), how many are covered in
// their own grade's current cycle: in total, by town, by village and by
// cadre. Two queries: one grouped by village and cadre, one for the towns.
func (r *Reader) Progress(ctx context.Context, scopePath string) (*Progress, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, err
	}
	if err := r.rulesOK(); err != nil {
		return nil, err
	}
	cur := r.cycles(r.now())
	covered, cargs := r.coveredInSQL(spanOf(cur))
	p := &Progress{Cycle: cur[r.gradeD()].Label, Total: CoverageRow{Name: msgTotal}}
	// One pass: coverage by (village, cadre) pair, added up every way here.
	// There are about as many pairs as cadres, whatever the businesses.
	var pairs []struct {
		VillageID, CadreID     int64
		VillageName, CadreName string
		VillagePath            string
		Due, Covered           int
	}
	args := append(append([]any{}, cargs...), statusOperating)
	where := "b.status = ?"
	if scopePath != "" {
		where += " AND " + subtree("r.path")
		args = append(args, subtreeArg(scopePath))
	}
	err := r.db.Gorm(ctx).Raw(`
SELECT r.id AS village_id, r.name AS village_name, r.path AS village_path, COALESCE(c.id, 0) AS cadre_id,
	COALESCE(c.name, '') AS cadre_name, COUNT(*) AS due, SUM(CASE WHEN `+covered+` THEN 1 ELSE 0 END) AS covered
FROM businesses b JOIN regions r ON r.id = b.region_id
LEFT JOIN assignments a ON a.active_business_id = b.id
LEFT JOIN cadres c ON c.id = a.cadre_id
WHERE `+where+`
GROUP BY r.id, r.name, r.path, c.id, c.name`, args...).Scan(&pairs).Error
	if err != nil {
		return nil, fmt.Errorf("progress: %w", db.Translate(err))
	}
	towns, err := r.townsOf(ctx, scopePath)
	if err != nil {
		return nil, err
	}
	villages, cadres, byTown := map[int64]*CoverageRow{}, map[int64]*CoverageRow{}, map[int64]*CoverageRow{}
	add := func(m map[int64]*CoverageRow, id int64, name string, due, covered int) {
		row := m[id]
		if row == nil {
			row = &CoverageRow{ID: id, Name: name}
			m[id] = row
		}
		row.Due += due
		row.Covered += covered
	}
	for _, pr := range pairs {
		add(villages, pr.VillageID, pr.VillageName, pr.Due, pr.Covered)
		t := townOf(towns, pr.VillagePath)
		if t.ID == 0 {
			t = CoverageRow{ID: pr.VillageID, Name: pr.VillageName}
		}
		add(byTown, t.ID, t.Name, pr.Due, pr.Covered)
		if pr.CadreID != 0 {
			add(cadres, pr.CadreID, pr.CadreName, pr.Due, pr.Covered)
		}
		p.Total.Due += pr.Due
		p.Total.Covered += pr.Covered
	}
	p.Total.percent()
	p.ByTown = regionOrder(byTown)
	p.ByVillage = regionOrder(villages)
	for _, row := range cadres {
		row.percent()
		p.ByCadre = append(p.ByCadre, *row)
	}
	sort.SliceStable(p.ByCadre, func(i, j int) bool {
		a, b := p.ByCadre[i], p.ByCadre[j]
		if a.Percent != b.Percent {
			return a.Percent < b.Percent
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	return p, nil
}

// regionOrder lists rows by region id, with their percentages.
func regionOrder(m map[int64]*CoverageRow) []CoverageRow {
	out := make([]CoverageRow, 0, len(m))
	for _, row := range m {
		row.percent()
		out = append(out, *row)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// town is a town's id, name and path.
type town struct {
	ID         int64
	Name, Path string
}

// townsOf lists the towns in or around the subtree: those inside it, and
// the one it lies in when it is a town or a village.
func (r *Reader) townsOf(ctx context.Context, scopePath string) ([]town, error) {
	q := r.db.Gorm(ctx).Table("regions").Select("id, name, path").Where("level = ?", "town")
	if scopePath != "" {
		// Inside: the path starts with the scope's. Around: the scope's
		// path starts with the town's, which the town's path prefixes
		// (ids and slashes only, so a prefix test is exact).
		var around []string
		parts := strings.Split(strings.Trim(scopePath, "/"), "/")
		for i := range parts {
			around = append(around, "/"+strings.Join(parts[:i+1], "/")+"/")
		}
		q = q.Where("("+subtree("path")+" OR path IN ?)", subtreeArg(scopePath), around)
	}
	var out []town
	if err := q.Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("progress: towns: %w", db.Translate(err))
	}
	return out, nil
}

// townOf is the row of the town a region path lies in (zero when none).
func townOf(towns []town, path string) CoverageRow {
	for _, t := range towns {
		if strings.HasPrefix(path, t.Path) {
			return CoverageRow{ID: t.ID, Name: t.Name}
		}
	}
	return CoverageRow{}
}

// gradeD is the grade most businesses are (the last): its cycle names a report's.
func (r *Reader) gradeD() string {
	gs := r.rules.Grades()
	return gs[len(gs)-1]
}

// CycleCoverage is a region's coverage in one cycle.
type CycleCoverage struct {
	// Key and Label name the cycle (grade D's: the quarter by default);
	// other grades count in their own cycle containing it.
	Key, Label   string
	Due, Covered int
	Percent      float64
}

// CoverageHistory reports the coverage of the current cycle and the n-1
// before it, oldest first, in one query. A business counts as due in a
// past cycle when it was registered before the cycle ended and was
// operating then (operating now, or its status changed after the cycle
// ended); the current cycle counts exactly as Progress does.
func (r *Reader) CoverageHistory(ctx context.Context, scopePath string, n int) ([]CycleCoverage, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, err
	}
	if err := r.rulesOK(); err != nil {
		return nil, err
	}
	if n <= 0 || n > 12 {
		n = 4
	}
	now := r.now()
	d := r.cycle(r.gradeD(), now)
	out := make([]CycleCoverage, n)
	var sel []string
	var args []any
	for k := 0; k < n; k++ {
		at := now
		if k > 0 {
			d = r.cycle(r.gradeD(), d.Start.Add(-1))
			at = d.Start
		}
		cur := r.cycles(at)
		out[n-1-k] = CycleCoverage{Key: d.Key, Label: d.Label}
		var due []string
		var dargs []any
		for _, gr := range r.rules.Grades() {
			end := cur[gr].End.UTC()
			due = append(due, "(b.grade = ? AND b.created_at < ? AND (b.status = ? OR b.status_since >= ?))")
			dargs = append(dargs, gr, end, statusOperating, end)
		}
		dueSQL := "(" + strings.Join(due, " OR ") + ")"
		cov, cargs := r.coveredInSQL(spanOf(cur))
		sel = append(sel, fmt.Sprintf("SUM(CASE WHEN %s THEN 1 ELSE 0 END) AS due%d", dueSQL, k),
			fmt.Sprintf("SUM(CASE WHEN %s AND %s THEN 1 ELSE 0 END) AS covered%d", dueSQL, cov, k))
		args = append(args, dargs...)
		args = append(append(args, dargs...), cargs...)
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM businesses b"
	if scopePath != "" {
		q += " WHERE " + regionIn("b.region_id")
		args = append(args, subtreeArg(scopePath))
	}
	row := map[string]any{}
	if err := r.db.Gorm(ctx).Raw(q, args...).Scan(&row).Error; err != nil {
		return nil, fmt.Errorf("coverage history: %w", db.Translate(err))
	}
	for k := 0; k < n; k++ {
		c := &out[n-1-k]
		c.Due, c.Covered = toInt(row[fmt.Sprintf("due%d", k)]), toInt(row[fmt.Sprintf("covered%d", k)])
		if c.Due > 0 {
			c.Percent = float64(c.Covered) * 100 / float64(c.Due)
		}
	}
	return out, nil
}

// toInt reads a count as either driver returns it (NULL for a SUM of nothing).
func toInt(v any) int {
	switch x := v.(type) {
	case int64:
		return int(x)
	case int:
		return x
	case float64:
		return int(x)
	case []byte:
		var n int
		fmt.Sscan(string(x), &n)
		return n
	case string:
		var n int
		fmt.Sscan(x, &n)
		return n
	}
	return 0
}

// ProgressLine is one line of the progress table an office sends upward:
// for the businesses of one village packed by one cadre, how many there
// are (not deregistered), how many owe a visit this cycle (operating), how
// many are covered, and the findings of this cycle's visits and how many
// of those are rectified.
type ProgressLine struct {
	VillageID  int64
	Village    string
	CadreID    int64
	CadreName  string
	Businesses int
	Due        int
	Covered    int
	Findings   int
	Rectified  int
}

// Percent is Covered of Due, in percent (0 when nothing is due).
func (l ProgressLine) Percent() float64 {
	if l.Due == 0 {
		return 0
	}
	return float64(l.Covered) * 100 / float64(l.Due)
}

// ProgressTable reports the progress table of a region subtree by village
// and cadre, in region then cadre-name order, and the cycle it is for
// (grade D's label). One grouped query.
func (r *Reader) ProgressTable(ctx context.Context, scopePath string) ([]ProgressLine, string, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, "", err
	}
	if err := r.rulesOK(); err != nil {
		return nil, "", err
	}
	cur := r.cycles(r.now())
	cov, cargs := r.coveredInSQL(spanOf(cur))
	var spans []string
	var sargs []any
	for _, g := range r.rules.Grades() {
		spans = append(spans, "(b2.grade = ? AND v.submitted_at >= ? AND v.submitted_at < ?)")
		sargs = append(sargs, g, cur[g].Start.UTC(), cur[g].End.UTC())
	}
	args := []any{statusOperating, statusOperating}
	args = append(args, cargs...)
	args = append(args, RectRectified, true)
	args = append(args, sargs...)
	args = append(args, statusDeregistered)
	where := "b.status <> ?"
	if scopePath != "" {
		where += " AND " + subtree("r.path")
		args = append(args, subtreeArg(scopePath))
	}
	var rows []ProgressLine
	err := r.db.Gorm(ctx).Raw(`
SELECT r.id AS village_id, r.name AS village, COALESCE(c.id, 0) AS cadre_id, COALESCE(c.name, '') AS cadre_name,
	COUNT(*) AS businesses,
	SUM(CASE WHEN b.status = ? THEN 1 ELSE 0 END) AS due,
	SUM(CASE WHEN b.status = ? AND `+cov+` THEN 1 ELSE 0 END) AS covered,
	COALESCE(SUM(fx.n), 0) AS findings,
	COALESCE(SUM(fx.rectified), 0) AS rectified
FROM businesses b JOIN regions r ON r.id = b.region_id
LEFT JOIN assignments a ON a.active_business_id = b.id
LEFT JOIN cadres c ON c.id = a.cadre_id
LEFT JOIN (
	SELECT f.business_id, COUNT(*) AS n, SUM(CASE WHEN rc.status = ? THEN 1 ELSE 0 END) AS rectified
	FROM findings f JOIN visits v ON v.id = f.visit_id JOIN businesses b2 ON b2.id = f.business_id
	LEFT JOIN rectifications rc ON rc.finding_id = f.id
	WHERE v.is_current = ? AND (`+strings.Join(spans, " OR ")+`)
	GROUP BY f.business_id
) fx ON fx.business_id = b.id
WHERE `+where+`
GROUP BY r.id, r.name, c.id, c.name
ORDER BY r.id, cadre_name, cadre_id`, args...).Scan(&rows).Error
	if err != nil {
		return nil, "", fmt.Errorf("progress table: %w", db.Translate(err))
	}
	return rows, cur[r.gradeD()].Label, nil
}
