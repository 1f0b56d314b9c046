package wechat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/silenceper/wechat/v2/cache"

	"github.com/shianbao/shianbao/internal/kv"
)

// cacheTimeout bounds one cache operation when the SDK calls without a
// context; a cache that does not answer in this time counts as a miss.
const cacheTimeout = 2 * time.Second

var _ cache.ContextCache = (*kvCache)(nil)

// kvCache is the SDK's cache (cache.Cache) over kv, so what the SDK caches
// for itself (the JS-SDK ticket) is shared by every instance like our own
// access token. The SDK's Redis cache needs go-redis v8 and its Memory cache
// races, so neither is used.
//
// The SDK type-asserts what Get returns to string, so only strings (and
// byte slices, stored as strings) are accepted by Set.
type kvCache struct {
	store  kv.Store
	prefix string
}

func newKVCache(store kv.Store, prefix string) *kvCache {
	return &kvCache{store: store, prefix: prefix}
}

// Get returns the string under key, or nil when it is absent or the store
// fails (the SDK then fetches afresh).
func (c *kvCache) Get(key string) any {
	ctx, cancel := context.WithTimeout(context.Background(), cacheTimeout)
	defer cancel()
	return c.GetContext(ctx, key)
}

// Set stores val (a string) under key for timeout.
func (c *kvCache) Set(key string, val any, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), cacheTimeout)
	defer cancel()
	return c.SetContext(ctx, key, val, timeout)
}

// IsExist reports whether key holds a value.
func (c *kvCache) IsExist(key string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), cacheTimeout)
	defer cancel()
	return c.IsExistContext(ctx, key)
}

// Delete removes key.
func (c *kvCache) Delete(key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cacheTimeout)
	defer cancel()
	return c.DeleteContext(ctx, key)
}

// GetContext is Get with the caller's context.
func (c *kvCache) GetContext(ctx context.Context, key string) any {
	v, err := c.store.Get(ctx, c.prefix+key)
	if err != nil {
		// The interface has no error result: nil sends the SDK back to the platform.
		return nil
	}
	return v
}

// SetContext is Set with the caller's context. A timeout that is not
// positive means the SDK computed a lifetime already over (expires_in below
// its safety margin), so nothing is stored: kv would keep a zero-ttl value
// forever.
func (c *kvCache) SetContext(ctx context.Context, key string, val any, timeout time.Duration) error {
	var s string
	switch v := val.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("wechat cache set %q: value of type %T is not a string", key, val)
	}
	if timeout <= 0 {
		return nil
	}
	return c.store.Set(ctx, c.prefix+key, s, timeout)
}

// IsExistContext is IsExist with the caller's context.
func (c *kvCache) IsExistContext(ctx context.Context, key string) bool {
	_, err := c.store.Get(ctx, c.prefix+key)
	return err == nil
}

// DeleteContext is Delete with the caller's context.
func (c *kvCache) DeleteContext(ctx context.Context, key string) error {
	if err := c.store.Delete(ctx, c.prefix+key); err != nil && !errors.Is(err, kv.ErrMiss) {
		return err
	}
	return nil
}
