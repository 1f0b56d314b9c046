package query

import (
	"context"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
)

// VisitFilter selects visits for the console.
type VisitFilter struct {
	ScopePath  string
	BusinessID int64
	CadreID    int64
	// From and To bound the submission time (zero = open).
	From, To time.Time
	// Mode is supervision's word for the mode ("onsite"), "" for any.
	Mode string
	// Far keeps reports sent from further than the rules' distance.
	Far bool
	// Flag keeps the visits with a flag of this kind (review's word,
	// "duplicate_photo"), "" for any.
	Flag string
	// All includes superseded revisions.
	All    bool
	Limit  int
	Offset int
}

// VisitLine is a visit as the console lists it. Mode, StatusSeen and
// Source are the features' words; CycleLabel is filled by a reader with
// rules (else it is the key).
type VisitLine struct {
	ID          int64
	BusinessID  int64
	Business    string
	Village     string
	CadreID     int64
	CadreName   string
	Mode        string
	CheckKind   string
	SubmittedAt time.Time
	CycleKey    string
	CycleLabel  string
	DistanceM   *float64
	Far         bool
	StatusSeen  string
	Revision    int
	Current     bool `gorm:"column:is_current"`
	Source      string
	Findings    int
}

// visitWhere selects from visits (aliased v) alone what f selects: the
// scope is a subquery, so counts and pages of ids need no join.
func visitWhere(g *gorm.DB, f VisitFilter) *gorm.DB {
	q := g.Table("visits v")
	if f.ScopePath != "" {
		q = q.Where("v.business_id IN (SELECT b.id FROM businesses b WHERE "+regionIn("b.region_id")+")", subtreeArg(f.ScopePath))
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
	if f.Flag != "" {
		q = q.Where("v.id IN (SELECT fq.visit_id FROM visit_flags fq WHERE fq.kind = ?)", f.Flag)
	}
	return q
}

// Visits lists one page of the visits f selects, newest first, with the
// total. Four queries.
func (r *Reader) Visits(ctx context.Context, f VisitFilter) ([]VisitLine, int64, error) {
	if err := checkScope(f.ScopePath); err != nil {
		return nil, 0, err
	}
	var total int64
	if err := visitWhere(r.db.Gorm(ctx), f).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count visits: %w", db.Translate(err))
	}
	if total == 0 {
		return nil, 0, nil
	}
	var ids []int64
	if err := visitWhere(r.db.Gorm(ctx), f).Order("v.submitted_at DESC, v.id DESC").
		Limit(pageLimit(f.Limit, 50, 1000)).Offset(max(f.Offset, 0)).Pluck("v.id", &ids).Error; err != nil {
		return nil, 0, fmt.Errorf("find visits: %w", db.Translate(err))
	}
	rows, err := r.visitLines(ctx, ids)
	return rows, total, err
}

// EachVisit calls fn with every visit f selects, a batch at a time, newest
// id first, for exports.
func (r *Reader) EachVisit(ctx context.Context, f VisitFilter, fn func([]VisitLine) error) error {
	if err := checkScope(f.ScopePath); err != nil {
		return err
	}
	before := int64(-1)
	for {
		q := visitWhere(r.db.Gorm(ctx), f)
		if before >= 0 {
			q = q.Where("v.id < ?", before)
		}
		var ids []int64
		if err := q.Order("v.id DESC").Limit(exportBatch).Pluck("v.id", &ids).Error; err != nil {
			return fmt.Errorf("export visits: %w", db.Translate(err))
		}
		rows, err := r.visitLines(ctx, ids)
		if err != nil || len(rows) == 0 {
			return err
		}
		if err := fn(rows); err != nil {
			return err
		}
		before = ids[len(ids)-1]
	}
}

// visitLines reads the visits with the given ids, in that order, with
// their business, village, cadre and number of findings: two queries.
func (r *Reader) visitLines(ctx context.Context, ids []int64) ([]VisitLine, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []VisitLine
	err := r.db.Gorm(ctx).Table("visits v").Select(`v.id, v.business_id, b.name AS business, r.name AS village,
	v.cadre_id, COALESCE(c.name, '') AS cadre_name, v.mode, v.check_kind, v.submitted_at, v.cycle_key, v.distance_m, v.far,
	v.status_seen, v.revision, v.is_current, v.source`).
		Joins("JOIN businesses b ON b.id = v.business_id").
		Joins("JOIN regions r ON r.id = b.region_id").
		Joins("LEFT JOIN cadres c ON c.id = v.cadre_id").
		Where("v.id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find visits: %w", db.Translate(err))
	}
	var counts []struct {
		VisitID int64
		N       int
	}
	if err := r.db.Gorm(ctx).Table("findings").Select("visit_id, COUNT(*) AS n").Where("visit_id IN ?", ids).
		Group("visit_id").Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("find visits: findings: %w", db.Translate(err))
	}
	n := make(map[int64]int, len(counts))
	for _, c := range counts {
		n[c.VisitID] = c.N
	}
	pos := make(map[int64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	for i := range rows {
		rows[i].Findings = n[rows[i].ID]
		rows[i].CycleLabel = rows[i].CycleKey
		if r.rules != nil {
			rows[i].CycleLabel = r.rules.CycleLabel(rows[i].CycleKey)
		}
	}
	sort.Slice(rows, func(i, j int) bool { return pos[rows[i].ID] < pos[rows[j].ID] })
	return rows, nil
}
