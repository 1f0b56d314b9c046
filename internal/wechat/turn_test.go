package wechat

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
)

// TestDeadInstance: an instance died while handling a message and left its
// claim on the turn and the user's lock behind, no longer renewed. The
// platform's retry takes the turn over once the lease lapses and gets a
// real answer instead of "success" with nothing to follow.
func TestDeadInstance(t *testing.T) {
	const lease = 150 * time.Millisecond
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			store := newStore(t)
			f := newFixture(t, store, func(o *CallbackOptions) { o.Lease, o.Budget = lease, 4*time.Second })
			ctx := context.Background()
			user, id := fmt.Sprintf("o-dead-%d", nextID()), nextID()
			in := chat.Inbound{Channel: chat.ChannelOA, UserID: user, MsgKey: fmt.Sprintf("m:%d", id)}
			if err := store.Set(ctx, turnKey(in), `{"d":false,"o":{},"w":"dead-instance"}`, lease); err != nil {
				t.Fatal(err)
			}
			if err := store.Set(ctx, userLockKey(in), "dead-instance", lease); err != nil {
				t.Fatal(err)
			}

			reply, err := f.send(t, TextMessage(user, vecAppID, "我的任务", id, time.Now()), ModeSafe)
			if err != nil {
				t.Fatal(err)
			}
			if reply.Success || !strings.Contains(reply.Content, "我的任务") {
				t.Fatalf("the retry got %+v, want the turn's answer", reply)
			}
			if f.bot.count() != 1 {
				t.Fatalf("handler ran %d times", f.bot.count())
			}
			// The user's next message is not held up either.
			next, err := f.send(t, TextMessage(user, vecAppID, "帮助", nextID(), time.Now()), ModeSafe)
			if err != nil || !strings.Contains(next.Content, "帮助") {
				t.Fatalf("next message got %+v %v", next, err)
			}
		})
	}
}

// renewals counts lease renewals and reads of keys with a prefix.
type renewals struct {
	kv.Store
	prefix string
	n      atomic.Int64
	reads  atomic.Int64
}

func (r *renewals) Get(ctx context.Context, key string) (string, error) {
	if strings.HasPrefix(key, r.prefix) {
		r.reads.Add(1)
	}
	return r.Store.Get(ctx, key)
}

func (r *renewals) CompareAndExpire(ctx context.Context, key, expected string, ttl time.Duration) (bool, error) {
	ok, err := r.Store.CompareAndExpire(ctx, key, expected, ttl)
	if ok && strings.HasPrefix(key, r.prefix) {
		r.n.Add(1)
	}
	return ok, err
}

// TestLiveOwnerKeepsItsTurn: a turn that runs longer than its lease keeps
// its claim and its user's lock, both short-lived and renewed, so a retry
// that reaches another instance waits for its answer instead of running the
// turn a second time.
func TestLiveOwnerKeepsItsTurn(t *testing.T) {
	const lease = 600 * time.Millisecond
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			store := &renewals{Store: newStore(t), prefix: "wx:turn:"}
			started, finish := make(chan struct{}), make(chan struct{})
			var calls atomic.Int64
			o := CallbackOptions{
				AppID: vecAppID, Token: vecToken, AESKey: vecAESKey, KV: store,
				ReplayWindow: 5 * time.Minute, Budget: 10 * time.Second, Lease: lease,
				Handler: HandlerFunc(func(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
					if calls.Add(1) == 1 {
						close(started)
					}
					<-finish
					return chat.Say("答复 " + in.Text), nil
				}),
			}
			// Two instances behind one load balancer.
			first, second := httptest.NewServer(NewCallback(o)), httptest.NewServer(NewCallback(o))
			t.Cleanup(first.Close)
			t.Cleanup(second.Close)
			// A failed check must not leave the handler blocked (the
			// servers' Close waits for it); cleanups run last-in first-out.
			release := sync.OnceFunc(func() { close(finish) })
			t.Cleanup(release)
			p := Platform{AppID: vecAppID, Token: vecToken, AESKey: vecAESKey}
			ctx := context.Background()
			user, id := fmt.Sprintf("o-live-%d", nextID()), nextID()
			m := TextMessage(user, vecAppID, "上报督导", id, time.Now())
			in := chat.Inbound{Channel: chat.ChannelOA, UserID: user, MsgKey: fmt.Sprintf("m:%d", id)}

			replies := make(chan *Reply, 2)
			deliver := func(srv *httptest.Server) {
				req, err := p.Request(srv.URL+"/wechat/oa", m, ModeSafe)
				if err != nil {
					t.Error(err)
					replies <- nil
					return
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					replies <- nil
					return
				}
				r, err := p.DecodeReply(resp, ModeSafe)
				if err != nil {
					t.Error(err)
				}
				replies <- r
			}
			go deliver(first)
			<-started
			for _, key := range []string{turnKey(in), userLockKey(in)} {
				if ttl, err := store.TTL(ctx, key); err != nil || ttl <= 0 || ttl > lease {
					t.Fatalf("%s: ttl %s (%v), want a lease of at most %s", key, ttl, err, lease)
				}
			}
			// Renewed every third of the lease: after three renewals more
			// than a whole lease has passed since the claim.
			waitFor(t, "three renewals of the claim", func() bool { return store.n.Load() >= 3 })
			if raw, err := store.Get(ctx, turnKey(in)); err != nil || !strings.Contains(raw, `"d":false`) {
				t.Fatalf("claim after a lease of work: %q %v", raw, err)
			}
			reads := store.reads.Load()
			go deliver(second)
			// The retry found the claim held and is waiting on it.
			waitFor(t, "the retry to wait on the claim", func() bool { return store.reads.Load() > reads })
			release()
			a, b := <-replies, <-replies
			if calls.Load() != 1 {
				t.Fatalf("handler ran %d times", calls.Load())
			}
			if a == nil || b == nil || a.Content != "答复 上报督导" || b.Content != a.Content {
				t.Fatalf("replies %+v and %+v", a, b)
			}
		})
	}
}

// waitFor waits for cond, failing the test only when it has not come true
// after a long while (a guard against hanging, not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDrain: shutdown waits for a turn still running past the reply budget
// and its late reply; when its time is up it says how many it dropped.
func TestDrain(t *testing.T) {
	p := Platform{AppID: vecAppID, Token: vecToken, AESKey: vecAESKey}
	// slowTurn serves a callback whose handler waits for gate, answers one
	// message over budget ("success"), and stops taking requests.
	slowTurn := func(t *testing.T, gate chan struct{}, late *lateRecorder) *Callback {
		t.Helper()
		started := make(chan struct{})
		cb := NewCallback(CallbackOptions{
			AppID: vecAppID, Token: vecToken, AESKey: vecAESKey, KV: kv.NewMemory(),
			Budget: 50 * time.Millisecond, Late: late,
			Handler: HandlerFunc(func(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
				close(started)
				select {
				case <-gate:
					return chat.Say("答复 " + in.Text), nil
				case <-ctx.Done():
					return chat.Outbound{}, ctx.Err()
				}
			}),
		})
		srv := httptest.NewServer(cb)
		req, _ := p.Request(srv.URL, TextMessage(fmt.Sprintf("o-drain-%d", nextID()), vecAppID, "慢", nextID(), time.Now()), ModeSafe)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := p.DecodeReply(resp, ModeSafe); err != nil || !r.Success {
			t.Fatalf("over budget: %+v %v, want success", r, err)
		}
		<-started
		srv.Close() // what is left is the turn
		return cb
	}

	t.Run("WaitsAndDelivers", func(t *testing.T) {
		gate, late := make(chan struct{}), &lateRecorder{ch: make(chan struct{}, 1)}
		cb := slowTurn(t, gate, late)
		drained := make(chan error, 1)
		go func() { drained <- cb.Drain(context.Background()) }()
		select {
		case err := <-drained:
			t.Fatalf("Drain returned (%v) while a turn was running", err)
		default:
		}
		close(gate)
		if err := <-drained; err != nil {
			t.Fatal(err)
		}
		late.mu.Lock()
		defer late.mu.Unlock()
		if len(late.got) != 1 || late.got[0].Text != "答复 慢" {
			t.Fatalf("late replies when Drain returned: %+v", late.got)
		}
	})
	t.Run("Bounded", func(t *testing.T) {
		late := &lateRecorder{ch: make(chan struct{}, 1)}
		cb := slowTurn(t, make(chan struct{}), late) // never let through
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the shutdown timeout is spent
		if err := cb.Drain(ctx); err == nil || !strings.Contains(err.Error(), "dropped 1 ") {
			t.Fatalf("Drain past its deadline = %v, want 1 turn dropped", err)
		}
		// The dropped turn is cancelled and sends no reply made of its error.
		if err := cb.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		late.mu.Lock()
		defer late.mu.Unlock()
		if len(late.got) != 0 {
			t.Fatalf("a dropped turn sent %+v", late.got)
		}
	})
}
