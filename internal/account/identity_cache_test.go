package account_test

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
)

// calls counts a store's calls by operation.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *calls) KVCall(op string, _ time.Duration, _ error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[op]++
}

func (c *calls) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

// turn does what the callback does before its handler runs: one call that
// claims the turn, takes the user's lock and reads the service's keys
// (kv.ClaimOp), and returns the context the handler would get. It fails
// the test if the keys are not in the user's hash slot. The lock is given
// back through raw, so that only the turn's own call is seen on store.
func turn(t *testing.T, store, raw kv.Store, svc *account.Service, u string) context.Context {
	t.Helper()
	in := chat.Inbound{Channel: chat.ChannelOA, UserID: u}
	tag := chat.UserTag(u)
	op, lock := kv.ClaimLockOp(raw, "accounttest:turn:"+tag+":"+rand.Text(), "p", time.Minute, "accounttest:user:"+tag, svc.TurnReads(in)...)
	if err := store.Batch(context.Background(), op); err != nil || op.Err != nil || !op.OK {
		t.Fatalf("turn's first call: %v %+v", err, op)
	}
	if op.Locked {
		if err := lock.Release(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return kv.WithReads(context.Background(), op.Reads)
}

// TestIdentityCacheAcrossInstances: two instances (services) share one
// database and one kv store. Each answers a chat turn's "who is this" from
// its own memory, with no kv call, and a bind, unbind or unsubscribe on
// one is seen by the other's next turn.
func TestIdentityCacheAcrossInstances(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		seenA := &calls{n: map[string]int{}}
		prefix := account.WithKeyPrefix("accounttest:" + rand.Text() + ":")
		storeA := kv.Observed(e.store, seenA)
		a := account.NewService(e.d, storeA, e.reg, e.clk, secret, prefix)
		b := account.NewService(e.d, e.store, e.reg, e.clk, secret, prefix)
		u := user()
		who := func(ctx context.Context) []account.Identity {
			t.Helper()
			ids, err := a.Identities(ctx, chat.ChannelOA, u)
			if err != nil {
				t.Fatal(err)
			}
			return ids
		}

		if ids := who(turn(t, storeA, e.store, a, u)); len(ids) != 0 {
			t.Fatalf("stranger: %+v", ids)
		}
		seenA.take()
		if ids := who(turn(t, storeA, e.store, a, u)); len(ids) != 0 {
			t.Fatalf("stranger again: %+v", ids)
		}
		if got := seenA.take(); got["get"] != 0 || got["batch"] != 1 || len(got) != 1 {
			t.Fatalf("a repeated turn called the store %v; want only the turn's own call", got)
		}

		code, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
		if _, err := b.Bind(context.Background(), chat.ChannelOA, u, code); err != nil {
			t.Fatal(err)
		}
		if ids := who(turn(t, storeA, e.store, a, u)); len(ids) != 1 || ids[0].SubjectID != e.cadre.ID {
			t.Fatalf("after a bind on the other instance: %+v", ids)
		}

		// Touch: the first message writes, the next within the minute
		// finds the write in the identities it already holds.
		ctx := turn(t, storeA, e.store, a, u)
		who(ctx)
		at := start.Add(time.Hour)
		if err := a.Touch(ctx, chat.ChannelOA, u, at); err != nil {
			t.Fatal(err)
		}
		ctx = turn(t, storeA, e.store, a, u)
		if ids := who(ctx); len(ids) != 1 || ids[0].LastMessageAt == nil || !ids[0].LastMessageAt.Equal(at) {
			t.Fatalf("after touch: %+v", ids)
		}
		seenA.take()
		if err := a.Touch(ctx, chat.ChannelOA, u, at.Add(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		if got := seenA.take(); len(got) != 0 {
			t.Fatalf("a touch within the minute called the store %v", got)
		}

		if err := b.MarkUnreachable(context.Background(), chat.ChannelOA, u); err != nil {
			t.Fatal(err)
		}
		if ids := who(turn(t, storeA, e.store, a, u)); len(ids) != 1 || ids[0].Reachable {
			t.Fatalf("after unsubscribe on the other instance: %+v", ids)
		}

		if _, err := b.Unbind(context.Background(), chat.ChannelOA, u); err != nil {
			t.Fatal(err)
		}
		if ids := who(turn(t, storeA, e.store, a, u)); len(ids) != 0 {
			t.Fatalf("after an unbind on the other instance: %+v", ids)
		}

		// A change on this instance is seen within the same turn too.
		ctx = turn(t, storeA, e.store, a, u)
		who(ctx)
		again, _ := e.issue(t, account.RoleCadre, e.cadre.ID)
		if _, err := a.Bind(ctx, chat.ChannelOA, u, again); err != nil {
			t.Fatal(err)
		}
		if ids := who(ctx); len(ids) != 1 {
			t.Fatalf("own bind within the turn: %+v", ids)
		}
	})
}
