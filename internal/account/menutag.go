package account

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/db"
)

// Each Official Account user sees the menu of their role: the platform
// picks it by a user tag. Binding and unbinding change the role a user's
// tag should name; the platform is told afterwards, durably: the change
// bumps the user's row in menu_tags in the same transaction, and a worker
// (any instance, one at a time per user by lease) moves the tag until the
// row's synced version catches up. Moving a tag is idempotent on the
// platform, so a sync cut short and run again changes nothing twice.

// Tag-sync timing.
const (
	tagLease      = time.Minute
	tagBackoffMax = time.Hour
	maxTagError   = 255
)

// menuTagRow is a user whose tag may lag their bindings.
type menuTagRow struct {
	ExternalID    string `gorm:"primaryKey"`
	Version       int64
	SyncedVersion int64
	Attempts      int
	NextAttemptAt time.Time
	LeaseUntil    *time.Time
	LastError     string
	UpdatedAt     time.Time
}

func (menuTagRow) TableName() string { return "menu_tags" }

// TagSync is one user whose menu tag is to be moved: Role is the role
// whose menu they should see now, "" for a stranger's (no role tag).
type TagSync struct {
	OpenID  string
	Role    Role
	version int64
}

// markTagTx records, in the transaction of a binding change, that the
// user's menu tag must be moved. Only Official Account users have menus.
func markTagTx(tx *gorm.DB, ch chat.Channel, externalID string, now time.Time) error {
	if ch != chat.ChannelOA {
		return nil
	}
	return markTags(tx, []string{externalID}, now)
}

func markTags(tx *gorm.DB, openids []string, now time.Time) error {
	rows := make([]menuTagRow, len(openids))
	for i, id := range openids {
		rows[i] = menuTagRow{ExternalID: id, Version: 1, NextAttemptAt: now, UpdatedAt: now}
	}
	return tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "external_id"}},
		DoUpdates: clause.Assignments(map[string]any{
			"version": gorm.Expr("menu_tags.version + 1"), "attempts": 0, "next_attempt_at": now, "updated_at": now,
		}),
	}).CreateInBatches(rows, 200).Error
}

// ResyncMenuTags marks every bound Official Account user for a tag sync,
// as after the menus were pushed anew (or for users bound before menus by
// role existed). It returns how many users were marked.
func (s *Service) ResyncMenuTags(ctx context.Context) (int, error) {
	var openids []string
	err := s.db.Gorm(ctx).Model(&identityRow{}).Where("channel = ? AND unbound_at IS NULL", chat.ChannelOA).
		Distinct().Order("external_id").Pluck("external_id", &openids).Error
	if err != nil {
		return 0, fmt.Errorf("resync menu tags: %w", db.Translate(err))
	}
	if len(openids) == 0 {
		return 0, nil
	}
	if err := s.db.InTx(ctx, func(tx *gorm.DB) error { return markTags(tx, openids, s.now()) }); err != nil {
		return 0, fmt.Errorf("resync menu tags: %w", err)
	}
	return len(openids), nil
}

// ClaimTagSyncs leases up to limit users whose tag lags their bindings
// and is due, with the role each should now be tagged with. A claim holds
// for a minute; report each with TagSynced.
func (s *Service) ClaimTagSyncs(ctx context.Context, limit int) ([]TagSync, error) {
	now := s.now()
	var due []menuTagRow
	err := s.db.Gorm(ctx).Where("version > synced_version AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)", now, now).
		Order("next_attempt_at").Limit(limit).Find(&due).Error
	if err != nil {
		return nil, fmt.Errorf("claim tag syncs: %w", db.Translate(err))
	}
	var out []TagSync
	for _, r := range due {
		res := s.db.Gorm(ctx).Model(&menuTagRow{}).
			Where("external_id = ? AND version = ? AND (lease_until IS NULL OR lease_until < ?)", r.ExternalID, r.Version, now).
			Update("lease_until", now.Add(tagLease))
		if res.Error != nil {
			return out, fmt.Errorf("claim tag syncs: %w", db.Translate(res.Error))
		}
		if res.RowsAffected == 0 {
			continue // another instance took it, or a new change came in
		}
		ids, err := s.Identities(ctx, chat.ChannelOA, r.ExternalID)
		if err != nil {
			return out, err
		}
		ts := TagSync{OpenID: r.ExternalID, version: r.Version}
		for _, id := range ids {
			if ts.Role == "" || id.Role.rank() < ts.Role.rank() {
				ts.Role = id.Role
			}
		}
		out = append(out, ts)
	}
	return out, nil
}

// TagSynced reports a claimed sync: done (syncErr nil) it is settled up to
// the version claimed — a binding change since keeps the user due —;
// failed, it is retried with a growing wait, for as long as it fails.
func (s *Service) TagSynced(ctx context.Context, ts TagSync, syncErr error) error {
	now := s.now()
	q := s.db.Gorm(ctx).Model(&menuTagRow{}).Where("external_id = ?", ts.OpenID)
	var err error
	if syncErr == nil {
		err = q.Updates(map[string]any{"synced_version": gorm.Expr("CASE WHEN synced_version < ? THEN ? ELSE synced_version END", ts.version, ts.version),
			"attempts": 0, "last_error": "", "lease_until": nil, "updated_at": now}).Error
	} else {
		var r menuTagRow
		if err = q.First(&r).Error; err == nil {
			msg := syncErr.Error()
			if len(msg) > maxTagError {
				msg = msg[:maxTagError]
			}
			err = s.db.Gorm(ctx).Model(&menuTagRow{}).Where("external_id = ?", ts.OpenID).Updates(map[string]any{
				"attempts": r.Attempts + 1, "last_error": strings.ToValidUTF8(msg, "?"), "lease_until": nil,
				"next_attempt_at": now.Add(tagBackoff(r.Attempts + 1)), "updated_at": now}).Error
		}
	}
	if err != nil {
		return fmt.Errorf("tag synced: %w", db.Translate(err))
	}
	return nil
}

// tagBackoff is the wait after the n-th failed sync: 10 s doubling, at
// most an hour.
func tagBackoff(n int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < n && d < tagBackoffMax; i++ {
		d *= 2
	}
	return min(d, tagBackoffMax)
}

// PendingTagSyncs counts users whose tag still lags their bindings.
func (s *Service) PendingTagSyncs(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Gorm(ctx).Model(&menuTagRow{}).Where("version > synced_version").Count(&n).Error
	return n, db.Translate(err)
}
