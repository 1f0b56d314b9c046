package letter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
)

// numberFormat is a parsed NumberFormat: literal text and placeholders.
type numberFormat []numberPart

type numberPart struct {
	literal string
	// field is "office", "year" or "seq"; width pads seq with zeros.
	field string
	width int
}

// maxNumberLen is the letters.number column's size.
const maxNumberLen = 64

// parseNumberFormat reads "{office}食安督〔{year}〕{seq:04}号". It must name
// {seq} exactly once (a number without it could repeat); {office} and
// {year} are optional; braces appear only in placeholders.
func parseNumberFormat(s string) (numberFormat, error) {
	var f numberFormat
	seqs := 0
	rest := s
	for rest != "" {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			f = append(f, numberPart{literal: rest})
			break
		}
		if i > 0 {
			f = append(f, numberPart{literal: rest[:i]})
		}
		if rest[i] == '}' {
			return nil, fmt.Errorf("letter number format %q: stray }", s)
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("letter number format %q: unclosed {", s)
		}
		name, arg, hasArg := strings.Cut(rest[i+1:i+j], ":")
		p := numberPart{field: name}
		switch {
		case name == "seq":
			seqs++
			if hasArg {
				w, err := strconv.Atoi(arg)
				if err != nil || w < 1 || w > 9 {
					return nil, fmt.Errorf("letter number format %q: {seq:%s} wants a width of 1 to 9 digits", s, arg)
				}
				p.width = w
			}
		case (name == "office" || name == "year") && !hasArg:
		default:
			return nil, fmt.Errorf("letter number format %q: unknown placeholder {%s} (use {office}, {year}, {seq} or {seq:04})", s, rest[i+1:i+j])
		}
		f = append(f, p)
		rest = rest[i+j+1:]
	}
	if seqs != 1 {
		return nil, fmt.Errorf("letter number format %q: must contain {seq} exactly once", s)
	}
	if n := utf8.RuneCountInString(f.format("胡埭胡埭胡埭胡埭", 2026, 99999)); n > maxNumberLen {
		return nil, fmt.Errorf("letter number format %q: too long", s)
	}
	return f, nil
}

// format builds a number.
func (f numberFormat) format(office string, year, seq int) string {
	var b strings.Builder
	for _, p := range f {
		switch p.field {
		case "":
			b.WriteString(p.literal)
		case "office":
			b.WriteString(office)
		case "year":
			b.WriteString(strconv.Itoa(year))
		case "seq":
			n := strconv.Itoa(seq)
			if pad := p.width - len(n); pad > 0 {
				b.WriteString(strings.Repeat("0", pad))
			}
			b.WriteString(n)
		}
	}
	return b.String()
}

// ensureCounter makes sure the office has a counter row for the year.
// It runs on its own, before the issuing transaction: creating the row
// inside would have concurrent first issues of a year race on an insert
// (a deadlock on MySQL) instead of queueing on the row lock.
func (s *Service) ensureCounter(ctx context.Context, officeID int64, year int) error {
	if err := s.ensureCounterTx(s.db.Gorm(ctx), officeID, year); err != nil {
		return fmt.Errorf("letter counter: %w", db.Translate(err))
	}
	return nil
}

// ensureCounterTx creates the office's counter row for the year on g
// unless it exists.
func (s *Service) ensureCounterTx(g *gorm.DB, officeID int64, year int) error {
	stmt := `INSERT INTO letter_counters (office_id, year, next_seq) VALUES (?, ?, 1) ON CONFLICT (office_id, year) DO NOTHING`
	if s.db.Engine() == db.MySQL {
		stmt = `INSERT INTO letter_counters (office_id, year, next_seq) VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE next_seq = next_seq`
	}
	return g.Exec(stmt, officeID, year).Error
}

// errNoCounter is takeSeq's answer when the office has no counter row for
// the year.
var errNoCounter = errors.New("letter counter missing")

// takeSeq raises the office's counter for the year and returns the number
// it stood at. The UPDATE locks the row until the transaction ends, so
// concurrent issues are numbered one after another, and a rollback gives
// the number back: no gaps, no duplicates.
func takeSeq(tx *gorm.DB, officeID int64, year int) (int, error) {
	res := tx.Exec(`UPDATE letter_counters SET next_seq = next_seq + 1 WHERE office_id = ? AND year = ?`, officeID, year)
	if res.Error != nil {
		return 0, res.Error
	}
	if res.RowsAffected != 1 {
		return 0, fmt.Errorf("office %d, %d: %w", officeID, year, errNoCounter)
	}
	var next []int
	if err := tx.Raw(`SELECT next_seq FROM letter_counters WHERE office_id = ? AND year = ?`, officeID, year).Scan(&next).Error; err != nil {
		return 0, err
	}
	if len(next) != 1 {
		return 0, fmt.Errorf("letter counter for office %d, %d missing", officeID, year)
	}
	return next[0] - 1, nil
}
