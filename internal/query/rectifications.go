package query

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// Rectification filters of the console. RectOpen, RectRectified and
// RectWithdrawn are also the statuses supervision stores.
const (
	RectOpen      = "open"
	RectOverdue   = "overdue"
	RectRectified = "rectified"
	RectWithdrawn = "withdrawn"
)

// RectificationFilter selects rectifications for the console.
type RectificationFilter struct {
	ScopePath  string
	BusinessID int64
	// Status is RectOpen, RectOverdue (open and past the deadline),
	// RectRectified, RectWithdrawn or "" for all.
	Status string
	Limit  int
	Offset int
}

// RectificationLine is a rectification as the console lists it. Deadline
// is a day in clock.China; DaysLeft is negative when overdue. Status is
// supervision's word; the page names it with supervision.StatusLabel.
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

func (r *Reader) rectQuery(g *gorm.DB, f RectificationFilter) (*gorm.DB, error) {
	q := g.Table("rectifications rc").Select(`rc.id, rc.business_id, b.name AS business, r.name AS village, f.visit_id,
	f.item_id, v.check_kind, f.description, f.requirement, rc.deadline, rc.status, rc.closed_at,
	COALESCE(c.id, 0) AS cadre_id, COALESCE(c.name, '') AS cadre_name`).
		Joins("JOIN businesses b ON b.id = rc.business_id").
		Joins("JOIN regions r ON r.id = b.region_id").
		Joins("JOIN findings f ON f.id = rc.finding_id").
		Joins("JOIN visits v ON v.id = f.visit_id").
		Joins("LEFT JOIN assignments a ON a.active_business_id = rc.business_id").
		Joins("LEFT JOIN cadres c ON c.id = a.cadre_id")
	if f.ScopePath != "" {
		q = q.Where(subtree("r.path"), subtreeArg(f.ScopePath))
	}
	if f.BusinessID != 0 {
		q = q.Where("rc.business_id = ?", f.BusinessID)
	}
	switch f.Status {
	case "":
	case RectOverdue:
		q = q.Where("rc.status = ? AND rc.deadline < ?", RectOpen, r.today())
	case RectOpen, RectRectified, RectWithdrawn:
		q = q.Where("rc.status = ?", f.Status)
	default:
		return nil, errs.E(errs.Invalid, msgBadRectStatus)
	}
	return q, nil
}

// today is the day in China, as deadlines are stored.
func (r *Reader) today() time.Time {
	now := time.Now
	if r.now != nil {
		now = r.now
	}
	return clock.Date(now()).UTC()
}

// Rectifications lists one page of the rectifications f selects, open
// ones first by deadline, with the total. Two queries.
func (r *Reader) Rectifications(ctx context.Context, f RectificationFilter) ([]RectificationLine, int64, error) {
	if err := checkScope(f.ScopePath); err != nil {
		return nil, 0, err
	}
	q, err := r.rectQuery(r.db.Gorm(ctx), f)
	if err != nil {
		return nil, 0, err
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count rectifications: %w", db.Translate(err))
	}
	if total == 0 {
		return nil, 0, nil
	}
	q, _ = r.rectQuery(r.db.Gorm(ctx), f)
	rows, err := r.rectPage(q.Order("CASE WHEN rc.status = 'open' THEN 0 ELSE 1 END, rc.deadline, rc.id").
		Limit(pageLimit(f.Limit, 50, 1000)).Offset(max(f.Offset, 0)))
	return rows, total, err
}

// EachRectification calls fn with every rectification f selects, a batch
// at a time in id order, for exports.
func (r *Reader) EachRectification(ctx context.Context, f RectificationFilter, fn func([]RectificationLine) error) error {
	if err := checkScope(f.ScopePath); err != nil {
		return err
	}
	var after int64
	for {
		q, err := r.rectQuery(r.db.Gorm(ctx), f)
		if err != nil {
			return err
		}
		rows, err := r.rectPage(q.Where("rc.id > ?", after).Order("rc.id").Limit(exportBatch))
		if err != nil || len(rows) == 0 {
			return err
		}
		if err := fn(rows); err != nil {
			return err
		}
		after = rows[len(rows)-1].ID
	}
}

func (r *Reader) rectPage(q *gorm.DB) ([]RectificationLine, error) {
	var rows []RectificationLine
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("find rectifications: %w", db.Translate(err))
	}
	today := r.today()
	for i := range rows {
		rows[i].ItemLabel = rows[i].ItemID
		if r.rules != nil {
			rows[i].ItemLabel = r.rules.ItemLabel(rows[i].ItemID, rows[i].CheckKind)
		}
		rows[i].Deadline = rows[i].Deadline.In(clock.China)
		rows[i].DaysLeft = clock.DaysBetween(today, rows[i].Deadline)
	}
	return rows, nil
}

// RectificationFigures counts a region's open rectifications and how many
// of those are past their deadline.
type RectificationFigures struct {
	Open    int `gorm:"column:open_count"`
	Overdue int `gorm:"column:overdue_count"`
}

// CountRectifications counts open and overdue rectifications in a region
// subtree, in one query.
func (r *Reader) CountRectifications(ctx context.Context, scopePath string) (RectificationFigures, error) {
	var f RectificationFigures
	if err := checkScope(scopePath); err != nil {
		return f, err
	}
	q := r.db.Gorm(ctx).Table("rectifications rc").
		Select("COUNT(*) AS open_count, COALESCE(SUM(CASE WHEN rc.deadline < ? THEN 1 ELSE 0 END), 0) AS overdue_count", r.today()).
		Where("rc.status = ?", RectOpen)
	if scopePath != "" {
		q = q.Where("rc.business_id IN (SELECT b.id FROM businesses b WHERE "+regionIn("b.region_id")+")", subtreeArg(scopePath))
	}
	if err := q.Scan(&f).Error; err != nil {
		return f, fmt.Errorf("count rectifications: %w", db.Translate(err))
	}
	return f, nil
}
