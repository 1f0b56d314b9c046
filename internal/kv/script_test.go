package kv_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shianbao/shianbao/internal/kv"
)

// runScriptContract covers the ops that run as one script on Redis: the
// chat callback's one call before its handler (ClaimOp, SetNXOrGetOp) and
// one after (SetAndReleaseOp).
func runScriptContract(t *testing.T, newStore func(t *testing.T) kv.Store) {
	t.Run("SetNXOrGet", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		first, again := kv.SetNXOrGetOp(key("nonce"), "body-1", longTTL), kv.SetNXOrGetOp(key("nonce"), "body-2", longTTL)
		if err := s.Batch(t.Context(), first); err != nil || first.Err != nil || !first.OK {
			t.Fatalf("first: %v %+v", err, first)
		}
		if err := s.Batch(t.Context(), again); err != nil || again.Err != nil || again.OK || again.Value != "body-1" {
			t.Fatalf("again: %v %+v", err, again)
		}
		wantValue(t, s, key("nonce"), "body-1")
		wantTTL(t, s, key("nonce"), longTTL-10*time.Second, longTTL)
	})

	t.Run("BatchOfOne", func(t *testing.T) {
		t.Parallel()
		// Redis sends a lone op without a pipeline; the results are the same.
		s, key := newStore(t), newKey(t)
		miss, bad := kv.GetOp(key("absent")), kv.SetOp(key("bad"), "x", -time.Second)
		if err := s.Batch(t.Context(), miss); err != nil || miss.Err != nil || !miss.Miss {
			t.Fatalf("lone get of an absent key: %v %+v", err, miss)
		}
		if err := s.Batch(t.Context(), bad); err != nil || bad.Err == nil {
			t.Fatalf("lone set with a negative ttl: %v %+v", err, bad)
		}
		wantMiss(t, s, key("bad"))
	})

	t.Run("Claim", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		ctx := t.Context()
		turn, lock, ver, absent := key("{u1}turn:1"), key("{u1}lock"), key("{u1}ver"), key("{u1}absent")
		mustSet(t, s, ver, "v7", longTTL)
		op, l := kv.ClaimLockOp(s, turn, "pending-a", longTTL, lock, ver, absent)
		if err := s.Batch(ctx, op); err != nil || op.Err != nil {
			t.Fatalf("claim: %v %v", err, op.Err)
		}
		if !op.OK || !op.Locked || op.Value != "" {
			t.Fatalf("fresh claim: ok %v locked %v value %q", op.OK, op.Locked, op.Value)
		}
		want := []kv.Read{{Key: ver, Value: "v7"}, {Key: absent, Miss: true}}
		if len(op.Reads) != 2 || op.Reads[0] != want[0] || op.Reads[1] != want[1] {
			t.Fatalf("reads %+v, want %+v", op.Reads, want)
		}
		wantValue(t, s, turn, "pending-a")
		wantValue(t, s, lock, l.Token())
		// Both lapse if their owner dies: a lease, never a key for ever.
		wantTTL(t, s, turn, longTTL-10*time.Second, longTTL)
		wantTTL(t, s, lock, longTTL-10*time.Second, longTTL)

		// A second delivery of the same turn finds the claim and does not
		// touch the lock.
		again, _ := kv.ClaimLockOp(s, turn, "pending-b", longTTL, lock, ver)
		if err := s.Batch(ctx, again); err != nil || again.Err != nil {
			t.Fatalf("again: %v %v", err, again.Err)
		}
		if again.OK || again.Locked || again.Value != "pending-a" || len(again.Reads) != 1 || again.Reads[0].Value != "v7" {
			t.Fatalf("claimed twice: %+v", again)
		}
		wantValue(t, s, lock, l.Token())

		// The user's next turn claims its own key but waits for the lock.
		next, _ := kv.ClaimLockOp(s, key("{u1}turn:2"), "pending-c", longTTL, lock)
		if err := s.Batch(ctx, next); err != nil || next.Err != nil || !next.OK || next.Locked {
			t.Fatalf("next turn while locked: %v %+v", err, next)
		}

		// The end: the answer stored and the lock released in one step.
		end := l.SetAndReleaseOp(turn, "answer", longTTL)
		if err := s.Batch(ctx, end); err != nil || end.Err != nil || !end.OK {
			t.Fatalf("set and release: %v %+v", err, end)
		}
		wantValue(t, s, turn, "answer")
		wantMiss(t, s, lock)
		// Released twice: the answer is stored, the lock reported lost.
		mustSet(t, s, lock, "someone-else", longTTL)
		late := l.SetAndReleaseOp(turn, "answer-2", longTTL)
		if err := s.Batch(ctx, late); err != nil || late.Err != nil || late.OK {
			t.Fatalf("release of a lost lock: %v %+v", err, late)
		}
		wantValue(t, s, turn, "answer-2")
		wantValue(t, s, lock, "someone-else")
	})

	t.Run("ClaimExpires", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		op, _ := kv.ClaimLockOp(s, key("{u}turn"), "p", shortTTL, key("{u}lock"))
		if err := s.Batch(t.Context(), op); err != nil || !op.OK || !op.Locked {
			t.Fatalf("claim: %v %+v", err, op)
		}
		time.Sleep(3 * shortTTL)
		wantMiss(t, s, key("{u}turn"))
		wantMiss(t, s, key("{u}lock"))
	})

	t.Run("ClaimRefused", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		// Keys in two slots would fail on a Cluster, so every store refuses them.
		cross := kv.ClaimOp(key("{a}turn"), "p", longTTL, key("{b}lock"), "t")
		forever := kv.ClaimOp(key("{a}turn"), "p", 0, key("{a}lock"), "t")
		crossRead := kv.ClaimOp(key("{a}turn"), "p", longTTL, key("{a}lock"), "t", key("{c}ver"))
		if err := s.Batch(t.Context(), cross, forever, crossRead); err != nil {
			t.Fatal(err)
		}
		for _, op := range []*kv.Op{cross, forever, crossRead} {
			if op.Err == nil || op.OK {
				t.Fatalf("claim not refused: %+v", op)
			}
		}
		if !strings.Contains(cross.Err.Error(), "slot") {
			t.Fatalf("cross-slot error does not say why: %v", cross.Err)
		}
		wantMiss(t, s, key("{a}turn"))
	})

	t.Run("ClaimConcurrent", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		var claimed, locked atomic.Int32
		concurrently(t, 16, func(i int) {
			op, _ := kv.ClaimLockOp(s, key("{u}turn"), "p", longTTL, key("{u}lock"))
			if err := s.Batch(context.Background(), op); err != nil || op.Err != nil {
				t.Errorf("claim %d: %v %v", i, err, op.Err)
				return
			}
			if op.OK {
				claimed.Add(1)
			}
			if op.Locked {
				locked.Add(1)
			}
		})
		if claimed.Load() != 1 || locked.Load() != 1 {
			t.Fatalf("claimed %d times, locked %d times; want once each", claimed.Load(), locked.Load())
		}
	})
}

// TestRedisScriptCacheLost checks the fallback from EVALSHA to EVAL: Redis
// forgets its scripts on restart, failover or SCRIPT FLUSH, and a batch
// must still run every op once.
func TestRedisScriptCacheLost(t *testing.T) {
	addrs := redisAddrs(t)
	t.Cleanup(func() { deleteTestKeys(t, addrs) })
	s, err := kv.NewRedis(kv.RedisOptions{Addrs: addrs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, key := t.Context(), newKey(t)
	c := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs})
	defer c.Close()
	flush := func() {
		t.Helper()
		// SCRIPT FLUSH only empties the cache of scripts, which every
		// client sharing this server re-sends when told NOSCRIPT.
		if cc, ok := c.(*redis.ClusterClient); ok {
			err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return n.ScriptFlush(ctx).Err() })
		} else {
			err = c.ScriptFlush(ctx).Err()
		}
		if err != nil {
			t.Fatalf("script flush: %v", err)
		}
	}
	for round := range 2 {
		flush()
		turn, lock := key("{u}turn")+string(rune('a'+round)), key("{u}lock")
		nonce := kv.SetNXOrGetOp(key("nonce")+string(rune('a'+round)), "d", longTTL)
		claim, l := kv.ClaimLockOp(s, turn, "p", longTTL, lock)
		set := kv.SetOp(key("plain"), "v", longTTL)
		if err := s.Batch(ctx, nonce, claim, set); err != nil || nonce.Err != nil || claim.Err != nil || set.Err != nil {
			t.Fatalf("round %d: %v %v %v %v", round, err, nonce.Err, claim.Err, set.Err)
		}
		if !nonce.OK || !claim.OK || !claim.Locked {
			t.Fatalf("round %d: nonce %+v claim %+v", round, nonce, claim)
		}
		flush()
		end := l.SetAndReleaseOp(turn, "answer", longTTL)
		if err := s.Batch(ctx, end); err != nil || end.Err != nil || !end.OK {
			t.Fatalf("round %d: end %v %+v", round, err, end)
		}
		wantValue(t, s, turn, "answer")
		wantMiss(t, s, lock)
	}
}
