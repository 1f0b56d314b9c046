package db

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Time scans a time computed by a query, such as MIN(created_at): MySQL
// gives a time, SQLite (whose aggregates lose the column's type) the text
// it stored. NULL (no rows) scans as the zero time.
type Time struct{ t time.Time }

// Time returns the scanned time; zero for NULL.
func (t Time) Time() time.Time { return t.t }

// IsZero reports whether nothing (NULL) was scanned.
func (t Time) IsZero() bool { return t.t.IsZero() }

// Value implements driver.Valuer (GORM wants both ways for a struct).
func (t Time) Value() (driver.Value, error) {
	if t.t.IsZero() {
		return nil, nil
	}
	return t.t, nil
}

// Scan implements sql.Scanner.
func (t *Time) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		t.t = time.Time{}
	case time.Time:
		t.t = v
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	default:
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	return nil
}

// storedLayouts are the texts SQLite holds for a time column, as the driver
// writes them, and what MySQL gives without parseTime.
var storedLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", time.DateTime}

func (t *Time) parse(s string) error {
	for _, layout := range storedLayouts {
		if p, err := time.Parse(layout, s); err == nil {
			t.t = p
			return nil
		}
	}
	return fmt.Errorf("scan time: cannot parse %q", s)
}
