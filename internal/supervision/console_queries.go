package supervision

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// This file holds the managers' console's lists and figures: each is one
// set-based query (or a fixed few), limited to a region subtree. A scope
// path of "" means everything (an administrator); any other must be a
// Region.Path, and an id outside it is NotFound, so the console never
// reveals what lies elsewhere.

// consoleScope checks a scope that may be empty.
func consoleScope(path string) error {
	if path == "" {
		return nil
	}
	return checkScope(path)
}

// inRegions limits q, whose regions are aliased alias, to the subtree.
func inRegions(q *gorm.DB, alias, path string) *gorm.DB {
	if path == "" {
		return q
	}
	return q.Where(alias+".path LIKE ?", path+"%")
}

func likeArg(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// listLimit bounds a page.
func listLimit(n int) int {
	if n <= 0 {
		return 50
	}
	return min(n, 1000)
}

// Coverage filters of a business list.
const (
	CoveredYes = "yes"
	CoveredNo  = "no"
)

// BusinessQuery selects businesses for the console's register.
type BusinessQuery struct {
	// ScopePath is the user's subtree; RegionPath narrows it further (a
	// town or village the user picked, already checked to lie in scope).
	ScopePath, RegionPath string
	// Query matches the name, credit code or licence number.
	Query    string
	Grade    registry.Grade
	Category registry.Category
	Status   registry.Status
	// Covered is CoveredYes or CoveredNo: covered, or not yet covered,
	// in the grade's current cycle. CoveredNo keeps operating businesses
	// only (the others owe no visit).
	Covered string
	CadreID int64
	Limit   int
	Offset  int
	// KnownTotal, when positive, is a recent count of what the other
	// fields select (the console keeps slow counts a minute); the count
	// is then not run again.
	KnownTotal int64
}

// BusinessLine is a business as the console lists it.
type BusinessLine struct {
	ID         int64
	Name       string
	CreditCode *string
	LicenceNo  *string
	Category   registry.Category
	Grade      registry.Grade
	RegionID   int64
	Village    string
	Address    string
	Status     registry.Status
	CadreID    int64
	CadreName  string
	Covered    bool
}

// Code is the credit code, else the licence number.
func (b BusinessLine) Code() string {
	if b.CreditCode != nil {
		return *b.CreditCode
	}
	if b.LicenceNo != nil {
		return *b.LicenceNo
	}
	return ""
}

// businessWhere narrows q, over businesses aliased b, to what f selects.
// Regions and cadres are subqueries rather than joins, so a count or a
// sorted page of ids reads the businesses table alone.
func (s *Service) businessWhere(q *gorm.DB, f BusinessQuery) *gorm.DB {
	for _, path := range []string{f.ScopePath, f.RegionPath} {
		if path != "" {
			q = q.Where("b.region_id IN (SELECT id FROM regions WHERE path LIKE ?)", path+"%")
		}
	}
	if qs := strings.TrimSpace(f.Query); qs != "" {
		code := registry.NormalizeCode(qs)
		q = q.Where("(b.name LIKE ? OR b.credit_code LIKE ? OR b.licence_no LIKE ?)", likeArg(qs), likeArg(code), likeArg(code))
	}
	if f.Grade != "" {
		q = q.Where("b.grade = ?", f.Grade)
	}
	if f.Category != "" {
		q = q.Where("b.category = ?", f.Category)
	}
	if f.Status != "" {
		q = q.Where("b.status = ?", f.Status)
	}
	if f.CadreID != 0 {
		q = q.Where("b.id IN (SELECT business_id FROM assignments WHERE cadre_id = ? AND active_business_id IS NOT NULL)", f.CadreID)
	}
	switch f.Covered {
	case CoveredYes, CoveredNo:
		cov, args := s.coveredInSQL(spanOf(s.rules.cycles(s.now())))
		if f.Covered == CoveredYes {
			q = q.Where(cov, args...)
		} else {
			q = q.Where("b.status = ? AND NOT "+cov, append([]any{registry.StatusOperating}, args...)...)
		}
	}
	return q
}

func (s *Service) validBusinessQuery(f BusinessQuery) error {
	if err := consoleScope(f.ScopePath); err != nil {
		return err
	}
	if f.RegionPath != "" {
		return checkScope(f.RegionPath)
	}
	return nil
}

// FindBusinesses lists one page of the businesses f selects, by village
// then name, with the total for paging: whom each is packed by and
// whether it is covered this cycle. Four queries: the count and the page's
// ids read the businesses table alone; the page's details and coverage
// are read for its ids only.
func (s *Service) FindBusinesses(ctx context.Context, f BusinessQuery) ([]BusinessLine, int64, error) {
	if err := s.validBusinessQuery(f); err != nil {
		return nil, 0, err
	}
	g := s.db.Gorm(ctx)
	total := f.KnownTotal
	if total <= 0 {
		if err := s.businessWhere(g.Table("businesses b"), f).Count(&total).Error; err != nil {
			return nil, 0, fmt.Errorf("count businesses: %w", err)
		}
	}
	if total == 0 {
		return nil, 0, nil
	}
	var ids []int64
	if err := s.businessWhere(g.Table("businesses b"), f).Order("b.region_id, b.name, b.id").
		Limit(listLimit(f.Limit)).Offset(max(f.Offset, 0)).Pluck("b.id", &ids).Error; err != nil {
		return nil, 0, fmt.Errorf("find businesses: %w", err)
	}
	rows, err := s.businessLines(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	return rows, total, nil
}

// businessLines reads the businesses with the given ids, in that order,
// with their cadres and coverage: two queries.
func (s *Service) businessLines(ctx context.Context, ids []int64) ([]BusinessLine, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.businessPage(ctx, s.businessSelect(s.db.Gorm(ctx)).Where("b.id IN ?", ids))
	if err != nil {
		return nil, err
	}
	pos := make(map[int64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	sort.Slice(rows, func(i, j int) bool { return pos[rows[i].ID] < pos[rows[j].ID] })
	return rows, nil
}

func (s *Service) businessSelect(g *gorm.DB) *gorm.DB {
	return g.Table("businesses b").Select(`b.id, b.name, b.credit_code, b.licence_no, b.category, b.grade, b.region_id,
	r.name AS village, b.address, b.status, COALESCE(c.id, 0) AS cadre_id, COALESCE(c.name, '') AS cadre_name`).
		Joins("JOIN regions r ON r.id = b.region_id").
		Joins("LEFT JOIN assignments a ON a.active_business_id = b.id").
		Joins("LEFT JOIN cadres c ON c.id = a.cadre_id")
}

// businessPage runs a page query and marks the covered rows with one more
// query over the page's ids (cheaper than a subquery per sorted row).
func (s *Service) businessPage(ctx context.Context, q *gorm.DB) ([]BusinessLine, error) {
	var rows []BusinessLine
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("find businesses: %w", err)
	}
	if len(rows) == 0 {
		return rows, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	cov, args := s.coveredSQL(spanOf(s.rules.cycles(s.now())))
	var covered []int64
	if err := s.db.Gorm(ctx).Table("businesses b").Where("b.id IN ?", ids).Where(cov, args...).Pluck("b.id", &covered).Error; err != nil {
		return nil, fmt.Errorf("find businesses: coverage: %w", err)
	}
	set := make(map[int64]bool, len(covered))
	for _, id := range covered {
		set[id] = true
	}
	for i := range rows {
		rows[i].Covered = set[rows[i].ID]
	}
	return rows, nil
}

// exportBatch is how many rows an export reads at a time, so memory stays
// flat however large the register.
const exportBatch = 1000

// EachBusiness calls fn with every business f selects (Limit and Offset
// ignored), a batch at a time in id order, for exports. An error from fn
// stops the walk and is returned.
func (s *Service) EachBusiness(ctx context.Context, f BusinessQuery, fn func([]BusinessLine) error) error {
	if err := s.validBusinessQuery(f); err != nil {
		return err
	}
	var after int64
	for {
		// The batch's ids come from the businesses table alone, in key
		// order; joined, the optimiser may sort the whole register per batch.
		var ids []int64
		if err := s.businessWhere(s.db.Gorm(ctx).Table("businesses b"), f).Where("b.id > ?", after).
			Order("b.id").Limit(exportBatch).Pluck("b.id", &ids).Error; err != nil {
			return fmt.Errorf("export businesses: %w", err)
		}
		rows, err := s.businessLines(ctx, ids)
		if err != nil || len(rows) == 0 {
			return err
		}
		if err := fn(rows); err != nil {
			return err
		}
		after = rows[len(rows)-1].ID
	}
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
func (s *Service) CoverageHistory(ctx context.Context, scopePath string, n int) ([]CycleCoverage, error) {
	if err := consoleScope(scopePath); err != nil {
		return nil, err
	}
	if n <= 0 || n > 12 {
		n = 4
	}
	now := s.now()
	d := s.rules.CycleFor(registry.GradeD, now)
	out := make([]CycleCoverage, n)
	var sel []string
	var args []any
	for k := 0; k < n; k++ {
		at := now
		if k > 0 {
			d = d.Prev()
			at = d.Start
		}
		cur := s.rules.cycles(at)
		out[n-1-k] = CycleCoverage{Key: d.Key, Label: d.Label}
		var due []string
		var dargs []any
		for _, gr := range registry.Grades {
			end := cur[gr].End.UTC()
			due = append(due, "(b.grade = ? AND b.created_at < ? AND (b.status = ? OR b.status_since >= ?))")
			dargs = append(dargs, string(gr), end, registry.StatusOperating, end)
		}
		dueSQL := "(" + strings.Join(due, " OR ") + ")"
		cov, cargs := s.coveredInSQL(spanOf(cur))
		sel = append(sel, fmt.Sprintf("SUM(CASE WHEN %s THEN 1 ELSE 0 END) AS due%d", dueSQL, k),
			fmt.Sprintf("SUM(CASE WHEN %s AND %s THEN 1 ELSE 0 END) AS covered%d", dueSQL, cov, k))
		args = append(args, dargs...)
		args = append(append(args, dargs...), cargs...)
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM businesses b"
	if scopePath != "" {
		q += " JOIN regions r ON r.id = b.region_id WHERE r.path LIKE ?"
		args = append(args, scopePath+"%")
	}
	row := map[string]any{}
	if err := s.db.Gorm(ctx).Raw(q, args...).Scan(&row).Error; err != nil {
		return nil, fmt.Errorf("coverage history: %w", err)
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

// OverdueCount counts what Overdue lists, in one query.
func (s *Service) OverdueCount(ctx context.Context, scopePath string) (int64, error) {
	if err := consoleScope(scopePath); err != nil {
		return 0, err
	}
	now := s.now()
	cur := s.rules.cycles(now)
	prev := prevCycles(cur)
	since := span{}
	for g := range cur {
		since[g] = [2]time.Time{prev[g].Start, cur[g].End}
	}
	covered, cargs := s.coveredInSQL(since)
	duePrev, dargs := dueBeforeSQL(prev)
	args := append([]any{registry.StatusOperating}, dargs...)
	args = append(args, cargs...)
	q := "SELECT COUNT(*) FROM businesses b"
	where := " WHERE b.status = ? AND " + duePrev + " AND NOT " + covered
	if scopePath != "" {
		q += " JOIN regions r ON r.id = b.region_id"
		where += " AND r.path LIKE ?"
		args = append(args, scopePath+"%")
	}
	var n int64
	if err := s.db.Gorm(ctx).Raw(q+where, args...).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("overdue count: %w", err)
	}
	return n, nil
}

// RectificationFigures counts a region's open rectifications and how many
// of those are past their deadline.
type RectificationFigures struct {
	Open    int `gorm:"column:open_count"`
	Overdue int `gorm:"column:overdue_count"`
}

// CountRectifications counts open and overdue rectifications in a region
// subtree, in one query.
func (s *Service) CountRectifications(ctx context.Context, scopePath string) (RectificationFigures, error) {
	if err := consoleScope(scopePath); err != nil {
		return RectificationFigures{}, err
	}
	today := clock.Date(s.now()).UTC()
	q := s.db.Gorm(ctx).Table("rectifications rc").
		Select("COUNT(*) AS open_count, COALESCE(SUM(CASE WHEN rc.deadline < ? THEN 1 ELSE 0 END), 0) AS overdue_count", today).
		Where("rc.status = ?", StatusOpen)
	if scopePath != "" {
		q = q.Joins("JOIN businesses b ON b.id = rc.business_id").Joins("JOIN regions r ON r.id = b.region_id").
			Where("r.path LIKE ?", scopePath+"%")
	}
	var f RectificationFigures
	if err := q.Scan(&f).Error; err != nil {
		return f, fmt.Errorf("count rectifications: %w", err)
	}
	return f, nil
}

// VisitQuery selects visits for the console.
type VisitQuery struct {
	ScopePath  string
	BusinessID int64
	CadreID    int64
	// From and To bound the submission time (zero = open).
	From, To time.Time
	Mode     Mode
	// Far keeps reports sent from further than the rules' distance.
	Far bool
	// All includes superseded revisions.
	All    bool
	Limit  int
	Offset int
}

// VisitLine is a visit as the console lists it.
type VisitLine struct {
	ID          int64
	BusinessID  int64
	Business    string
	Village     string
	CadreID     int64
	CadreName   string
	Mode        Mode
	CheckKind   string
	SubmittedAt time.Time
	CycleKey    string
	CycleLabel  string
	DistanceM   *float64
	Far         bool
	StatusSeen  registry.EventKind
	Revision    int
	Current     bool `gorm:"column:is_current"`
	Source      registry.Source
	Findings    int
}

// visitWhere selects from visits (aliased v) alone what f selects: the
// scope is a subquery, so counts and pages of ids need no join.
func (s *Service) visitWhere(g *gorm.DB, f VisitQuery) *gorm.DB {
	q := g.Table("visits v")
	if f.ScopePath != "" {
		q = q.Where("v.business_id IN (SELECT id FROM businesses WHERE region_id IN (SELECT id FROM regions WHERE path LIKE ?))", f.ScopePath+"%")
	}
	if !f.All {
		q = q.Where("v.is_current = ?", true)
	}
	if f.BusinessID != 0 {
		q = q.Where("v.business_id = ?", f.BusinessID)
	}
	if f.CadreID != 0 {
		q = q.Where("v.cadre_id = ?", f.CadreID)
	}
	if !f.From.IsZero() {
		q = q.Where("v.submitted_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("v.submitted_at < ?", f.To.UTC())
	}
	if f.Mode != "" {
		q = q.Where("v.mode = ?", f.Mode)
	}
	if f.Far {
		q = q.Where("v.far = ?", true)
	}
	return q
}

// visitLines reads the visits with the given ids, in that order, with
// their business, village, cadre and number of findings: two queries.
func (s *Service) visitLines(ctx context.Context, ids []int64) ([]VisitLine, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.visitPage(ctx, s.db.Gorm(ctx).Table("visits v").Select(`v.id, v.business_id, b.name AS business, r.name AS village,
	v.cadre_id, COALESCE(c.name, '') AS cadre_name, v.mode, v.check_kind, v.submitted_at, v.cycle_key, v.distance_m, v.far,
	v.status_seen, v.revision, v.is_current, v.source`).
		Joins("JOIN businesses b ON b.id = v.business_id").
		Joins("JOIN regions r ON r.id = b.region_id").
		Joins("LEFT JOIN cadres c ON c.id = v.cadre_id").
		Where("v.id IN ?", ids))
	if err != nil {
		return nil, err
	}
	pos := make(map[int64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	sort.Slice(rows, func(i, j int) bool { return pos[rows[i].ID] < pos[rows[j].ID] })
	return rows, nil
}

// FindVisits lists one page of the visits f selects, newest first, with
// the total. Four queries.
func (s *Service) FindVisits(ctx context.Context, f VisitQuery) ([]VisitLine, int64, error) {
	if err := consoleScope(f.ScopePath); err != nil {
		return nil, 0, err
	}
	var total int64
	if err := s.visitWhere(s.db.Gorm(ctx), f).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count visits: %w", err)
	}
	if total == 0 {
		return nil, 0, nil
	}
	var ids []int64
	if err := s.visitWhere(s.db.Gorm(ctx), f).Order("v.submitted_at DESC, v.id DESC").
		Limit(listLimit(f.Limit)).Offset(max(f.Offset, 0)).Pluck("v.id", &ids).Error; err != nil {
		return nil, 0, fmt.Errorf("find visits: %w", err)
	}
	rows, err := s.visitLines(ctx, ids)
	return rows, total, err
}

// EachVisit calls fn with every visit f selects, a batch at a time, newest
// id first, for exports.
func (s *Service) EachVisit(ctx context.Context, f VisitQuery, fn func([]VisitLine) error) error {
	if err := consoleScope(f.ScopePath); err != nil {
		return err
	}
	before := int64(-1)
	for {
		q := s.visitWhere(s.db.Gorm(ctx), f)
		if before >= 0 {
			q = q.Where("v.id < ?", before)
		}
		var ids []int64
		if err := q.Order("v.id DESC").Limit(exportBatch).Pluck("v.id", &ids).Error; err != nil {
			return fmt.Errorf("export visits: %w", err)
		}
		rows, err := s.visitLines(ctx, ids)
		if err != nil || len(rows) == 0 {
			return err
		}
		if err := fn(rows); err != nil {
			return err
		}
		before = ids[len(ids)-1]
	}
}

func (s *Service) visitPage(ctx context.Context, q *gorm.DB) ([]VisitLine, error) {
	var rows []VisitLine
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("find visits: %w", err)
	}
	if len(rows) == 0 {
		return rows, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var counts []struct {
		VisitID int64
		N       int
	}
	if err := s.db.Gorm(ctx).Table("findings").Select("visit_id, COUNT(*) AS n").Where("visit_id IN ?", ids).
		Group("visit_id").Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("find visits: findings: %w", err)
	}
	n := make(map[int64]int, len(counts))
	for _, c := range counts {
		n[c.VisitID] = c.N
	}
	for i := range rows {
		rows[i].Findings = n[rows[i].ID]
		rows[i].CycleLabel = cycleLabel(rows[i].CycleKey)
	}
	return rows, nil
}

// VisitInScope returns a visit of a business in the subtree, with
// everything recorded in it. NotFound when absent or outside.
func (s *Service) VisitInScope(ctx context.Context, id int64, scopePath string) (*VisitDetail, error) {
	if err := consoleScope(scopePath); err != nil {
		return nil, err
	}
	if scopePath != "" {
		var n int64
		err := s.db.Gorm(ctx).Table("visits v").Joins("JOIN businesses b ON b.id = v.business_id").
			Joins("JOIN regions r ON r.id = b.region_id").Where("v.id = ? AND r.path LIKE ?", id, scopePath+"%").Count(&n).Error
		if err != nil {
			return nil, fmt.Errorf("visit: %w", err)
		}
		if n == 0 {
			return nil, errs.E(errs.NotFound, msgVisitNotFound)
		}
	}
	return s.Visit(ctx, id)
}

// Revisions lists every revision of the visit v belongs to, first one
// first. A revision keeps its original's business, cadre and submission
// time, which is what ties them together.
func (s *Service) Revisions(ctx context.Context, v *Visit) ([]Visit, error) {
	var vs []Visit
	err := s.db.Gorm(ctx).Where("business_id = ? AND cadre_id = ? AND submitted_at = ?", v.BusinessID, v.CadreID, v.SubmittedAt).
		Order("revision, id").Find(&vs).Error
	if err != nil {
		return nil, fmt.Errorf("revisions: %w", err)
	}
	return vs, nil
}

// PhotoInScope returns a stored or pending photo of a visit, finding or
// rectification check whose business lies in the subtree. NotFound when
// absent or outside.
func (s *Service) PhotoInScope(ctx context.Context, id int64, scopePath string) (*Photo, error) {
	if err := consoleScope(scopePath); err != nil {
		return nil, err
	}
	q := s.db.Gorm(ctx).Table("photos p").Select("p.*").
		Joins("LEFT JOIN visits v ON v.id = p.visit_id").
		Joins("LEFT JOIN rectification_events e ON e.id = p.rectification_event_id").
		Joins("LEFT JOIN rectifications rc ON rc.id = e.rectification_id").
		Joins("JOIN businesses b ON b.id = COALESCE(v.business_id, rc.business_id)").
		Joins("JOIN regions r ON r.id = b.region_id").
		Where("p.id = ?", id)
	q = inRegions(q, "r", scopePath)
	var ps []Photo
	if err := q.Limit(1).Scan(&ps).Error; err != nil {
		return nil, fmt.Errorf("photo: %w", err)
	}
	if len(ps) == 0 {
		return nil, errs.E(errs.NotFound, "照片不存在。")
	}
	return &ps[0], nil
}

// Rectification filters of the console.
const (
	RectOpen      = "open"
	RectOverdue   = "overdue"
	RectRectified = "rectified"
	RectWithdrawn = "withdrawn"
)

// RectificationQuery selects rectifications for the console.
type RectificationQuery struct {
	ScopePath  string
	BusinessID int64
	// Status is RectOpen, RectOverdue (open and past the deadline),
	// RectRectified, RectWithdrawn or "" for all.
	Status string
	Limit  int
	Offset int
}

// RectificationLine is a rectification as the console lists it. Deadline
// is a day in clock.China; DaysLeft is negative when overdue.
type RectificationLine struct {
	ID          int64
	BusinessID  int64
	Business    string
	Village     string
	VisitID     int64
	ItemID      string
	ItemLabel   string
	CheckKind   string
	Description string
	Requirement string
	Deadline    time.Time
	Status      string
	ClosedAt    *time.Time
	CadreID     int64
	CadreName   string
	DaysLeft    int
}

// StatusLabel is the Chinese name of the status.
func (r RectificationLine) StatusLabel() string { return StatusLabel(r.Status) }

func (s *Service) rectQuery(g *gorm.DB, f RectificationQuery) (*gorm.DB, error) {
	q := g.Table("rectifications rc").Select(`rc.id, rc.business_id, b.name AS business, r.name AS village, f.visit_id,
	f.item_id, v.check_kind, f.description, f.requirement, rc.deadline, rc.status, rc.closed_at,
	COALESCE(c.id, 0) AS cadre_id, COALESCE(c.name, '') AS cadre_name`).
		Joins("JOIN businesses b ON b.id = rc.business_id").
		Joins("JOIN regions r ON r.id = b.region_id").
		Joins("JOIN findings f ON f.id = rc.finding_id").
		Joins("JOIN visits v ON v.id = f.visit_id").
		Joins("LEFT JOIN assignments a ON a.active_business_id = rc.business_id").
		Joins("LEFT JOIN cadres c ON c.id = a.cadre_id")
	q = inRegions(q, "r", f.ScopePath)
	if f.BusinessID != 0 {
		q = q.Where("rc.business_id = ?", f.BusinessID)
	}
	switch f.Status {
	case "":
	case RectOverdue:
		q = q.Where("rc.status = ? AND rc.deadline < ?", StatusOpen, clock.Date(s.now()).UTC())
	case RectOpen, RectRectified, RectWithdrawn:
		q = q.Where("rc.status = ?", f.Status)
	default:
		return nil, errs.E(errs.Invalid, "整改状态应为 open、overdue、rectified 或 withdrawn。")
	}
	return q, nil
}

// FindRectifications lists one page of the rectifications f selects, open
// ones first by deadline, with the total. Two queries.
func (s *Service) FindRectifications(ctx context.Context, f RectificationQuery) ([]RectificationLine, int64, error) {
	if err := consoleScope(f.ScopePath); err != nil {
		return nil, 0, err
	}
	q, err := s.rectQuery(s.db.Gorm(ctx), f)
	if err != nil {
		return nil, 0, err
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count rectifications: %w", err)
	}
	if total == 0 {
		return nil, 0, nil
	}
	q, _ = s.rectQuery(s.db.Gorm(ctx), f)
	rows, err := s.rectPage(q.Order("CASE WHEN rc.status = 'open' THEN 0 ELSE 1 END, rc.deadline, rc.id").
		Limit(listLimit(f.Limit)).Offset(max(f.Offset, 0)))
	return rows, total, err
}

// EachRectification calls fn with every rectification f selects, a batch
// at a time in id order, for exports.
func (s *Service) EachRectification(ctx context.Context, f RectificationQuery, fn func([]RectificationLine) error) error {
	if err := consoleScope(f.ScopePath); err != nil {
		return err
	}
	var after int64
	for {
		q, err := s.rectQuery(s.db.Gorm(ctx), f)
		if err != nil {
			return err
		}
		rows, err := s.rectPage(q.Where("rc.id > ?", after).Order("rc.id").Limit(exportBatch))
		if err != nil || len(rows) == 0 {
			return err
		}
		if err := fn(rows); err != nil {
			return err
		}
		after = rows[len(rows)-1].ID
	}
}

func (s *Service) rectPage(q *gorm.DB) ([]RectificationLine, error) {
	var rows []RectificationLine
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("find rectifications: %w", err)
	}
	now := s.now()
	for i := range rows {
		rows[i].ItemLabel = s.lists.Label(rows[i].ItemID, rows[i].CheckKind)
		rows[i].Deadline = rows[i].Deadline.In(clock.China)
		rows[i].DaysLeft = DaysBetween(now, rows[i].Deadline)
	}
	return rows, nil
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
func (s *Service) ProgressTable(ctx context.Context, scopePath string) ([]ProgressLine, string, error) {
	if err := consoleScope(scopePath); err != nil {
		return nil, "", err
	}
	cur := s.rules.cycles(s.now())
	cov, cargs := s.coveredInSQL(spanOf(cur))
	var spans []string
	var sargs []any
	for _, g := range registry.Grades {
		spans = append(spans, "(b2.grade = ? AND v.submitted_at >= ? AND v.submitted_at < ?)")
		sargs = append(sargs, string(g), cur[g].Start.UTC(), cur[g].End.UTC())
	}
	args := []any{registry.StatusOperating, registry.StatusOperating}
	args = append(args, cargs...)
	args = append(args, StatusRectified, true)
	args = append(args, sargs...)
	args = append(args, registry.StatusDeregistered)
	where := "b.status <> ?"
	if scopePath != "" {
		where += " AND r.path LIKE ?"
		args = append(args, scopePath+"%")
	}
	var rows []ProgressLine
	err := s.db.Gorm(ctx).Raw(`
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
		return nil, "", fmt.Errorf("progress table: %w", err)
	}
	return rows, cur[registry.GradeD].Label, nil
}

// RelocationLine is a relocation request as the console lists it.
type RelocationLine struct {
	RelocationRequest
	Business    string
	RegionID    int64
	Village     string
	CadreID     int64
	CadreName   string
	SubmittedAt time.Time
}

// FindRelocations lists the relocation requests of a region subtree with
// the given status ("" for all): pending ones oldest first, then decided
// ones newest first. One query; at most 500.
func (s *Service) FindRelocations(ctx context.Context, scopePath, status string) ([]RelocationLine, error) {
	if err := consoleScope(scopePath); err != nil {
		return nil, err
	}
	q := s.db.Gorm(ctx).Table("relocation_requests q").Select(`q.*, b.name AS business, b.region_id, r.name AS village,
	v.cadre_id, COALESCE(c.name, '') AS cadre_name, v.submitted_at`).
		Joins("JOIN businesses b ON b.id = q.business_id").
		Joins("JOIN regions r ON r.id = b.region_id").
		Joins("LEFT JOIN visits v ON v.id = q.visit_id").
		Joins("LEFT JOIN cadres c ON c.id = v.cadre_id")
	q = inRegions(q, "r", scopePath)
	if status != "" {
		q = q.Where("q.status = ?", status)
	}
	var rows []RelocationLine
	err := q.Order("CASE WHEN q.status = 'pending' THEN 0 ELSE 1 END, CASE WHEN q.status = 'pending' THEN q.id ELSE -q.id END").
		Limit(500).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("relocations: %w", err)
	}
	return rows, nil
}

// RelocationInScope returns a relocation request of a business in the
// subtree. NotFound when absent or outside.
func (s *Service) RelocationInScope(ctx context.Context, id int64, scopePath string) (*RelocationLine, error) {
	if err := consoleScope(scopePath); err != nil {
		return nil, err
	}
	q := s.db.Gorm(ctx).Table("relocation_requests q").Select(`q.*, b.name AS business, b.region_id, r.name AS village,
	v.cadre_id, COALESCE(c.name, '') AS cadre_name, v.submitted_at`).
		Joins("JOIN businesses b ON b.id = q.business_id").
		Joins("JOIN regions r ON r.id = b.region_id").
		Joins("LEFT JOIN visits v ON v.id = q.visit_id").
		Joins("LEFT JOIN cadres c ON c.id = v.cadre_id").
		Where("q.id = ?", id)
	q = inRegions(q, "r", scopePath)
	var rows []RelocationLine
	if err := q.Limit(1).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("relocation: %w", err)
	}
	if len(rows) == 0 {
		return nil, errs.E(errs.NotFound, msgRelocationNotFound)
	}
	return &rows[0], nil
}

// RelocationDecision is the office's answer to a relocation request.
type RelocationDecision struct {
	Approve bool
	// RegionID, when set, registers the business in that village (where
	// it moved to); CadreID, when set, makes that cadre pack it. Both are
	// the caller's to check against the person's scope. A move to another
	// town without a CadreID ends the current assignment (see
	// registry.RelocateBusinessTx).
	RegionID, CadreID int64
	Note              string
	By                registry.Actor
}

// DecideRelocationAudited records the decision on a pending request and,
// on approval, moves and reassigns the business as decided, with an audit
// entry, all in one transaction. NotFound for an unknown request,
// Conflict when already decided, plus the register's errors for the move
// and the reassignment.
func (s *Service) DecideRelocationAudited(ctx context.Context, id int64, d RelocationDecision) error {
	if d.By == "" {
		return errs.E(errs.Invalid, "请注明处理人。")
	}
	status := RelocationRejected
	if d.Approve {
		status = RelocationApproved
	}
	now := s.now().UTC()
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		var r RelocationRequest
		if err := tx.First(&r, id).Error; err != nil {
			return db.NotFoundAs(err, msgRelocationNotFound)
		}
		res := tx.Model(&RelocationRequest{}).Where("id = ? AND status = ?", id, RelocationPending).
			Updates(map[string]any{"status": status, "decided_by": d.By, "decided_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.E(errs.Conflict, msgRelocationDecided)
		}
		detail, alsoScope := "rejected", ""
		if d.Approve {
			detail = "approved"
			reason := "搬迁调整"
			if note := strings.TrimSpace(d.Note); note != "" {
				reason += "：" + note
			}
			switch {
			case d.RegionID != 0:
				from, err := registry.ScopeOfTx(tx, registry.AuditBusiness, r.BusinessID)
				if err != nil {
					return err
				}
				otherTown, err := s.reg.RelocateBusinessTx(tx, r.BusinessID, d.RegionID, d.CadreID, reason, d.By)
				if err != nil {
					return err
				}
				detail += fmt.Sprintf(", moved to region %d", d.RegionID)
				if otherTown {
					// The town it left sees the entry too.
					alsoScope = from
					if d.CadreID == 0 {
						detail += ", assignment ended"
					}
				}
			case d.CadreID != 0:
				if _, err := s.reg.AssignTx(tx, r.BusinessID, d.CadreID, reason, d.By); err != nil {
					return err
				}
			}
			if d.CadreID != 0 {
				detail += fmt.Sprintf(", cadre %d", d.CadreID)
			}
		}
		if note := strings.TrimSpace(d.Note); note != "" {
			detail += "; " + note
		}
		return registry.AuditTx(tx, audit.Entry{At: now, Actor: string(d.By), Action: "relocation." + status,
			SubjectType: "business", SubjectID: r.BusinessID, Detail: fmt.Sprintf("request %d %s", id, detail), AlsoScopePath: alsoScope})
	})
	if err != nil {
		return fmt.Errorf("decide relocation: %w", db.Translate(err))
	}
	return nil
}

// CadreCoverage reports, for each of the given cadres, this cycle's
// coverage of the operating businesses of the region subtree scopePath
// ("" for everything) they pack now — the figures of Progress's ByCadre,
// for a page of cadres. One query per thousand ids.
func (s *Service) CadreCoverage(ctx context.Context, cadreIDs []int64, scopePath string) (map[int64]CoverageRow, error) {
	if err := consoleScope(scopePath); err != nil {
		return nil, err
	}
	out := make(map[int64]CoverageRow, len(cadreIDs))
	cov, cargs := s.coveredSQL(spanOf(s.rules.cycles(s.now())))
	inScope := ""
	if scopePath != "" {
		inScope = " AND b.region_id IN (SELECT id FROM regions WHERE path LIKE ?)"
	}
	for len(cadreIDs) > 0 {
		chunk := cadreIDs[:min(len(cadreIDs), 1000)]
		cadreIDs = cadreIDs[len(chunk):]
		var rows []CoverageRow
		args := append(append([]any{}, cargs...), registry.StatusOperating, chunk)
		if scopePath != "" {
			args = append(args, scopePath+"%")
		}
		err := s.db.Gorm(ctx).Raw(`
SELECT a.cadre_id AS id, COUNT(*) AS due, SUM(CASE WHEN `+cov+` THEN 1 ELSE 0 END) AS covered
FROM businesses b JOIN assignments a ON a.active_business_id = b.id
WHERE b.status = ? AND a.cadre_id IN ?`+inScope+`
GROUP BY a.cadre_id`, args...).Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("cadre coverage: %w", err)
		}
		for _, r := range rows {
			r.percent()
			out[r.ID] = r
		}
	}
	return out, nil
}
