package kv_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/kv"
)

// calls records what an Observed store reports.
type calls struct {
	mu     sync.Mutex
	ops    map[string]int
	failed map[string]int
}

func (c *calls) KVCall(op string, took time.Duration, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if took < 0 {
		op += "(negative time)"
	}
	c.ops[op]++
	if err != nil {
		c.failed[op]++
	}
}

func (c *calls) count(op string) (calls, failed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[op], c.failed[op]
}

// TestObserved runs the contract through Observed (on Redis when
// configured, else on Memory), then checks that each operation is reported
// once, a miss as no error and a failure as one.
func TestObserved(t *testing.T) {
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
	runContract(t, func(t *testing.T) kv.Store {
		return kv.Observed(open(t), &calls{ops: map[string]int{}, failed: map[string]int{}})
	})

	t.Run("Reports", func(t *testing.T) {
		ctx := context.Background()
		obs := &calls{ops: map[string]int{}, failed: map[string]int{}}
		s := kv.Observed(kv.WithPrefix(open(t), testPrefix+"obs:"), obs)
		key := newKey(t)
		if _, err := s.Get(ctx, key("absent")); !errors.Is(err, kv.ErrMiss) {
			t.Fatalf("Get of an absent key = %v, want ErrMiss", err)
		}
		if err := s.Set(ctx, key("k"), "v", time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Incr(ctx, key("k"), time.Minute); err == nil {
			t.Fatal("Incr of a non-integer succeeded")
		}
		lock, err := kv.TryLock(ctx, s, key("lock"), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if err := lock.Release(ctx); err != nil {
			t.Fatal(err)
		}
		bad := kv.SetOp(key("k2"), "v", -time.Second)
		if err := s.Batch(ctx, kv.GetOp(key("k")), bad); err == nil && bad.Err == nil {
			t.Fatal("a batched set with a negative ttl succeeded")
		}
		for _, c := range []struct {
			op            string
			calls, failed int
		}{
			{"get", 1, 0}, {"set", 1, 0}, {"incr", 1, 1}, {"setnx", 1, 0}, {"compare_and_delete", 1, 0}, {"batch", 1, 1},
		} {
			if n, f := obs.count(c.op); n != c.calls || f != c.failed {
				t.Errorf("%s: %d calls, %d failed; want %d, %d", c.op, n, f, c.calls, c.failed)
			}
		}
	})
}

func TestObservedNilIsTheStore(t *testing.T) {
	m := kv.NewMemory()
	defer m.Close()
	if kv.Observed(m, nil) != kv.Store(m) {
		t.Error("Observed with no observer wraps the store")
	}
}
