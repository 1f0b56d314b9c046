package letter

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// This file holds what the managers' console needs of letters: lists and
// counts limited to a region subtree ("" for all). A letter outside the
// subtree is NotFound, so nothing elsewhere is revealed.

// LetterQuery selects letters for the console.
type LetterQuery struct {
	ScopePath  string
	BusinessID int64
	// Status is StatusIssued, StatusDelivered, StatusAcknowledged,
	// "unacknowledged" (either of the first two) or "" for all.
	Status string
	Limit  int
	Offset int
}

// Unacknowledged selects letters not yet acknowledged.
const Unacknowledged = "unacknowledged"

// LetterLine is a letter as the console lists it.
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

// StatusLabel is the Chinese name of the letter's status.
func (l LetterLine) StatusLabel() string { return StatusLabel(l.Status) }

func (s *Service) consoleQuery(ctx context.Context, f LetterQuery) (*gorm.DB, error) {
	q := s.db.Gorm(ctx).Table("letters l").Joins("JOIN businesses b ON b.id = l.business_id").
		Joins("JOIN regions r ON r.id = b.region_id")
	if f.ScopePath != "" {
		q = q.Where("r.path LIKE ?", f.ScopePath+"%")
	}
	if f.BusinessID != 0 {
		q = q.Where("l.business_id = ?", f.BusinessID)
	}
	switch f.Status {
	case "":
	case Unacknowledged:
		q = q.Where("l.status <> ?", StatusAcknowledged)
	case StatusIssued, StatusDelivered, StatusAcknowledged:
		q = q.Where("l.status = ?", f.Status)
	default:
		return nil, errs.E(errs.Invalid, "提示函状态应为 issued、delivered、acknowledged 或 unacknowledged。")
	}
	return q, nil
}

const letterColumns = `l.id, l.number, l.business_id, b.name AS business, r.name AS village, l.visit_id, l.issued_by,
	l.issued_at, l.status, l.delivered_at, l.acknowledged_at`

// FindLetters lists one page of the letters f selects, newest first, with
// the total. Two queries.
func (s *Service) FindLetters(ctx context.Context, f LetterQuery) ([]LetterLine, int64, error) {
	q, err := s.consoleQuery(ctx, f)
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
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	q, _ = s.consoleQuery(ctx, f)
	var rows []LetterLine
	if err := q.Select(letterColumns).Order("l.issued_at DESC, l.id DESC").Limit(limit).Offset(max(f.Offset, 0)).Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("find letters: %w", db.Translate(err))
	}
	return rows, total, nil
}

// EachLetter calls fn with every letter f selects, newest id first, a
// batch at a time, for exports.
func (s *Service) EachLetter(ctx context.Context, f LetterQuery, fn func([]LetterLine) error) error {
	before := int64(-1)
	for {
		q, err := s.consoleQuery(ctx, f)
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

// CountUnacknowledged counts the letters of the subtree not yet
// acknowledged. One query.
func (s *Service) CountUnacknowledged(ctx context.Context, scopePath string) (int64, error) {
	q, _ := s.consoleQuery(ctx, LetterQuery{ScopePath: scopePath, Status: Unacknowledged})
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count letters: %w", db.Translate(err))
	}
	return n, nil
}

// LetterInScope returns a letter to a business of the subtree. NotFound
// when absent or outside it.
func (s *Service) LetterInScope(ctx context.Context, id int64, scopePath string) (*Letter, error) {
	l, err := s.Letter(ctx, id)
	if err != nil {
		return nil, err
	}
	if scopePath == "" {
		return l, nil
	}
	var n int64
	err = s.db.Gorm(ctx).Table("businesses b").Joins("JOIN regions r ON r.id = b.region_id").
		Where("b.id = ? AND r.path LIKE ?", l.BusinessID, scopePath+"%").Count(&n).Error
	if err != nil {
		return nil, fmt.Errorf("letter: %w", db.Translate(err))
	}
	if n == 0 {
		return nil, errs.E(errs.NotFound, msgNotFound)
	}
	return l, nil
}
