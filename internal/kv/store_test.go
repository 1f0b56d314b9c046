package kv_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shianbao/shianbao/internal/kv"
)

// testPrefix puts every key this run makes under one random prefix, so runs sharing a Redis
// cannot collide and TestRedis can find its keys to delete them.
var testPrefix = "shianbao-kvtest:" + rand.Text() + ":"

// Short lifetimes for expiry tests; every "gone" check waits three of them, and every "still
// there" check uses longTTL, so a slow machine cannot turn a sleep into a failure.
const (
	shortTTL = 60 * time.Millisecond
	longTTL  = time.Minute
)

func TestMemory(t *testing.T) {
	runContract(t, func(t *testing.T) kv.Store {
		m := kv.NewMemory()
		t.Cleanup(func() { m.Close() })
		return m
	})
}

func TestRedis(t *testing.T) {
	addrs := redisAddrs(t)
	t.Cleanup(func() { deleteTestKeys(t, addrs) })
	runContract(t, func(t *testing.T) kv.Store {
		r, err := kv.NewRedis(kv.RedisOptions{Addrs: addrs})
		if err != nil {
			t.Fatalf("NewRedis: %v", err)
		}
		t.Cleanup(func() { r.Close() })
		if err := r.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		return r
	})
}

// TestPrefixed runs the contract through WithPrefix, on Redis when
// configured (else on Memory), and checks that two prefixes on one server
// never see each other's keys while the server holds them prefixed.
func TestPrefixed(t *testing.T) {
	open := func(t *testing.T) kv.Store {
		m := kv.NewMemory()
		t.Cleanup(func() { m.Close() })
		return m
	}
	if os.Getenv("SHIANBAO_TEST_REDIS_ADDR") != "" || os.Getenv("SHIANBAO_TEST_REQUIRE_SERVICES") == "1" {
		addrs := redisAddrs(t)
		t.Cleanup(func() { deleteTestKeys(t, addrs) })
		open = func(t *testing.T) kv.Store {
			r, err := kv.NewRedis(kv.RedisOptions{Addrs: addrs})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			return r
		}
	}
	runContract(t, func(t *testing.T) kv.Store { return kv.WithPrefix(open(t), testPrefix+"p1:") })

	t.Run("Isolated", func(t *testing.T) {
		server := open(t)
		a, b := kv.WithPrefix(server, testPrefix+"a:"), kv.WithPrefix(server, testPrefix+"b:")
		ctx := t.Context()
		mustSet(t, a, "session:1", "甲", longTTL)
		if _, err := b.Get(ctx, "session:1"); !errors.Is(err, kv.ErrMiss) {
			t.Fatalf("another prefix reads the key: %v", err)
		}
		wantValue(t, server, testPrefix+"a:session:1", "甲")
		get, lock := kv.LockOp(b, "lock", longTTL)
		set := kv.SetOp("k", "乙", longTTL)
		if err := b.Batch(ctx, get, set); err != nil || !get.OK || get.Err != nil || set.Err != nil {
			t.Fatalf("batch: %v %+v %+v", err, get, set)
		}
		wantValue(t, server, testPrefix+"b:k", "乙")
		if ok, err := a.SetNX(ctx, "lock", "x", longTTL); err != nil || !ok {
			t.Fatalf("prefix a cannot take its own lock: %v %v", ok, err)
		}
		if err := b.Batch(ctx, lock.ReleaseOp()); err != nil {
			t.Fatal(err)
		}
		if _, err := server.Get(ctx, testPrefix+"b:lock"); !errors.Is(err, kv.ErrMiss) {
			t.Fatalf("the batched release left the lock: %v", err)
		}
		wantValue(t, a, "lock", "x")
	})
}

func TestNewRedisNoAddress(t *testing.T) {
	if _, err := kv.NewRedis(kv.RedisOptions{}); err == nil {
		t.Fatal("NewRedis with no address: want error")
	}
}

// redisAddrs returns the test server's addresses (comma-separated for a Cluster), skipping when
// none is configured unless the run requires its services.
func redisAddrs(tb testing.TB) []string {
	tb.Helper()
	v := os.Getenv("SHIANBAO_TEST_REDIS_ADDR")
	if v == "" {
		if os.Getenv("SHIANBAO_TEST_REQUIRE_SERVICES") == "1" {
			tb.Fatal("SHIANBAO_TEST_REDIS_ADDR is not set and SHIANBAO_TEST_REQUIRE_SERVICES=1")
		}
		tb.Skip("SHIANBAO_TEST_REDIS_ADDR is not set")
	}
	return strings.Split(v, ",")
}

// deleteTestKeys removes every key under testPrefix; a shared server must not be flushed.
func deleteTestKeys(tb testing.TB, addrs []string) {
	tb.Helper()
	ctx := context.Background()
	c := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs})
	defer c.Close()
	scan := func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, testPrefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			if err := c.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return scan(ctx, n) })
	} else {
		err = scan(ctx, c)
	}
	if err != nil {
		tb.Errorf("delete test keys: %v", err)
	}
}

// newKey returns a function that makes keys unique to one test.
func newKey(t *testing.T) func(name string) string {
	t.Helper()
	p := testPrefix + rand.Text() + ":"
	return func(name string) string { return p + name }
}

func runContract(t *testing.T, newStore func(t *testing.T) kv.Store) {
	runScriptContract(t, newStore)
	t.Run("GetMiss", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		if _, err := s.Get(t.Context(), key("absent")); !errors.Is(err, kv.ErrMiss) {
			t.Fatalf("Get absent: err = %v, want ErrMiss", err)
		}
	})

	t.Run("SetGet", func(t *testing.T) {
		t.Parallel()
		s, key, ctx := newStore(t), newKey(t), t.Context()
		mustSet(t, s, key("a"), "会话 1", 0)
		mustSet(t, s, key("b"), "", longTTL)
		wantValue(t, s, key("a"), "会话 1")
		wantValue(t, s, key("b"), "")
		if err := s.Set(ctx, key("c"), "v", -time.Second); err == nil {
			t.Error("Set with negative ttl: want error")
		}
	})

	t.Run("SetOverwrite", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		mustSet(t, s, key("k"), "one", longTTL)
		mustSet(t, s, key("k"), "two", 0)
		wantValue(t, s, key("k"), "two")
		// Set replaces the expiry too, as Redis SET does.
		wantTTL(t, s, key("k"), 0, 0)
	})

	t.Run("TTLExpires", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		mustSet(t, s, key("short"), "v", shortTTL)
		mustSet(t, s, key("long"), "v", longTTL)
		mustSet(t, s, key("forever"), "v", 0)
		time.Sleep(3 * shortTTL)
		wantMiss(t, s, key("short"))
		wantValue(t, s, key("long"), "v")
		wantValue(t, s, key("forever"), "v")
	})

	t.Run("SetNX", func(t *testing.T) {
		t.Parallel()
		s, key, ctx := newStore(t), newKey(t), t.Context()
		wantSetNX(t, s, key("k"), "first", longTTL, true)
		wantSetNX(t, s, key("k"), "second", longTTL, false)
		wantValue(t, s, key("k"), "first")

		wantSetNX(t, s, key("short"), "first", shortTTL, true)
		time.Sleep(3 * shortTTL)
		wantSetNX(t, s, key("short"), "again", longTTL, true)
		wantValue(t, s, key("short"), "again")

		if _, err := s.SetNX(ctx, key("neg"), "v", -time.Second); err == nil {
			t.Error("SetNX with negative ttl: want error")
		}
	})

	t.Run("SetNXConcurrent", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		var wins, fails int
		var mu sync.Mutex
		concurrently(t, 50, func(i int) {
			ok, err := s.SetNX(t.Context(), key("k"), strconv.Itoa(i), longTTL)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				fails++
			case ok:
				wins++
			}
		})
		if wins != 1 || fails != 0 {
			t.Fatalf("wins = %d, errors = %d; want 1 winner and no errors", wins, fails)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		s, key, ctx := newStore(t), newKey(t), t.Context()
		mustSet(t, s, key("a"), "1", 0)
		mustSet(t, s, key("b"), "2", longTTL)
		mustSet(t, s, key("c"), "3", 0)
		if err := s.Delete(ctx, key("a"), key("b"), key("absent")); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		wantMiss(t, s, key("a"))
		wantMiss(t, s, key("b"))
		wantValue(t, s, key("c"), "3")
		if err := s.Delete(ctx, key("c")); err != nil {
			t.Fatalf("Delete one: %v", err)
		}
		wantMiss(t, s, key("c"))
		if err := s.Delete(ctx); err != nil {
			t.Fatalf("Delete no keys: %v", err)
		}
	})

	t.Run("IncrCreatesWithTTL", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		// The window's ttl comes from the first increment; later ones must not stretch it.
		wantIncr(t, s, key("window"), time.Second, 1)
		wantIncr(t, s, key("window"), time.Hour, 2)
		wantTTL(t, s, key("window"), time.Nanosecond, time.Second)

		wantIncr(t, s, key("plain"), 0, 1)
		wantTTL(t, s, key("plain"), 0, 0)

		wantIncr(t, s, key("short"), shortTTL, 1)
		wantIncr(t, s, key("short"), shortTTL, 2)
		time.Sleep(3 * shortTTL)
		wantIncr(t, s, key("short"), shortTTL, 1)

		if _, err := s.Incr(t.Context(), key("neg"), -time.Second); err == nil {
			t.Error("Incr with negative ttl: want error")
		}
	})

	t.Run("IncrNotInteger", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		mustSet(t, s, key("k"), "13800138000x", 0)
		_, err := s.Incr(t.Context(), key("k"), 0)
		if err == nil {
			t.Fatal("Incr on a non-integer: want error")
		}
		if strings.Contains(err.Error(), "13800138000") {
			t.Errorf("error %q quotes the value", err)
		}
	})

	t.Run("IncrConcurrent", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		var mu sync.Mutex
		seen := make(map[int64]bool)
		concurrently(t, 100, func(int) {
			n, err := s.Incr(t.Context(), key("k"), longTTL)
			if err != nil {
				t.Errorf("Incr: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			seen[n] = true
		})
		wantValue(t, s, key("k"), "100")
		if len(seen) != 100 {
			t.Errorf("distinct results = %d, want 100", len(seen))
		}
	})

	t.Run("TTL", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		if _, err := s.TTL(t.Context(), key("absent")); !errors.Is(err, kv.ErrMiss) {
			t.Errorf("TTL absent: err = %v, want ErrMiss", err)
		}
		mustSet(t, s, key("forever"), "v", 0)
		wantTTL(t, s, key("forever"), 0, 0)
		mustSet(t, s, key("long"), "v", longTTL)
		wantTTL(t, s, key("long"), time.Nanosecond, longTTL)
		mustSet(t, s, key("short"), "v", shortTTL)
		time.Sleep(3 * shortTTL)
		if _, err := s.TTL(t.Context(), key("short")); !errors.Is(err, kv.ErrMiss) {
			t.Errorf("TTL expired: err = %v, want ErrMiss", err)
		}
	})

	t.Run("CompareAndDelete", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		wantCAD(t, s, key("absent"), "v", false)
		mustSet(t, s, key("k"), "mine", longTTL)
		wantCAD(t, s, key("k"), "theirs", false)
		wantValue(t, s, key("k"), "mine")
		wantCAD(t, s, key("k"), "mine", true)
		wantMiss(t, s, key("k"))
		wantCAD(t, s, key("k"), "mine", false)
	})

	t.Run("CompareAndExpire", func(t *testing.T) {
		t.Parallel()
		s, key, ctx := newStore(t), newKey(t), t.Context()
		wantCAE(t, s, key("absent"), "v", longTTL, false)
		wantMiss(t, s, key("absent"))

		mustSet(t, s, key("k"), "mine", 0)
		wantCAE(t, s, key("k"), "theirs", longTTL, false)
		wantTTL(t, s, key("k"), 0, 0)
		wantCAE(t, s, key("k"), "mine", longTTL, true)
		wantTTL(t, s, key("k"), time.Nanosecond, longTTL)
		wantCAE(t, s, key("k"), "mine", 0, true)
		wantTTL(t, s, key("k"), 0, 0)
		wantValue(t, s, key("k"), "mine")

		mustSet(t, s, key("short"), "mine", longTTL)
		wantCAE(t, s, key("short"), "mine", shortTTL, true)
		time.Sleep(3 * shortTTL)
		wantMiss(t, s, key("short"))

		if _, err := s.CompareAndExpire(ctx, key("k"), "mine", -time.Second); err == nil {
			t.Error("CompareAndExpire with negative ttl: want error")
		}
	})

	t.Run("LockExclusive", func(t *testing.T) {
		t.Parallel()
		s, key, ctx := newStore(t), newKey(t), t.Context()
		l := mustTryLock(t, s, key("lock"), longTTL)
		if l.Key() != key("lock") || l.Token() == "" {
			t.Errorf("Key, Token = %q, %q", l.Key(), l.Token())
		}
		if _, err := kv.TryLock(ctx, s, key("lock"), longTTL); !errors.Is(err, kv.ErrLocked) {
			t.Fatalf("second TryLock: err = %v, want ErrLocked", err)
		}
		if _, err := kv.TryLock(ctx, s, key("zero"), 0); err == nil {
			t.Error("TryLock with zero ttl: want error")
		}
	})

	t.Run("LockRelease", func(t *testing.T) {
		t.Parallel()
		s, key, ctx := newStore(t), newKey(t), t.Context()
		l := mustTryLock(t, s, key("lock"), longTTL)
		if err := l.Release(ctx); err != nil {
			t.Fatalf("Release: %v", err)
		}
		if err := l.Release(ctx); !errors.Is(err, kv.ErrLockLost) {
			t.Errorf("second Release: err = %v, want ErrLockLost", err)
		}
		l2 := mustTryLock(t, s, key("lock"), longTTL)
		if l2.Token() == l.Token() {
			t.Error("new owner got the old token")
		}
	})

	t.Run("LockSafeRelease", func(t *testing.T) {
		t.Parallel()
		s, key, ctx := newStore(t), newKey(t), t.Context()
		old := mustTryLock(t, s, key("lock"), shortTTL)
		time.Sleep(3 * shortTTL)
		cur := mustTryLock(t, s, key("lock"), longTTL)
		if err := old.Release(ctx); !errors.Is(err, kv.ErrLockLost) {
			t.Fatalf("stale Release: err = %v, want ErrLockLost", err)
		}
		if err := old.Extend(ctx, longTTL); !errors.Is(err, kv.ErrLockLost) {
			t.Fatalf("stale Extend: err = %v, want ErrLockLost", err)
		}
		wantValue(t, s, key("lock"), cur.Token())
		if err := cur.Release(ctx); err != nil {
			t.Fatalf("current owner's Release: %v", err)
		}
	})

	t.Run("Batch", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		ctx := t.Context()
		if err := s.Set(ctx, key("held"), "old", time.Minute); err != nil {
			t.Fatal(err)
		}
		lockOp, lock := kv.LockOp(s, key("lock"), time.Minute)
		setnxTaken := kv.SetNXOp(key("held"), "new", time.Minute)
		setnxFree := kv.SetNXOp(key("free"), "v", time.Minute)
		get := kv.GetOp(key("held"))
		miss := kv.GetOp(key("absent"))
		set := kv.SetOp(key("set"), "s", time.Minute)
		bad := kv.SetOp(key("bad"), "x", -time.Second)
		if err := s.Batch(ctx, lockOp, setnxTaken, setnxFree, get, miss, set, bad); err != nil {
			t.Fatal(err)
		}
		if !lockOp.OK || setnxTaken.OK || !setnxFree.OK {
			t.Fatalf("setnx results: lock %v taken %v free %v", lockOp.OK, setnxTaken.OK, setnxFree.OK)
		}
		if get.Value != "old" || get.Miss || !miss.Miss || set.Err != nil || bad.Err == nil {
			t.Fatalf("get %+v miss %+v set %v bad %v", get, miss, set.Err, bad.Err)
		}
		if v, _ := s.Get(ctx, key("set")); v != "s" {
			t.Fatalf("batched set not stored: %q", v)
		}
		if _, err := kv.TryLock(ctx, s, key("lock"), time.Minute); !errors.Is(err, kv.ErrLocked) {
			t.Fatalf("batched lock not held: %v", err)
		}
		release, stale := lock.ReleaseOp(), kv.CompareAndDeleteOp(key("held"), "not-the-value")
		if err := s.Batch(ctx, release, stale); err != nil {
			t.Fatal(err)
		}
		if !release.OK || stale.OK {
			t.Fatalf("release %v, stale compare-and-delete %v", release.OK, stale.OK)
		}
		if _, err := s.Get(ctx, key("lock")); !errors.Is(err, kv.ErrMiss) {
			t.Fatalf("lock still held after batched release: %v", err)
		}
	})

	t.Run("LockExtend", func(t *testing.T) {
		t.Parallel()
		s, key, ctx := newStore(t), newKey(t), t.Context()
		l := mustTryLock(t, s, key("lock"), shortTTL)
		if err := l.Extend(ctx, longTTL); err != nil {
			t.Fatalf("Extend: %v", err)
		}
		time.Sleep(3 * shortTTL)
		if _, err := kv.TryLock(ctx, s, key("lock"), longTTL); !errors.Is(err, kv.ErrLocked) {
			t.Fatalf("TryLock after Extend: err = %v, want ErrLocked", err)
		}
		if err := l.Extend(ctx, 0); err == nil {
			t.Error("Extend with zero ttl: want error")
		}
		if err := l.Release(ctx); err != nil {
			t.Fatalf("Release: %v", err)
		}
		if err := l.Extend(ctx, longTTL); !errors.Is(err, kv.ErrLockLost) {
			t.Errorf("Extend after Release: err = %v, want ErrLockLost", err)
		}
	})

	t.Run("AcquireLockWaits", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		held := mustTryLock(t, s, key("lock"), longTTL)
		released := make(chan error, 1)
		go func() {
			time.Sleep(30 * time.Millisecond)
			released <- held.Release(context.Background())
		}()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		l, err := kv.AcquireLock(ctx, s, key("lock"), longTTL)
		if err != nil {
			t.Fatalf("AcquireLock: %v", err)
		}
		if err := <-released; err != nil {
			t.Fatalf("holder's Release: %v", err)
		}
		wantValue(t, s, key("lock"), l.Token())
	})

	t.Run("AcquireLockCtxDone", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		mustTryLock(t, s, key("lock"), longTTL)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		l, err := kv.AcquireLock(ctx, s, key("lock"), longTTL)
		if !errors.Is(err, context.DeadlineExceeded) || l != nil {
			t.Fatalf("AcquireLock on a held lock = %v, %v; want nil, DeadlineExceeded", l, err)
		}
	})

	t.Run("AcquireLockMutualExclusion", func(t *testing.T) {
		t.Parallel()
		s, key := newStore(t), newKey(t)
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		counter := 0 // deliberately unsynchronised: only the lock protects it
		concurrently(t, 20, func(int) {
			l, err := kv.AcquireLock(ctx, s, key("lock"), longTTL)
			if err != nil {
				t.Errorf("AcquireLock: %v", err)
				return
			}
			n := counter
			runtime.Gosched() // widen the window a broken lock would let another goroutine into
			counter = n + 1
			if err := l.Release(ctx); err != nil {
				t.Errorf("Release: %v", err)
			}
		})
		if counter != 20 {
			t.Fatalf("counter = %d, want 20", counter)
		}
	})
}

// concurrently runs f n times at once, released together so that they contend.
func concurrently(t *testing.T, n int, f func(i int)) {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

func BenchmarkMemorySetGet(b *testing.B) {
	m := kv.NewMemory()
	defer m.Close()
	benchSetGet(b, m)
}

func BenchmarkRedisSetGet(b *testing.B) {
	addrs := redisAddrs(b)
	r, err := kv.NewRedis(kv.RedisOptions{Addrs: addrs})
	if err != nil {
		b.Fatalf("NewRedis: %v", err)
	}
	defer r.Close()
	b.Cleanup(func() { deleteTestKeys(b, addrs) })
	benchSetGet(b, r)
}

// benchSetGet measures a Set followed by a Get from parallel goroutines, the pattern of a dialog
// session saved and read back on each message.
func benchSetGet(b *testing.B, s kv.Store) {
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		key := testPrefix + "bench:" + rand.Text()
		for pb.Next() {
			if err := s.Set(ctx, key, "session-state", time.Minute); err != nil {
				b.Error(err)
				return
			}
			if _, err := s.Get(ctx, key); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
