package wechat

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/silenceper/wechat/v2/credential"

	"github.com/shianbao/shianbao/internal/kv"
)

// tokenMargin is taken off the platform's expires_in, so a token is never
// used in its last minutes (clocks differ, requests take time).
const tokenMargin = 5 * time.Minute

var _ credential.AccessTokenContextHandle = (*tokenSource)(nil)

// tokenSource hands out the Official Account's access token, shared by every
// instance through kv.
//
// The platform invalidates older tokens when anyone fetches a new one, so
// instances must not each fetch their own: the token lives in kv, and a miss
// is refilled by one instance at a time under a kv lock (the others wait and
// then read what it stored). The stable-token endpoint (force_refresh=false)
// returns the token still in force rather than a new one, which keeps even a
// lost lock harmless.
//
// tokenSource is also the SDK's AccessTokenHandle, so anything the SDK does
// with the OfficialAccount uses the same shared token.
type tokenSource struct {
	store   kv.Store
	key     string
	lockKey string
	// fetch asks the platform for the stable token.
	fetch   func(ctx context.Context) (token string, expiresIn time.Duration, err error)
	timeout time.Duration
	log     *slog.Logger
	// gate lets one goroutine of this process wait for the kv lock; the rest
	// wait here, which spares the store a crowd of pollers.
	gate chan struct{}
}

func newTokenSource(store kv.Store, appID string, timeout time.Duration, log *slog.Logger,
	fetch func(ctx context.Context) (string, time.Duration, error)) *tokenSource {
	return &tokenSource{
		store:   store,
		key:     "wechat:oa:" + appID + ":access_token",
		lockKey: "wechat:oa:" + appID + ":access_token:lock",
		fetch:   fetch,
		timeout: timeout,
		log:     log,
		gate:    make(chan struct{}, 1),
	}
}

// Token returns the shared token, fetching one when kv has none.
func (s *tokenSource) Token(ctx context.Context) (string, error) {
	if tok, ok, err := s.cached(ctx); err != nil || ok {
		return tok, err
	}
	return s.refill(ctx)
}

func (s *tokenSource) cached(ctx context.Context) (string, bool, error) {
	tok, err := s.store.Get(ctx, s.key)
	switch {
	case errors.Is(err, kv.ErrMiss):
		return "", false, nil
	case err != nil:
		return "", false, &Error{Op: "token", Msg: "read cached token: " + err.Error(), Temporary: true}
	}
	return tok, tok != "", nil
}

func (s *tokenSource) refill(ctx context.Context) (string, error) {
	select {
	case s.gate <- struct{}{}:
		defer func() { <-s.gate }()
	case <-ctx.Done():
		return "", normalize("token", ctx.Err())
	}
	// Another goroutine may have filled it while this one waited at the gate.
	if tok, ok, err := s.cached(ctx); err != nil || ok {
		return tok, err
	}
	// The lease covers one fetch; a holder that dies frees it soon enough.
	lock, err := kv.AcquireLock(ctx, s.store, s.lockKey, 2*s.timeout)
	if err != nil {
		e := normalize("token", err)
		e.Temporary = true // a busy or unreachable store, or time ran out
		return "", e
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cacheTimeout)
		defer cancel()
		if err := lock.Release(rctx); err != nil && !errors.Is(err, kv.ErrLockLost) {
			s.log.Warn("wechat token lock release failed", "err", err)
		}
	}()
	// Another instance may have filled it while this one waited for the lock.
	if tok, ok, err := s.cached(ctx); err != nil || ok {
		return tok, err
	}
	fctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	tok, expiresIn, err := s.fetch(fctx)
	if err != nil {
		return "", normalize("token", err, tok)
	}
	if tok == "" {
		return "", &Error{Op: "token", Msg: "platform returned an empty access token"}
	}
	if err := s.store.Set(ctx, s.key, tok, tokenTTL(expiresIn)); err != nil {
		// The token works; only sharing it failed. Use it for this call.
		s.log.Warn("wechat token not cached", "err", err)
	}
	s.log.Debug("wechat access token fetched", "expires_in", expiresIn)
	return tok, nil
}

// tokenTTL is how long a token is kept: its lifetime less tokenMargin, but at
// least half its lifetime, so a short-lived token (a fake's) is still reused.
func tokenTTL(expiresIn time.Duration) time.Duration {
	ttl := max(expiresIn-tokenMargin, expiresIn/2)
	return max(ttl, time.Second)
}

// Drop forgets failed, the token the platform just rejected — only if it is
// still the cached one, so a token another instance has fetched since is kept.
func (s *tokenSource) Drop(ctx context.Context, failed string) {
	dropped, err := s.store.CompareAndDelete(ctx, s.key, failed)
	if err != nil {
		s.log.Warn("wechat token drop failed", "err", err)
		return
	}
	s.log.Info("wechat access token rejected by the platform", "dropped", dropped)
}

// GetAccessToken implements the SDK's AccessTokenHandle.
func (s *tokenSource) GetAccessToken() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*s.timeout)
	defer cancel()
	return s.GetAccessTokenContext(ctx)
}

// GetAccessTokenContext implements the SDK's AccessTokenContextHandle.
func (s *tokenSource) GetAccessTokenContext(ctx context.Context) (string, error) {
	return s.Token(ctx)
}
