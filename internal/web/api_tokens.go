package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
)

// API tokens let an integration call /api/v1 as the console user who
// created it: with that user's role and region subtree, looked up on every
// call, so disabling the user or narrowing their region takes effect at
// once. The token is shown once; the database keeps only its SHA-256 (the
// token is 256 random bits, so a fast hash is enough), so tokens outlive a
// restart on the embedded default and a flush of Redis. kv caches a
// lookup for a few minutes; revoking a token drops it from the cache, so
// revocation takes effect on every instance at once.
const (
	apiTokenPrefix  = "sab_"
	maxTokensQuota  = 20
	defaultTokenTTL = 90 * 24 * time.Hour
	maxTokenTTL     = 366 * 24 * time.Hour
	tokenCacheTTL   = 5 * time.Minute
)

// apiTokenRef is a token as the console lists it.
type apiTokenRef struct {
	ID        string
	Name      string
	Hint      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

func refOf(t account.APIToken) apiTokenRef {
	return apiTokenRef{ID: t.PublicID, Name: t.Name, Hint: t.Hint, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// tokenCacheKey caches a token's user and expiry ("12|1767225600").
func tokenCacheKey(hash string) string { return "apitokcache:" + hash }

// Before tokens were kept in the database they lived in kv alone: the
// token under its hash, and each user's list. legacyToken moves such a
// token into the database the first time it is used or listed, so an
// integration keeps working across the upgrade.
func legacyTokenKey(hash string) string { return "apitoken:" + hash }

func legacyListKey(u *account.User) string {
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
func (c *Console) adoptLegacyList(ctx context.Context, u *account.User) error {
	raw, err := c.KV.Get(ctx, legacyListKey(u))
	if errors.Is(err, kv.ErrMiss) {
		return nil
	}
	if err != nil {
		return errs.Wrap(errs.Unavailable, err, "")
	}
	var refs []legacyRef
	json.Unmarshal([]byte(raw), &refs)
	now := c.Clock.Now()
	for _, r := range refs {
		if !now.Before(r.ExpiresAt) {
			continue
		}
		if _, err := c.KV.Get(ctx, legacyTokenKey(r.Hash)); errors.Is(err, kv.ErrMiss) {
			continue // revoked or expired in kv
		}
		t := &account.APIToken{PublicID: r.ID, UserID: u.ID, Name: r.Name, Hint: r.Hint, TokenHash: r.Hash, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
		if err := c.Accounts.AddAPIToken(ctx, t, 0); err != nil && !errs.Is(err, errs.Conflict) {
			return err
		}
		c.KV.Delete(ctx, legacyTokenKey(r.Hash))
	}
	return c.KV.Delete(ctx, legacyListKey(u))
}

// adoptLegacyToken moves one token from kv into the database when it is
// presented; false when kv has no such token.
func (c *Console) adoptLegacyToken(ctx context.Context, token, hash string) (bool, error) {
	raw, err := c.KV.Get(ctx, legacyTokenKey(hash))
	if errors.Is(err, kv.ErrMiss) {
		return false, nil
	}
	if err != nil {
		return false, errs.Wrap(errs.Unavailable, err, "")
	}
	var lt legacyToken
	if json.Unmarshal([]byte(raw), &lt) != nil || lt.ID == "" || !c.Clock.Now().Before(lt.ExpiresAt) {
		return false, nil
	}
	t := &account.APIToken{PublicID: lt.ID, UserID: lt.UserID, Name: lt.Name, Hint: token[:len(apiTokenPrefix)+4], TokenHash: hash,
		CreatedAt: lt.CreatedAt, ExpiresAt: lt.ExpiresAt}
	if err := c.Accounts.AddAPIToken(ctx, t, 0); err != nil && !errs.Is(err, errs.Conflict) {
		return false, err
	}
	c.KV.Delete(ctx, legacyTokenKey(hash))
	return true, nil
}

// userTokens lists a user's live tokens.
func (c *Console) userTokens(ctx context.Context, u *account.User) ([]apiTokenRef, error) {
	if err := c.adoptLegacyList(ctx, u); err != nil {
		return nil, err
	}
	ts, err := c.Accounts.APITokens(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	refs := make([]apiTokenRef, len(ts))
	for i, t := range ts {
		refs[i] = refOf(t)
	}
	return refs, nil
}

// createAPIToken makes a token for a user and returns it (shown once).
func (c *Console) createAPIToken(ctx context.Context, u *account.User, name string, ttl time.Duration) (string, apiTokenRef, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 40 {
		return "", apiTokenRef{}, errs.InvalidFields(msgTokenName, errs.FieldError{Field: "name", Reason: msgTokenName})
	}
	if ttl <= 0 || ttl > maxTokenTTL {
		return "", apiTokenRef{}, errs.InvalidFields(msgTokenDays, errs.FieldError{Field: "days", Reason: msgTokenDays})
	}
	now := c.Clock.Now()
	token := apiTokenPrefix + randomToken(32)
	t := &account.APIToken{PublicID: h5Random(8), UserID: u.ID, Name: name, Hint: token[:len(apiTokenPrefix)+4], TokenHash: tokenHash(token),
		CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := c.Accounts.AddAPIToken(ctx, t, maxTokensQuota); err != nil {
		return "", apiTokenRef{}, err
	}
	return token, refOf(*t), nil
}

// revokeAPIToken ends one of a user's tokens. NotFound for a token the
// user does not have.
func (c *Console) revokeAPIToken(ctx context.Context, u *account.User, id string) (apiTokenRef, error) {
	if err := c.adoptLegacyList(ctx, u); err != nil {
		return apiTokenRef{}, err
	}
	t, err := c.Accounts.RevokeAPIToken(ctx, u.ID, id)
	if err != nil {
		return apiTokenRef{}, err
	}
	if err := c.KV.Delete(ctx, tokenCacheKey(t.TokenHash)); err != nil {
		return apiTokenRef{}, errs.Wrap(errs.Unavailable, err, "")
	}
	return refOf(*t), nil
}

// tokenUser finds the user behind a bearer token. Unauthorized for an
// unknown, revoked or expired token.
func (c *Console) tokenUser(ctx context.Context, token string) (int64, error) {
	if !strings.HasPrefix(token, apiTokenPrefix) || len(token) > 100 || len(token) < len(apiTokenPrefix)+4 {
		return 0, errs.E(errs.Unauthorized, msgBadToken)
	}
	hash, now := tokenHash(token), c.Clock.Now()
	if raw, err := c.KV.Get(ctx, tokenCacheKey(hash)); err == nil {
		user, exp, _ := strings.Cut(raw, "|")
		id, _ := strconv.ParseInt(user, 10, 64)
		unix, _ := strconv.ParseInt(exp, 10, 64)
		if id > 0 && now.Before(time.Unix(unix, 0)) {
			return id, nil
		}
	} else if !errors.Is(err, kv.ErrMiss) {
		return 0, errs.Wrap(errs.Unavailable, err, "")
	}
	t, err := c.Accounts.APITokenByHash(ctx, hash)
	if errs.Is(err, errs.NotFound) {
		adopted, aerr := c.adoptLegacyToken(ctx, token, hash)
		if aerr != nil {
			return 0, aerr
		}
		if !adopted {
			return 0, errs.E(errs.Unauthorized, msgTokenGone)
		}
		t, err = c.Accounts.APITokenByHash(ctx, hash)
	}
	if errs.Is(err, errs.NotFound) {
		return 0, errs.E(errs.Unauthorized, msgTokenGone)
	}
	if err != nil {
		return 0, err
	}
	if ttl := min(tokenCacheTTL, t.ExpiresAt.Sub(now)); ttl > 0 {
		c.KV.Set(ctx, tokenCacheKey(hash), strconv.FormatInt(t.UserID, 10)+"|"+strconv.FormatInt(t.ExpiresAt.Unix(), 10), ttl)
	}
	return t.UserID, nil
}

type tokensPage struct {
	Tokens   []apiTokenRef
	New      string
	NewRef   apiTokenRef
	Flash    string
	Problem  string
	CanWrite bool
}

func (c *Console) tokens(e echo.Context) error {
	return c.renderTokens(e, http.StatusOK, tokensPage{Flash: flash(e)})
}

func (c *Console) renderTokens(e echo.Context, status int, p tokensPage) error {
	refs, err := c.userTokens(e.Request().Context(), ConsoleUser(e))
	if err != nil {
		return err
	}
	p.Tokens, p.CanWrite = refs, ConsoleUser(e).Role.CanWrite()
	return c.Render(e, status, "tokens", "API令牌", p)
}

func (c *Console) createToken(e echo.Context) error {
	days, err := strconv.Atoi(e.FormValue("days"))
	if err != nil {
		days = int(defaultTokenTTL / (24 * time.Hour))
	}
	// Out of range before it is multiplied, so a huge number cannot wrap
	// round to a valid duration.
	days = max(0, min(days, int(maxTokenTTL/(24*time.Hour))+1))
	token, ref, err := c.createAPIToken(e.Request().Context(), ConsoleUser(e), e.FormValue("name"), time.Duration(days)*24*time.Hour)
	if err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Conflict {
			return c.renderTokens(e, errs.HTTPStatus(k), tokensPage{Problem: errs.MessageOf(err)})
		}
		return err
	}
	c.audit(e, "apitoken.create", "console_user", ConsoleUser(e).ID, "token "+ref.ID+" "+ref.Name)
	return c.renderTokens(e, http.StatusOK, tokensPage{New: token, NewRef: ref})
}

func (c *Console) revokeToken(e echo.Context) error {
	ref, err := c.revokeAPIToken(e.Request().Context(), ConsoleUser(e), e.Param("id"))
	if err != nil {
		return err
	}
	c.audit(e, "apitoken.revoke", "console_user", ConsoleUser(e).ID, "token "+ref.ID+" "+ref.Name)
	return done(e, "/console/tokens", "tokenGone")
}
