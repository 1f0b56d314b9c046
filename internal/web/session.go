package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
)

// Sessions keeps console sign-ins in kv, so any instance serves any user
// and signing out takes effect everywhere at once. The cookie holds a random
// token; kv holds only its hash.
type Sessions struct {
	KV kv.Store
	// TTL is how long an idle session lasts.
	TTL time.Duration
}

// Session is one signed-in browser.
type Session struct {
	UserID  int64     `json:"u"`
	CSRF    string    `json:"c"`
	Gen     int64     `json:"g"`
	Created time.Time `json:"t"`
	Touched time.Time `json:"s"`
}

// RandomToken is n random bytes, URL-safe: session tokens, form tokens.
func RandomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sess:" + hex.EncodeToString(sum[:16])
}

func genKey(userID int64) string { return "sessgen:" + strconv.FormatInt(userID, 10) }

// generation is the user's current session generation; RevokeAll bumps it.
func (s *Sessions) generation(ctx context.Context, userID int64) (int64, error) {
	v, err := s.KV.Get(ctx, genKey(userID))
	if errors.Is(err, kv.ErrMiss) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// Create starts a session and returns its cookie token.
func (s *Sessions) Create(ctx context.Context, userID int64, now time.Time) (string, *Session, error) {
	gen, err := s.generation(ctx, userID)
	if err != nil {
		return "", nil, err
	}
	token := RandomToken(32)
	sess := &Session{UserID: userID, CSRF: RandomToken(24), Gen: gen, Created: now, Touched: now}
	raw, _ := json.Marshal(sess)
	if err := s.KV.Set(ctx, sessionKey(token), string(raw), s.TTL); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// Load returns the session of a token, or Unauthorized when it is unknown,
// expired or revoked. An active session's expiry slides (refreshed at most
// every few minutes, to keep reads cheap).
func (s *Sessions) Load(ctx context.Context, token string, now time.Time) (*Session, error) {
	if token == "" {
		return nil, errs.E(errs.Unauthorized, "请先登录")
	}
	raw, err := s.KV.Get(ctx, sessionKey(token))
	if errors.Is(err, kv.ErrMiss) {
		return nil, errs.E(errs.Unauthorized, "登录已过期，请重新登录")
	}
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "")
	}
	var sess Session
	if json.Unmarshal([]byte(raw), &sess) != nil {
		return nil, errs.E(errs.Unauthorized, "请重新登录")
	}
	gen, err := s.generation(ctx, sess.UserID)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "")
	}
	if gen != sess.Gen {
		s.KV.Delete(ctx, sessionKey(token))
		return nil, errs.E(errs.Unauthorized, "账号已在所有设备退出，请重新登录")
	}
	// kv drops an idle session after TTL by the wall clock; checking the
	// service's own clock as well keeps expiry exact where kv keys outlive
	// their TTL a little, and under a shifted development clock.
	if s.TTL > 0 && now.Sub(sess.Touched) > s.TTL {
		s.KV.Delete(ctx, sessionKey(token))
		return nil, errs.E(errs.Unauthorized, "登录已过期，请重新登录")
	}
	if now.Sub(sess.Touched) > 5*time.Minute {
		sess.Touched = now
		b, _ := json.Marshal(sess)
		s.KV.Set(ctx, sessionKey(token), string(b), s.TTL)
	}
	return &sess, nil
}

// Delete ends one session (sign out).
func (s *Sessions) Delete(ctx context.Context, token string) error {
	return s.KV.Delete(ctx, sessionKey(token))
}

// RevokeAll ends every session of a user (sign out everywhere).
func (s *Sessions) RevokeAll(ctx context.Context, userID int64) error {
	_, err := s.KV.Incr(ctx, genKey(userID), 0)
	return err
}

// CSRFOK compares a submitted CSRF token with the session's in constant time.
func (sess *Session) CSRFOK(submitted string) bool {
	return submitted != "" && subtle.ConstantTimeCompare([]byte(submitted), []byte(sess.CSRF)) == 1
}
