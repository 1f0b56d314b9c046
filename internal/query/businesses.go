package query

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
)

// Coverage filters of a business list.
const (
	CoveredYes = "yes"
	CoveredNo  = "no"
)

// BusinessFilter selects businesses of the register: the console's list
// and export, a cadre's search in chat, the simulator's picks.
type BusinessFilter struct {
	// ScopePath is the user's subtree; RegionPath narrows it further (a
	// town or village the user picked, already checked to lie in scope).
	ScopePath, RegionPath string
	// Query matches the name, credit code or licence number.
	Query string
	// Grade, Category and Status are the register's words ("D",
	// "catering", "operating"); "" for any.
	Grade, Category, Status string
	// Covered is CoveredYes or CoveredNo: covered, or not yet covered,
	// in the grade's current cycle. CoveredNo keeps operating businesses
	// only (the others owe no visit). It needs a reader WithRules.
	Covered string
	// CadreID keeps the businesses that cadre packs now.
	CadreID int64
	Limit   int
	Offset  int
	// KnownTotal, when positive, is a recent count of what the other
	// fields select (the console keeps slow counts a minute); the count
	// is then not run again.
	KnownTotal int64
}

// BusinessLine is a business as lists show it. Category, Grade and Status
// are the register's words; Covered is false from a reader without rules.
type BusinessLine struct {
	ID         int64
	Name       string
	CreditCode *string
	LicenceNo  *string
	Category   string
	Grade      string
	RegionID   int64
	Village    string
	Address    string
	Status     string
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
func (r *Reader) businessWhere(q *gorm.DB, f BusinessFilter) *gorm.DB {
	for _, path := range []string{f.ScopePath, f.RegionPath} {
		if path != "" {
			q = q.Where(regionIn("b.region_id"), subtreeArg(path))
		}
	}
	if qs := strings.TrimSpace(f.Query); qs != "" {
		// Codes are stored upper-case without spaces, as the register normalises them.
		code := strings.ToUpper(strings.Join(strings.Fields(qs), ""))
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
		cov, args := r.coveredInSQL(spanOf(r.cycles(r.now())))
		if f.Covered == CoveredYes {
			q = q.Where(cov, args...)
		} else {
			q = q.Where("b.status = ? AND NOT "+cov, append([]any{statusOperating}, args...)...)
		}
	}
	return q
}

func (r *Reader) validBusinessFilter(f BusinessFilter) error {
	if err := checkScope(f.ScopePath); err != nil {
		return err
	}
	if err := checkScope(f.RegionPath); err != nil {
		return err
	}
	switch f.Covered {
	case "":
		return nil
	case CoveredYes, CoveredNo:
		return r.rulesOK()
	}
	return fmt.Errorf("business filter: unknown coverage %q", f.Covered)
}

// Businesses lists one page of the businesses f selects, by village then
// name, with the total for paging: whom each is packed by and whether it
// is covered this cycle. Four queries: the count and the page's ids read
// the businesses table alone; the page's details and coverage are read
// for its ids only.
func (r *Reader) Businesses(ctx context.Context, f BusinessFilter) ([]BusinessLine, int64, error) {
	if err := r.validBusinessFilter(f); err != nil {
		return nil, 0, err
	}
	g := r.db.Gorm(ctx)
	total := f.KnownTotal
	if total <= 0 {
		if err := r.businessWhere(g.Table("businesses b"), f).Count(&total).Error; err != nil {
			return nil, 0, fmt.Errorf("count businesses: %w", db.Translate(err))
		}
	}
	if total == 0 {
		return nil, 0, nil
	}
	var ids []int64
	if err := r.businessWhere(g.Table("businesses b"), f).Order("b.region_id, b.name, b.id").
		Limit(pageLimit(f.Limit, 50, 1000)).Offset(max(f.Offset, 0)).Pluck("b.id", &ids).Error; err != nil {
		return nil, 0, fmt.Errorf("find businesses: %w", db.Translate(err))
	}
	rows, err := r.businessLines(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	return rows, total, nil
}

// EachBusiness calls fn with every business f selects (Limit and Offset
// ignored), a batch at a time in id order, for exports. An error from fn
// stops the walk and is returned.
func (r *Reader) EachBusiness(ctx context.Context, f BusinessFilter, fn func([]BusinessLine) error) error {
	if err := r.validBusinessFilter(f); err != nil {
		return err
	}
	var after int64
	for {
		// The batch's ids come from the businesses table alone, in key
		// order; joined, the optimiser may sort the whole register per batch.
		var ids []int64
		if err := r.businessWhere(r.db.Gorm(ctx).Table("businesses b"), f).Where("b.id > ?", after).
			Order("b.id").Limit(exportBatch).Pluck("b.id", &ids).Error; err != nil {
			return fmt.Errorf("export businesses: %w", db.Translate(err))
		}
		rows, err := r.businessLines(ctx, ids)
		if err != nil || len(rows) == 0 {
			return err
		}
		if err := fn(rows); err != nil {
			return err
		}
		after = rows[len(rows)-1].ID
	}
}

// CadreBusinesses lists the businesses a cadre packs now that lie in the
// region subtree scopePath ("" for everything), by name: a cadre's page
// shows a town's office none of another town's businesses, even one
// packed across the boundary before the register refused that. Two
// queries (three with rules).
func (r *Reader) CadreBusinesses(ctx context.Context, cadreID int64, scopePath string) ([]BusinessLine, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, err
	}
	q := r.businessWhere(r.db.Gorm(ctx).Table("businesses b"), BusinessFilter{ScopePath: scopePath, CadreID: cadreID})
	var ids []int64
	if err := q.Order("b.name, b.id").Pluck("b.id", &ids).Error; err != nil {
		return nil, fmt.Errorf("cadre's businesses: %w", db.Translate(err))
	}
	return r.businessLines(ctx, ids)
}

// businessLines reads the businesses with the given ids, in that order,
// with their cadres and (with rules) coverage: two queries.
func (r *Reader) businessLines(ctx context.Context, ids []int64) ([]BusinessLine, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []BusinessLine
	err := r.db.Gorm(ctx).Table("businesses b").Select(`b.id, b.name, b.credit_code, b.licence_no, b.category, b.grade, b.region_id,
	r.name AS village, b.address, b.status, COALESCE(c.id, 0) AS cadre_id, COALESCE(c.name, '') AS cadre_name`).
		Joins("JOIN regions r ON r.id = b.region_id").
		Joins("LEFT JOIN assignments a ON a.active_business_id = b.id").
		Joins("LEFT JOIN cadres c ON c.id = a.cadre_id").
		Where("b.id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find businesses: %w", db.Translate(err))
	}
	pos := make(map[int64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	sort.Slice(rows, func(i, j int) bool { return pos[rows[i].ID] < pos[rows[j].ID] })
	if r.rules == nil {
		return rows, nil
	}
	// Coverage for the page's ids in one more query: cheaper than a
	// subquery per sorted row.
	cov, args := r.coveredSQL(spanOf(r.cycles(r.now())))
	var covered []int64
	if err := r.db.Gorm(ctx).Table("businesses b").Where("b.id IN ?", ids).Where(cov, args...).Pluck("b.id", &covered).Error; err != nil {
		return nil, fmt.Errorf("find businesses: coverage: %w", db.Translate(err))
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
