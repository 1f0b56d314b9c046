package kv

import (
	"context"
	"time"
)

// WithPrefix returns a Store that puts every key of s under prefix, so
// several deployments (or test runs) can share one Redis without seeing
// each other's sessions, locks and caches. An empty prefix returns s.
//
// The prefix is prepended to whole keys, so a hash tag inside a key
// ({...}) still decides its Redis Cluster slot as long as the prefix has
// no braces of its own (config validation refuses them).
func WithPrefix(s Store, prefix string) Store {
	if prefix == "" {
		return s
	}
	return &prefixed{s: s, p: prefix}
}

type prefixed struct {
	s Store
	p string
}

var _ Store = (*prefixed)(nil)

func (x *prefixed) Get(ctx context.Context, key string) (string, error) {
	return x.s.Get(ctx, x.p+key)
}

func (x *prefixed) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	return x.s.Set(ctx, x.p+key, value, ttl)
}

func (x *prefixed) SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	return x.s.SetNX(ctx, x.p+key, value, ttl)
}

func (x *prefixed) Delete(ctx context.Context, keys ...string) error {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = x.p + k
	}
	return x.s.Delete(ctx, full...)
}

func (x *prefixed) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	return x.s.Incr(ctx, x.p+key, ttl)
}

func (x *prefixed) TTL(ctx context.Context, key string) (time.Duration, error) {
	return x.s.TTL(ctx, x.p+key)
}

func (x *prefixed) CompareAndDelete(ctx context.Context, key, expected string) (bool, error) {
	return x.s.CompareAndDelete(ctx, x.p+key, expected)
}

func (x *prefixed) CompareAndExpire(ctx context.Context, key, expected string, ttl time.Duration) (bool, error) {
	return x.s.CompareAndExpire(ctx, x.p+key, expected, ttl)
}

// Batch prefixes the ops' keys for the call and gives them back as the
// caller made them, so an op (or a Lock built on one) can be reused.
func (x *prefixed) Batch(ctx context.Context, ops ...*Op) error {
	for _, o := range ops {
		o.rekey(func(k string) string { return x.p + k })
	}
	err := x.s.Batch(ctx, ops...)
	for _, o := range ops {
		o.rekey(func(k string) string { return k[len(x.p):] })
	}
	return err
}

func (x *prefixed) Ping(ctx context.Context) error { return x.s.Ping(ctx) }

func (x *prefixed) Close() error { return x.s.Close() }
