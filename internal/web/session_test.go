package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/web"
)

// TestSessionsExpire: a console session lasts while it is used and ends
// TTL after its last use; signing out everywhere ends it at once.
func TestSessionsExpire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := kv.NewMemory()
	defer store.Close()
	s := &web.Sessions{KV: store, TTL: 2 * time.Hour}
	t0 := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	token, _, err := s.Create(ctx, 7, t0)
	if err != nil {
		t.Fatal(err)
	}
	// Used every 100 minutes, it stays signed in past its first TTL.
	at := t0
	for range 3 {
		at = at.Add(100 * time.Minute)
		if _, err := s.Load(ctx, token, at); err != nil {
			t.Fatalf("in use at %s: %v", at.Sub(t0), err)
		}
	}
	// Idle for longer than TTL, it is over, and stays over.
	_, err = s.Load(ctx, token, at.Add(2*time.Hour+time.Minute))
	if !errs.Is(err, errs.Unauthorized) || errs.MessageOf(err) != "登录已过期，请重新登录" {
		t.Fatalf("idle past TTL: %v", err)
	}
	if _, err := s.Load(ctx, token, at); !errs.Is(err, errs.Unauthorized) {
		t.Fatalf("an expired session came back: %v", err)
	}

	token, _, err = s.Create(ctx, 7, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAll(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, token, t0.Add(time.Minute)); !errs.Is(err, errs.Unauthorized) {
		t.Fatalf("after signing out everywhere: %v", err)
	}
}
