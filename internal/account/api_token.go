package account

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// APIToken is a console user's token for the JSON API (made and checked in
// the web package). The database keeps only the token's SHA-256, in hex:
// the token is 256 random bits, so a fast hash is enough, and lookups by
// hash are exact.
type APIToken struct {
	ID int64 `json:"-"`
	// PublicID names the token in lists and when it is revoked.
	PublicID  string
	UserID    int64
	Name      string
	Hint      string
	TokenHash string `json:"-"`
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}

// TableName is where tokens are kept.
func (APIToken) TableName() string { return "api_tokens" }

// liveTokens selects tokens neither revoked nor expired at now.
func liveTokens(q *gorm.DB, now time.Time) *gorm.DB {
	return q.Where("revoked_at IS NULL AND expires_at > ?", now.UTC())
}

// AddAPIToken stores a new token unless its user already has quota live
// ones (Conflict); quota 0 means no limit (tokens carried over from an
// older version). The user's row is locked meanwhile, so two tabs adding
// tokens at once cannot both take the last place.
func (s *Service) AddAPIToken(ctx context.Context, t *APIToken, quota int) error {
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC()
	return s.db.InTx(ctx, func(tx *gorm.DB) error {
		var users []int64
		if err := lockRows(tx).Model(&User{}).Where("id = ?", t.UserID).Pluck("id", &users).Error; err != nil {
			return fmt.Errorf("lock user %d: %w", t.UserID, err)
		}
		if len(users) == 0 {
			return errs.E(errs.NotFound, "用户不存在")
		}
		if quota > 0 {
			var n int64
			if err := liveTokens(tx.Model(&APIToken{}), s.now()).Where("user_id = ?", t.UserID).Count(&n).Error; err != nil {
				return fmt.Errorf("count api tokens: %w", err)
			}
			if n >= int64(quota) {
				return errs.E(errs.Conflict, msgTooManyTokens, quota)
			}
		}
		if err := tx.Create(t).Error; err != nil {
			return fmt.Errorf("add api token: %w", db.Translate(err))
		}
		return nil
	})
}

// APITokens lists a user's live tokens, oldest first.
func (s *Service) APITokens(ctx context.Context, userID int64) ([]APIToken, error) {
	var ts []APIToken
	err := liveTokens(s.db.Gorm(ctx), s.now()).Where("user_id = ?", userID).Order("created_at, id").Find(&ts).Error
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return ts, nil
}

// RevokeAPIToken ends one of a user's live tokens and returns it.
// NotFound for a token the user does not have (or has no longer).
func (s *Service) RevokeAPIToken(ctx context.Context, userID int64, publicID string) (*APIToken, error) {
	var t APIToken
	err := liveTokens(s.db.Gorm(ctx), s.now()).Where("user_id = ? AND public_id = ?", userID, publicID).First(&t).Error
	if err != nil {
		return nil, db.NotFoundAs(err, msgNoToken)
	}
	now := s.now()
	res := s.db.Gorm(ctx).Model(&APIToken{}).Where("id = ? AND revoked_at IS NULL", t.ID).Update("revoked_at", now)
	if res.Error != nil {
		return nil, fmt.Errorf("revoke api token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, errs.E(errs.NotFound, msgNoToken)
	}
	t.RevokedAt = &now
	return &t, nil
}

// APITokenByHash finds the live token with this hash. NotFound for an
// unknown, revoked or expired one.
func (s *Service) APITokenByHash(ctx context.Context, hash string) (*APIToken, error) {
	var t APIToken
	if err := liveTokens(s.db.Gorm(ctx), s.now()).Where("token_hash = ?", hash).First(&t).Error; err != nil {
		return nil, db.NotFoundAs(err, msgNoToken)
	}
	return &t, nil
}
