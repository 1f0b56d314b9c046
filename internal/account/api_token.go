package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/registry"
)

// API tokens let an integration call the JSON API as the console user who
// created it: with that user's role and region subtree, looked up on every
// call, so disabling the user or narrowing their region takes effect at
// once. The token is shown once; the database keeps only its SHA-256 (the
// token is 256 random bits, so a fast hash is enough), so tokens outlive a
// restart on the embedded default and a flush of Redis. kv caches a
// lookup for a few minutes; revoking a token drops it from the cache, so
// revocation takes effect on every instance at once.
const (
	apiTokenPrefix = "sab_"
	maxTokensQuota = 20
	// MaxAPITokenTTL is the longest a token may be valid.
	MaxAPITokenTTL = 366 * 24 * time.Hour
	tokenCacheTTL  = 5 * time.Minute
)

// APIToken is a console user's token for the JSON API. The database keeps
// only the token's SHA-256, in hex.
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

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// tokenCacheKey caches a token's user and expiry ("12|1767225600").
func tokenCacheKey(hash string) string { return "apitokcache:" + hash }

// tokenAudit records a token's creation or revocation, by the user whose
// token it is, in the change's transaction.
func tokenAudit(tx *gorm.DB, t *APIToken, action string, by registry.Actor, at time.Time) error {
	return audit.Record(tx, audit.Entry{At: at, Actor: string(by), Action: action, SubjectType: "console_user",
		SubjectID: t.UserID, Detail: "token " + t.PublicID + " " + t.Name})
}

// CreateAPIToken makes a token named name for u, valid for ttl, and
// returns it (shown once) with its row; the audit log records it as by's.
// Invalid for a name that is empty or over 40 characters or a ttl outside
// one day to MaxAPITokenTTL; Conflict when u has maxTokensQuota live ones.
func (s *Service) CreateAPIToken(ctx context.Context, u *User, name string, ttl time.Duration, by registry.Actor) (string, *APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 40 {
		return "", nil, errs.InvalidFields(msgTokenName, errs.FieldError{Field: "name", Reason: msgTokenName})
	}
	if ttl <= 0 || ttl > MaxAPITokenTTL {
		return "", nil, errs.InvalidFields(msgTokenDays, errs.FieldError{Field: "days", Reason: msgTokenDays})
	}
	now := s.clock.Now()
	token := apiTokenPrefix + randomURLToken(32)
	t := &APIToken{PublicID: randomHex(8), UserID: u.ID, Name: name, Hint: token[:len(apiTokenPrefix)+4], TokenHash: tokenHash(token),
		CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.addAPIToken(ctx, t, maxTokensQuota, by); err != nil {
		return "", nil, err
	}
	return token, t, nil
}

// addAPIToken stores a new token unless its user already has quota live
// ones (Conflict); quota 0 means no limit (tokens carried over from an
// older version), and an empty by records nothing in the audit log. The
// user's row is locked meanwhile, so two tabs adding tokens at once cannot
// both take the last place.
func (s *Service) addAPIToken(ctx context.Context, t *APIToken, quota int, by registry.Actor) error {
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
		if by == "" {
			return nil
		}
		return tokenAudit(tx, t, "apitoken.create", by, s.clock.Now())
	})
}

// APITokens lists a user's live tokens, oldest first.
func (s *Service) APITokens(ctx context.Context, u *User) ([]APIToken, error) {
	if err := s.adoptLegacyList(ctx, u); err != nil {
		return nil, err
	}
	var ts []APIToken
	err := liveTokens(s.db.Gorm(ctx), s.now()).Where("user_id = ?", u.ID).Order("created_at, id").Find(&ts).Error
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return ts, nil
}

// RevokeAPIToken ends one of u's live tokens and returns it; the audit log
// records it as by's, and the token stops working on every instance at
// once. NotFound for a token u does not have (or has no longer).
func (s *Service) RevokeAPIToken(ctx context.Context, u *User, publicID string, by registry.Actor) (*APIToken, error) {
	if err := s.adoptLegacyList(ctx, u); err != nil {
		return nil, err
	}
	var t APIToken
	now := s.now()
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		if err := liveTokens(tx, now).Where("user_id = ? AND public_id = ?", u.ID, publicID).First(&t).Error; err != nil {
			return db.NotFoundAs(err, msgNoToken)
		}
		res := tx.Model(&APIToken{}).Where("id = ? AND revoked_at IS NULL", t.ID).Update("revoked_at", now)
		if res.Error != nil {
			return fmt.Errorf("revoke api token: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return errs.E(errs.NotFound, msgNoToken)
		}
		t.RevokedAt = &now
		return tokenAudit(tx, &t, "apitoken.revoke", by, s.clock.Now())
	})
	if err != nil {
		return nil, err
	}
	if err := s.kv.Delete(ctx, tokenCacheKey(t.TokenHash)); err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "")
	}
	return &t, nil
}

// TokenUser finds the user behind a bearer token. Unauthorized for an
// unknown, revoked or expired token.
func (s *Service) TokenUser(ctx context.Context, token string) (int64, error) {
	if !strings.HasPrefix(token, apiTokenPrefix) || len(token) > 100 || len(token) < len(apiTokenPrefix)+4 {
		return 0, errs.E(errs.Unauthorized, msgBadToken)
	}
	hash, now := tokenHash(token), s.clock.Now()
	if raw, err := s.kv.Get(ctx, tokenCacheKey(hash)); err == nil {
		user, exp, _ := strings.Cut(raw, "|")
		id, _ := strconv.ParseInt(user, 10, 64)
		unix, _ := strconv.ParseInt(exp, 10, 64)
		if id > 0 && now.Before(time.Unix(unix, 0)) {
			return id, nil
		}
	} else if !errors.Is(err, kv.ErrMiss) {
		return 0, errs.Wrap(errs.Unavailable, err, "")
	}
	t, err := s.apiTokenByHash(ctx, hash)
	if errs.Is(err, errs.NotFound) {
		adopted, aerr := s.adoptLegacyToken(ctx, token, hash)
		if aerr != nil {
			return 0, aerr
		}
		if !adopted {
			return 0, errs.E(errs.Unauthorized, msgTokenGone)
		}
		t, err = s.apiTokenByHash(ctx, hash)
	}
	if errs.Is(err, errs.NotFound) {
		return 0, errs.E(errs.Unauthorized, msgTokenGone)
	}
	if err != nil {
		return 0, err
	}
	if ttl := min(tokenCacheTTL, t.ExpiresAt.Sub(now)); ttl > 0 {
		s.kv.Set(ctx, tokenCacheKey(hash), strconv.FormatInt(t.UserID, 10)+"|"+strconv.FormatInt(t.ExpiresAt.Unix(), 10), ttl)
	}
	return t.UserID, nil
}

// apiTokenByHash finds the live token with this hash. NotFound for an
// unknown, revoked or expired one.
func (s *Service) apiTokenByHash(ctx context.Context, hash string) (*APIToken, error) {
	var t APIToken
	if err := liveTokens(s.db.Gorm(ctx), s.now()).Where("token_hash = ?", hash).First(&t).Error; err != nil {
		return nil, db.NotFoundAs(err, msgNoToken)
	}
	return &t, nil
}

// Before tokens were kept in the database they lived in kv alone: the
// token under its hash, and each user's list. A legacy token moves into
// the database the first time it is used or listed, so an integration
// keeps working across the upgrade.
func legacyTokenKey(hash string) string { return "apitoken:" + hash }

func legacyListKey(u *User) string {
	return "apitokens:" + strconv.FormatInt(u.ID, 10) + ":" + u.Username
}

// legacyToken is what kv kept under a token's hash.
type legacyToken struct {
	ID        string    `json:"i"`
	UserID    int64     `json:"u"`
	Name      string    `json:"n"`
	CreatedAt time.Time `json:"c"`
	ExpiresAt time.Time `json:"e"`
}

// legacyRef is an entry of a user's list in kv.
type legacyRef struct {
	ID        string    `json:"i"`
	Hash      string    `json:"h"`
	Name      string    `json:"n"`
	Hint      string    `json:"p"`
	CreatedAt time.Time `json:"c"`
	ExpiresAt time.Time `json:"e"`
}

// adoptLegacyList moves a user's tokens from kv into the database.
func (s *Service) adoptLegacyList(ctx context.Context, u *User) error {
	raw, err := s.kv.Get(ctx, legacyListKey(u))
	if errors.Is(err, kv.ErrMiss) {
		return nil
	}
	if err != nil {
		return errs.Wrap(errs.Unavailable, err, "")
	}
	var refs []legacyRef
	json.Unmarshal([]byte(raw), &refs)
	now := s.clock.Now()
	for _, r := range refs {
		if !now.Before(r.ExpiresAt) {
			continue
		}
		if _, err := s.kv.Get(ctx, legacyTokenKey(r.Hash)); errors.Is(err, kv.ErrMiss) {
			continue // revoked or expired in kv
		}
		t := &APIToken{PublicID: r.ID, UserID: u.ID, Name: r.Name, Hint: r.Hint, TokenHash: r.Hash, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
		if err := s.addAPIToken(ctx, t, 0, ""); err != nil && !errs.Is(err, errs.Conflict) {
			return err
		}
		s.kv.Delete(ctx, legacyTokenKey(r.Hash))
	}
	return s.kv.Delete(ctx, legacyListKey(u))
}

// adoptLegacyToken moves one token from kv into the database when it is
// presented; false when kv has no such token.
func (s *Service) adoptLegacyToken(ctx context.Context, token, hash string) (bool, error) {
	raw, err := s.kv.Get(ctx, legacyTokenKey(hash))
	if errors.Is(err, kv.ErrMiss) {
		return false, nil
	}
	if err != nil {
		return false, errs.Wrap(errs.Unavailable, err, "")
	}
	var lt legacyToken
	if json.Unmarshal([]byte(raw), &lt) != nil || lt.ID == "" || !s.clock.Now().Before(lt.ExpiresAt) {
		return false, nil
	}
	t := &APIToken{PublicID: lt.ID, UserID: lt.UserID, Name: lt.Name, Hint: token[:len(apiTokenPrefix)+4], TokenHash: hash,
		CreatedAt: lt.CreatedAt, ExpiresAt: lt.ExpiresAt}
	if err := s.addAPIToken(ctx, t, 0, ""); err != nil && !errs.Is(err, errs.Conflict) {
		return false, err
	}
	s.kv.Delete(ctx, legacyTokenKey(hash))
	return true, nil
}

// randomURLToken is n random bytes, URL-safe base64.
func randomURLToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
