package letter

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/registry"
)

// Ways a letter is opened.
const (
	ViaH5    = "h5"
	ViaPrint = "print"
)

// Read is one opening of a letter: who (an actor such as "contact:12"),
// how, when.
type Read struct {
	ID       int64
	LetterID int64
	Reader   registry.Actor
	Via      string
	ReadAt   time.Time
}

// TableName names the reads' table.
func (Read) TableName() string { return "letter_reads" }

// RecordRead notes that reader opened the letter (ViaH5 or ViaPrint).
func (s *Service) RecordRead(ctx context.Context, letterID int64, reader registry.Actor, via string) error {
	r := Read{LetterID: letterID, Reader: reader, Via: via, ReadAt: s.now()}
	if err := s.db.Gorm(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("record letter read: %w", err)
	}
	return nil
}

// Reads lists who opened a letter, oldest first.
func (s *Service) Reads(ctx context.Context, letterID int64) ([]Read, error) {
	var rs []Read
	if err := s.db.Gorm(ctx).Where("letter_id = ?", letterID).Order("read_at, id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("letter reads: %w", err)
	}
	return rs, nil
}

// Figures count an office's letters issued in a period, for managers.
type Figures struct {
	Issued, Delivered int64
	Read              int64 `gorm:"column:opened"`
	Acknowledged      int64
}

// FiguresFor counts the letters an office issued in [from, to): how many
// reached a bound contact, were opened by a contact, were acknowledged.
// One query.
func (s *Service) FiguresFor(ctx context.Context, officeID int64, from, to time.Time) (Figures, error) {
	var f Figures
	err := s.db.Gorm(ctx).Raw(`
SELECT COUNT(*) AS issued,
	COALESCE(SUM(CASE WHEN l.delivered_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS delivered,
	COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM letter_reads r WHERE r.letter_id = l.id AND r.reader LIKE 'contact:%') THEN 1 ELSE 0 END), 0) AS opened,
	COALESCE(SUM(CASE WHEN l.acknowledged_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS acknowledged
FROM letters l
WHERE l.office_id = ? AND l.issued_at >= ? AND l.issued_at < ?`, officeID, from.UTC(), to.UTC()).Scan(&f).Error
	if err != nil {
		return Figures{}, fmt.Errorf("letter figures: %w", err)
	}
	return f, nil
}
