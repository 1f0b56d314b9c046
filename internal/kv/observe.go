package kv

import (
	"context"
	"errors"
	"time"
)

// Observer hears every call a Store makes, for metrics: the operation
// ("get", "set", "setnx", "delete", "incr", "ttl", "compare_and_delete",
// "compare_and_expire", "batch", "ping"), how long it took and its error.
// A miss is an answer, not an error, so it arrives as nil.
type Observer interface {
	KVCall(op string, took time.Duration, err error)
}

// Observed returns a Store that reports each call of s to o. Wrapping the
// Store rather than each driver covers Redis and the in-process store
// alike. A nil o returns s.
func Observed(s Store, o Observer) Store {
	if o == nil {
		return s
	}
	return &observed{s: s, o: o}
}

type observed struct {
	s Store
	o Observer
}

var _ Store = (*observed)(nil)

func (x *observed) done(op string, start time.Time, err error) {
	if errors.Is(err, ErrMiss) {
		err = nil
	}
	x.o.KVCall(op, time.Since(start), err)
}

func (x *observed) Get(ctx context.Context, key string) (string, error) {
	start := time.Now()
	v, err := x.s.Get(ctx, key)
	x.done("get", start, err)
	return v, err
}

func (x *observed) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	start := time.Now()
	err := x.s.Set(ctx, key, value, ttl)
	x.done("set", start, err)
	return err
}

func (x *observed) SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	start := time.Now()
	ok, err := x.s.SetNX(ctx, key, value, ttl)
	x.done("setnx", start, err)
	return ok, err
}

func (x *observed) Delete(ctx context.Context, keys ...string) error {
	start := time.Now()
	err := x.s.Delete(ctx, keys...)
	x.done("delete", start, err)
	return err
}

func (x *observed) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	start := time.Now()
	n, err := x.s.Incr(ctx, key, ttl)
	x.done("incr", start, err)
	return n, err
}

func (x *observed) TTL(ctx context.Context, key string) (time.Duration, error) {
	start := time.Now()
	d, err := x.s.TTL(ctx, key)
	x.done("ttl", start, err)
	return d, err
}

func (x *observed) CompareAndDelete(ctx context.Context, key, expected string) (bool, error) {
	start := time.Now()
	ok, err := x.s.CompareAndDelete(ctx, key, expected)
	x.done("compare_and_delete", start, err)
	return ok, err
}

func (x *observed) CompareAndExpire(ctx context.Context, key, expected string, ttl time.Duration) (bool, error) {
	start := time.Now()
	ok, err := x.s.CompareAndExpire(ctx, key, expected, ttl)
	x.done("compare_and_expire", start, err)
	return ok, err
}

// Batch counts as one call, failed when the batch failed as a whole or any
// of its operations did.
func (x *observed) Batch(ctx context.Context, ops ...*Op) error {
	start := time.Now()
	err := x.s.Batch(ctx, ops...)
	failed := err
	for _, o := range ops {
		if failed != nil {
			break
		}
		failed = o.Err
	}
	x.done("batch", start, failed)
	return err
}

func (x *observed) Ping(ctx context.Context) error {
	start := time.Now()
	err := x.s.Ping(ctx)
	x.done("ping", start, err)
	return err
}

func (x *observed) Close() error { return x.s.Close() }
