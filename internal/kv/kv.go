// Package kv is the key-value store with expiry that all shared, short-lived state goes through:
// callback dedupe, dialog sessions, locks (per user, scheduler leader), rate-limit counters and
// cached access tokens.
//
// Production runs several stateless instances behind a load balancer, so this state cannot live in
// one process's memory: Redis holds it, and because Redis is reached through go-redis's
// UniversalClient, moving from a single node to Sentinel or Cluster is a configuration change. The
// embedded default must run with nothing installed, so Memory provides the same behaviour inside
// the process. One contract test suite runs against both, which is what lets the code above this
// package ignore which one it was given.
package kv

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrMiss is returned by Get and TTL when the key does not exist or has expired.
var ErrMiss = errors.New("kv: miss")

// Store is a key-value store whose entries may expire.
//
// A ttl of 0 means no expiry; a negative ttl is an error, because a deadline computed in the past
// must not silently become a key that lives forever.
type Store interface {
	// Get returns the value of key, or ErrMiss when it is absent or expired.
	Get(ctx context.Context, key string) (string, error)
	// Set stores value under key, replacing any earlier value and its expiry.
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	// SetNX stores value only when key is absent and reports whether it did.
	SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error)
	// Delete removes keys; absent keys are not an error. The keys are not removed as one atomic
	// group, so they may live in different Redis Cluster slots.
	Delete(ctx context.Context, keys ...string) error
	// Incr adds one to the integer at key and returns the result; an absent key counts as 0.
	// The ttl applies only when this call creates the key and is not extended afterwards, so the
	// key works as a fixed-window counter. A value that is not an integer is an error.
	Incr(ctx context.Context, key string, ttl time.Duration) (int64, error)
	// TTL returns the time key has left, 0 when it never expires, or ErrMiss when it is absent.
	TTL(ctx context.Context, key string) (time.Duration, error)
	// CompareAndDelete atomically deletes key only when its value equals expected, and reports
	// whether it did.
	CompareAndDelete(ctx context.Context, key, expected string) (bool, error)
	// CompareAndExpire atomically sets key's ttl only when its value equals expected, and reports
	// whether it did. A ttl of 0 removes the expiry.
	CompareAndExpire(ctx context.Context, key, expected string, ttl time.Duration) (bool, error)
	// Batch runs ops in order in one round trip and fills in their results.
	// The batch is not atomic as a whole (each op is as atomic as on its
	// own), so callers must tolerate another client acting between two ops.
	// The error is for the batch failing as a whole; each op also has Err.
	Batch(ctx context.Context, ops ...*Op) error
	// Ping reports whether the store is reachable; readiness checks use it.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

func checkTTL(op string, ttl time.Duration) error {
	if ttl < 0 {
		return fmt.Errorf("kv %s: negative ttl %s", op, ttl)
	}
	return nil
}
