package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
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
// once. The token is shown once; kv keeps only its SHA-256 (the token is
// 256 random bits, so a fast hash is enough) and expires it at the end of
// its validity. Like sessions, tokens live in kv so every instance knows
// them and revoking one takes effect everywhere.
const (
	apiTokenPrefix  = "sab_"
	maxTokensQuota  = 20
	defaultTokenTTL = 90 * 24 * time.Hour
	maxTokenTTL     = 366 * 24 * time.Hour
)

// apiToken is what kv keeps under the token's hash.
type apiToken struct {
	ID        string    `json:"i"`
	UserID    int64     `json:"u"`
	Name      string    `json:"n"`
	CreatedAt time.Time `json:"c"`
	ExpiresAt time.Time `json:"e"`
}

// apiTokenRef is a user's list entry for a token: enough to list and revoke it.
type apiTokenRef struct {
	ID        string    `json:"i"`
	Hash      string    `json:"h"`
	Name      string    `json:"n"`
	Hint      string    `json:"p"`
	CreatedAt time.Time `json:"c"`
	ExpiresAt time.Time `json:"e"`
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func tokenKey(hash string) string { return "apitoken:" + hash }

// A user's list is keyed by id and username, so two databases sharing a
// Redis (tests, a staging copy) never mix their users' lists.
func tokenListKey(u *account.User) string {
	return "apitokens:" + strconv.FormatInt(u.ID, 10) + ":" + u.Username
}

func tokenLockKey(u *account.User) string { return "lock:" + tokenListKey(u) }

func (t apiTokenRef) live(now time.Time) bool { return now.Before(t.ExpiresAt) }

// userTokens lists a user's tokens that have not expired.
func (c *Console) userTokens(ctx context.Context, u *account.User) ([]apiTokenRef, error) {
	raw, err := c.KV.Get(ctx, tokenListKey(u))
	if errors.Is(err, kv.ErrMiss) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "")
	}
	var refs []apiTokenRef
	if json.Unmarshal([]byte(raw), &refs) != nil {
		return nil, nil
	}
	now := c.Clock.Now()
	return slices.DeleteFunc(refs, func(r apiTokenRef) bool { return !r.live(now) }), nil
}

// editTokens changes a user's token list under a lock, so two tabs
// creating tokens at once do not lose one.
func (c *Console) editTokens(ctx context.Context, u *account.User, edit func([]apiTokenRef) ([]apiTokenRef, error)) error {
	lock, err := kv.AcquireLock(ctx, c.KV, tokenLockKey(u), 5*time.Second)
	if err != nil {
		return errs.Wrap(errs.Unavailable, err, "")
	}
	defer lock.Release(context.WithoutCancel(ctx))
	refs, err := c.userTokens(ctx, u)
	if err != nil {
		return err
	}
	if refs, err = edit(refs); err != nil {
		return err
	}
	raw, _ := json.Marshal(refs)
	if err := c.KV.Set(ctx, tokenListKey(u), string(raw), maxTokenTTL); err != nil {
		return errs.Wrap(errs.Unavailable, err, "")
	}
	return nil
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
	t := apiToken{ID: randomToken(9), UserID: u.ID, Name: name, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	ref := apiTokenRef{ID: t.ID, Hash: tokenHash(token), Name: name, Hint: token[:len(apiTokenPrefix)+4], CreatedAt: now, ExpiresAt: t.ExpiresAt}
	err := c.editTokens(ctx, u, func(refs []apiTokenRef) ([]apiTokenRef, error) {
		if len(refs) >= maxTokensQuota {
			return nil, errs.E(errs.Conflict, msgTooManyTokens, maxTokensQuota)
		}
		raw, _ := json.Marshal(t)
		if err := c.KV.Set(ctx, tokenKey(ref.Hash), string(raw), ttl); err != nil {
			return nil, errs.Wrap(errs.Unavailable, err, "")
		}
		return append(refs, ref), nil
	})
	if err != nil {
		return "", apiTokenRef{}, err
	}
	return token, ref, nil
}

// revokeAPIToken ends one of a user's tokens. NotFound for a token the
// user does not have.
func (c *Console) revokeAPIToken(ctx context.Context, u *account.User, id string) (apiTokenRef, error) {
	var gone apiTokenRef
	err := c.editTokens(ctx, u, func(refs []apiTokenRef) ([]apiTokenRef, error) {
		i := slices.IndexFunc(refs, func(r apiTokenRef) bool { return r.ID == id })
		if i < 0 {
			return nil, errs.E(errs.NotFound, msgNoToken)
		}
		gone = refs[i]
		if err := c.KV.Delete(ctx, tokenKey(gone.Hash)); err != nil {
			return nil, errs.Wrap(errs.Unavailable, err, "")
		}
		return slices.Delete(refs, i, i+1), nil
	})
	return gone, err
}

// tokenUser finds the user behind a bearer token. Unauthorized for an
// unknown, revoked or expired token.
func (c *Console) tokenUser(ctx context.Context, token string) (int64, error) {
	if !strings.HasPrefix(token, apiTokenPrefix) || len(token) > 100 {
		return 0, errs.E(errs.Unauthorized, msgBadToken)
	}
	raw, err := c.KV.Get(ctx, tokenKey(tokenHash(token)))
	if errors.Is(err, kv.ErrMiss) {
		return 0, errs.E(errs.Unauthorized, msgTokenGone)
	}
	if err != nil {
		return 0, errs.Wrap(errs.Unavailable, err, "")
	}
	var t apiToken
	if json.Unmarshal([]byte(raw), &t) != nil || !c.Clock.Now().Before(t.ExpiresAt) {
		return 0, errs.E(errs.Unauthorized, msgTokenGone)
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
