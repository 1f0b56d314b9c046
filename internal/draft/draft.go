// Package draft keeps the dialog engine's drafts in the database, so a
// half-filled report survives an expired session, a restart and a Redis
// flush for as long as the draft lives (7 days by default).
package draft

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm/clause"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/errs"
)

// Column limits of dialog_drafts.
const (
	maxUser  = 160
	maxFlow  = 32
	maxLabel = 128
	// maxState is what a TEXT column holds on MySQL.
	maxState = 65535
)

// Store is a dialog.DraftStore on the database.
type Store struct {
	db    *db.DB
	clock clock.Clock
}

var _ dialog.DraftStore = (*Store)(nil)

// NewStore returns the store; c decides which drafts have expired.
func NewStore(d *db.DB, c clock.Clock) *Store {
	if c == nil {
		c = clock.Real{}
	}
	return &Store{db: d, clock: c}
}

type row struct {
	UserKey   string    `gorm:"column:user_key;primaryKey"`
	Flow      string    `gorm:"column:flow"`
	Label     string    `gorm:"column:label"`
	State     string    `gorm:"column:state"`
	UpdatedAt time.Time `gorm:"column:updated_at;autoUpdateTime:false"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (row) TableName() string { return "dialog_drafts" }

// Load returns the user's draft, or nil when there is none or it has expired.
func (s *Store) Load(ctx context.Context, user string) (*dialog.Draft, error) {
	var rows []row
	err := s.db.Gorm(ctx).Where("user_key = ? AND expires_at > ?", user, s.clock.Now().UTC()).Limit(1).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load draft: %w", db.Translate(err))
	}
	if len(rows) == 0 {
		return nil, nil
	}
	r := rows[0]
	return &dialog.Draft{User: r.UserKey, Flow: r.Flow, Label: r.Label, State: []byte(r.State),
		UpdatedAt: r.UpdatedAt, ExpiresAt: r.ExpiresAt}, nil
}

// Save creates or replaces the user's draft. A label longer than its column
// is cut. A user key or flow name that does not fit is a programming error;
// a state that does not fit is TooLarge.
func (s *Store) Save(ctx context.Context, d dialog.Draft) error {
	switch {
	case d.User == "" || utf8.RuneCountInString(d.User) > maxUser:
		return fmt.Errorf("save draft: user key must have 1 to %d characters", maxUser)
	case d.Flow == "" || utf8.RuneCountInString(d.Flow) > maxFlow:
		return fmt.Errorf("save draft: flow name must have 1 to %d characters", maxFlow)
	case len(d.State) > maxState:
		return errs.Wrap(errs.TooLarge, fmt.Errorf("draft of %s: state of %d bytes", d.Flow, len(d.State)), "")
	}
	if r := []rune(d.Label); len(r) > maxLabel {
		d.Label = string(r[:maxLabel])
	}
	now := s.clock.Now()
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = now
	}
	if d.ExpiresAt.IsZero() {
		d.ExpiresAt = d.UpdatedAt.Add(7 * 24 * time.Hour)
	}
	r := row{UserKey: d.User, Flow: d.Flow, Label: d.Label, State: string(d.State),
		UpdatedAt: d.UpdatedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC()}
	err := s.db.Gorm(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"flow", "label", "state", "updated_at", "expires_at"}),
	}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("save draft: %w", db.Translate(err))
	}
	return nil
}

// Delete removes the user's draft; a missing draft is not an error.
func (s *Store) Delete(ctx context.Context, user string) error {
	if err := s.db.Gorm(ctx).Where("user_key = ?", user).Delete(&row{}).Error; err != nil {
		return fmt.Errorf("delete draft: %w", db.Translate(err))
	}
	return nil
}

// Purge deletes the expired drafts and returns how many it deleted. Load
// already ignores them; purging only keeps the table small.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	res := s.db.Gorm(ctx).Where("expires_at <= ?", s.clock.Now().UTC()).Delete(&row{})
	if res.Error != nil {
		return 0, fmt.Errorf("purge drafts: %w", db.Translate(res.Error))
	}
	return res.RowsAffected, nil
}
