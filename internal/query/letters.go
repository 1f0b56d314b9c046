package query

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// LetterFilter selects prompt letters for the console.
type LetterFilter struct {
	ScopePath  string
	BusinessID int64
	// Status is "issued", "delivered", "acknowledged", LettersUnacknowledged
	// (either of the first two) or "" for all.
	Status string
	Limit  int
	Offset int
}

// The letter statuses a filter may name, as the letter feature stores them.
const (
	letterIssued       = "issued"
	letterDelivered    = "delivered"
	letterAcknowledged = "acknowledged"
	// LettersUnacknowledged selects letters not yet acknowledged.
	LettersUnacknowledged = "unacknowledged"
)

// LetterLine is a letter as the console lists it. Status is the letter
// feature's status word; the page names it with letter.StatusLabel.
type LetterLine struct {
	ID             int64
	Number         string
	BusinessID     int64
	Business       string
	Village        string
	VisitID        *int64
	IssuedBy       string
	IssuedAt       time.Time
	Status         string
	DeliveredAt    *time.Time
	AcknowledgedAt *time.Time
}

func (r *Reader) letters(ctx context.Context, f LetterFilter) (*gorm.DB, error) {
	q := r.db.Gorm(ctx).Table("letters l").Joins("JOIN businesses b ON b.id = l.business_id").
		Joins("JOIN regions r ON r.id = b.region_id")
	if f.ScopePath != "" {
		q = q.Where(subtree("r.path"), subtreeArg(f.ScopePath))
	}
	if f.BusinessID != 0 {
		q = q.Where("l.business_id = ?", f.BusinessID)
	}
	switch f.Status {
	case "":
	case LettersUnacknowledged:
		q = q.Where("l.status <> ?", letterAcknowledged)
	case letterIssued, letterDelivered, letterAcknowledged:
		q = q.Where("l.status = ?", f.Status)
	default:
		return nil, errs.E(errs.Invalid, msgBadLetterStatus)
	}
	return q, nil
}

const letterColumns = `l.id, l.number, l.business_id, b.name AS business, r.name AS village, l.visit_id, l.issued_by,
	l.issued_at, l.status, l.delivered_at, l.acknowledged_at`

// Letters lists one page of the letters f selects, newest first, with the
// total. Two queries. Invalid for an unknown status.
func (r *Reader) Letters(ctx context.Context, f LetterFilter) ([]LetterLine, int64, error) {
	q, err := r.letters(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("find letters: %w", db.Translate(err))
	}
	if total == 0 {
		return nil, 0, nil
	}
	q, _ = r.letters(ctx, f)
	var rows []LetterLine
	if err := q.Select(letterColumns).Order("l.issued_at DESC, l.id DESC").Limit(pageLimit(f.Limit, 50, 1000)).Offset(max(f.Offset, 0)).Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("find letters: %w", db.Translate(err))
	}
	return rows, total, nil
}

// EachLetter calls fn with every letter f selects, newest id first, a
// batch at a time, for exports.
func (r *Reader) EachLetter(ctx context.Context, f LetterFilter, fn func([]LetterLine) error) error {
	before := int64(-1)
	for {
		q, err := r.letters(ctx, f)
		if err != nil {
			return err
		}
		if before >= 0 {
			q = q.Where("l.id < ?", before)
		}
		var rows []LetterLine
		if err := q.Select(letterColumns).Order("l.id DESC").Limit(1000).Scan(&rows).Error; err != nil {
			return fmt.Errorf("export letters: %w", db.Translate(err))
		}
		if len(rows) == 0 {
			return nil
		}
		if err := fn(rows); err != nil {
			return err
		}
		before = rows[len(rows)-1].ID
	}
}

// CountUnacknowledgedLetters counts the letters of the subtree not yet
// acknowledged. One query.
func (r *Reader) CountUnacknowledgedLetters(ctx context.Context, scopePath string) (int64, error) {
	q, _ := r.letters(ctx, LetterFilter{ScopePath: scopePath, Status: LettersUnacknowledged})
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count letters: %w", db.Translate(err))
	}
	return n, nil
}

// LetterInScope reports nil when letter id is to a business of the subtree
// ("" is everywhere), and NotFound when the letter is absent or elsewhere,
// so a page never reveals what lies outside a user's scope.
func (r *Reader) LetterInScope(ctx context.Context, id int64, scopePath string) error {
	q := r.db.Gorm(ctx).Table("letters l").Joins("JOIN businesses b ON b.id = l.business_id").
		Joins("JOIN regions r ON r.id = b.region_id").Where("l.id = ?", id)
	if scopePath != "" {
		q = q.Where(subtree("r.path"), subtreeArg(scopePath))
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return fmt.Errorf("letter in scope: %w", db.Translate(err))
	}
	if n == 0 {
		return errs.E(errs.NotFound, msgNoSuchLetter)
	}
	return nil
}
