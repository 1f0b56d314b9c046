package kv_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/kv"
)

func mustSet(t *testing.T, s kv.Store, key, value string, ttl time.Duration) {
	t.Helper()
	if err := s.Set(t.Context(), key, value, ttl); err != nil {
		t.Fatalf("Set: %v", err)
	}
}

func mustTryLock(t *testing.T, s kv.Store, key string, ttl time.Duration) *kv.Lock {
	t.Helper()
	l, err := kv.TryLock(t.Context(), s, key, ttl)
	if err != nil {
		t.Fatalf("TryLock: %v", err)
	}
	return l
}

func wantValue(t *testing.T, s kv.Store, key, want string) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got != want {
		t.Fatalf("Get = %q, want %q", got, want)
	}
}

func wantMiss(t *testing.T, s kv.Store, key string) {
	t.Helper()
	if _, err := s.Get(t.Context(), key); !errors.Is(err, kv.ErrMiss) {
		t.Fatalf("Get: err = %v, want ErrMiss", err)
	}
}

func wantSetNX(t *testing.T, s kv.Store, key, value string, ttl time.Duration, want bool) {
	t.Helper()
	got, err := s.SetNX(t.Context(), key, value, ttl)
	if err != nil {
		t.Fatalf("SetNX: %v", err)
	}
	if got != want {
		t.Fatalf("SetNX = %v, want %v", got, want)
	}
}

func wantIncr(t *testing.T, s kv.Store, key string, ttl time.Duration, want int64) {
	t.Helper()
	got, err := s.Incr(t.Context(), key, ttl)
	if err != nil {
		t.Fatalf("Incr: %v", err)
	}
	if got != want {
		t.Fatalf("Incr = %d, want %d", got, want)
	}
}

// wantTTL checks that key's remaining ttl lies in [lo, hi].
func wantTTL(t *testing.T, s kv.Store, key string, lo, hi time.Duration) {
	t.Helper()
	got, err := s.TTL(t.Context(), key)
	if err != nil {
		t.Fatalf("TTL: %v", err)
	}
	if got < lo || got > hi {
		t.Fatalf("TTL = %s, want within [%s, %s]", got, lo, hi)
	}
}

func wantCAD(t *testing.T, s kv.Store, key, expected string, want bool) {
	t.Helper()
	got, err := s.CompareAndDelete(t.Context(), key, expected)
	if err != nil {
		t.Fatalf("CompareAndDelete: %v", err)
	}
	if got != want {
		t.Fatalf("CompareAndDelete = %v, want %v", got, want)
	}
}

func wantCAE(t *testing.T, s kv.Store, key, expected string, ttl time.Duration, want bool) {
	t.Helper()
	got, err := s.CompareAndExpire(t.Context(), key, expected, ttl)
	if err != nil {
		t.Fatalf("CompareAndExpire: %v", err)
	}
	if got != want {
		t.Fatalf("CompareAndExpire = %v, want %v", got, want)
	}
}
