package wechat

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
)

// kvCalls counts a store's calls by operation.
type kvCalls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *kvCalls) KVCall(op string, _ time.Duration, _ error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[op]++
}

func (c *kvCalls) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

// readingBot answers with what the turn's first call read ahead for it.
type readingBot struct{ key func(chat.Inbound) string }

func (b readingBot) Handle(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
	r, ok := kv.ReadAhead(ctx, b.key(in))
	if !ok {
		return chat.Say("没有预读"), nil
	}
	if r.Miss {
		return chat.Say("预读：无"), nil
	}
	return chat.Say("预读：" + r.Value), nil
}

// TestOneRoundTripEachSide: a turn whose handler makes no call of its own
// costs the store one call before the handler (nonce, claim, user lock and
// the keys read ahead for the handler) and one after (answer and release),
// in either mode; a retry of an answered message costs one.
func TestOneRoundTripEachSide(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			calls := &kvCalls{n: map[string]int{}}
			store := kv.Observed(newStore(t), calls)
			version := func(in chat.Inbound) string { return "test:idv:" + chat.UserTag(in.UserID) }
			f := newFixture(t, store, func(o *CallbackOptions) {
				o.Handler = readingBot{key: version}
				o.TurnReads = func(in chat.Inbound) []string { return []string{version(in)} }
				// No lease renewal can fall inside these turns.
				o.Lease = time.Minute
			})
			user := "o-rt-" + strconv.FormatInt(nextID(), 36)
			if err := store.Set(t.Context(), version(chat.Inbound{UserID: user}), "v1", time.Minute); err != nil {
				t.Fatal(err)
			}
			calls.take()
			for _, mode := range []Mode{ModePlain, ModeSafe} {
				m := TextMessage(user, vecAppID, "帮助", nextID(), time.Now())
				req, err := f.platform.Request(f.urlFor(mode), m, mode)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(req.Body)
				req.Body = io.NopCloser(strings.NewReader(string(body)))
				reply := do(t, f, req, mode)
				if reply != "预读：v1" {
					t.Fatalf("%v: reply %q, want what was read ahead", mode, reply)
				}
				if got := calls.take(); len(got) != 1 || got["batch"] != 2 {
					t.Fatalf("%v: store calls %v, want 2 batches", mode, got)
				}
				// The platform's retry of the same delivery: one call, which
				// finds the answer.
				retry, _ := http.NewRequest(http.MethodPost, req.URL.String(), strings.NewReader(string(body)))
				if reply := do(t, f, retry, mode); reply != "预读：v1" {
					t.Fatalf("%v: retry answered %q", mode, reply)
				}
				if got := calls.take(); len(got) != 1 || got["batch"] != 1 {
					t.Fatalf("%v: retry's store calls %v, want 1 batch", mode, got)
				}
			}
		})
	}
}

func do(t *testing.T, f *fixture, req *http.Request, mode Mode) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.platform.DecodeReply(resp, mode)
	if err != nil {
		t.Fatalf("%v: %v", mode, err)
	}
	return r.Content
}

// TestForgedBodyNamingAnotherUser: a captured plaintext URL replayed with a
// body naming someone else is refused although that user's keys live in
// another hash slot than the nonce's, and the claim and lock its turn took
// in the same call are given back.
func TestForgedBodyNamingAnotherUser(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			store := newStore(t)
			f := newFixture(t, store, nil)
			orig, _ := f.platform.Request(f.plainURL, TextMessage("o-captured", vecAppID, "真的", nextID(), time.Now()), ModePlain)
			if s := status(t, orig); s != http.StatusOK {
				t.Fatalf("original = %d", s)
			}
			victim := "o-victim-" + strconv.FormatInt(nextID(), 36)
			msgID := nextID()
			forgedBody := "<xml><ToUserName><![CDATA[x]]></ToUserName><FromUserName><![CDATA[" + victim +
				"]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[解绑]]></Content><MsgId>" +
				strconv.FormatInt(msgID, 10) + "</MsgId></xml>"
			forged, _ := http.NewRequest(http.MethodPost, orig.URL.String(), strings.NewReader(forgedBody))
			if s := status(t, forged); s != http.StatusUnauthorized {
				t.Fatalf("forged body naming another user = %d, want 401", s)
			}
			if n := f.bot.count(); n != 1 {
				t.Fatalf("bot ran %d times, want once (the original)", n)
			}
			in := chat.Inbound{Channel: chat.ChannelOA, UserID: victim, MsgKey: "m:" + strconv.FormatInt(msgID, 10)}
			for _, key := range []string{turnKey(in), userLockKey(in)} {
				if _, err := store.Get(t.Context(), key); !errors.Is(err, kv.ErrMiss) {
					t.Fatalf("%s left behind by the refused delivery: %v", key, err)
				}
			}
		})
	}
}

// TestReadAheadUnderTheLock: when the user's lock is held elsewhere (their
// previous turn, perhaps a bind, on another instance), what the first call
// read is stale by the time the lock is free; the handler gets the keys as
// they are once the lock is held.
func TestReadAheadUnderTheLock(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			store := newStore(t)
			version := func(in chat.Inbound) string { return "test:idv:" + chat.UserTag(in.UserID) }
			f := newFixture(t, store, func(o *CallbackOptions) {
				o.Handler = readingBot{key: version}
				o.TurnReads = func(in chat.Inbound) []string { return []string{version(in)} }
				o.Budget = 30 * time.Second
			})
			ctx := t.Context()
			user := "o-rl-" + strconv.FormatInt(nextID(), 36)
			m := TextMessage(user, vecAppID, "我是谁", nextID(), time.Now())
			in := chat.Inbound{Channel: chat.ChannelOA, UserID: user, MsgKey: "m:" + strconv.FormatInt(m.MsgID, 10)}
			if err := store.Set(ctx, version(in), "before", time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := store.Set(ctx, userLockKey(in), "previous-turn", time.Minute); err != nil {
				t.Fatal(err)
			}
			req, err := f.platform.Request(f.plainURL, m, ModePlain)
			if err != nil {
				t.Fatal(err)
			}
			got := make(chan string, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					got <- err.Error()
					return
				}
				r, err := f.platform.DecodeReply(resp, ModePlain)
				if err != nil {
					got <- err.Error()
					return
				}
				got <- r.Content
			}()
			// The turn has made its first call once its claim is there.
			for {
				if _, err := store.Get(ctx, turnKey(in)); err == nil {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			// The previous turn changes the user's version, then ends.
			if err := store.Set(ctx, version(in), "after", time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := store.Delete(ctx, userLockKey(in)); err != nil {
				t.Fatal(err)
			}
			if reply := <-got; reply != "预读：after" {
				t.Fatalf("handler read %q, want the version as of when it held the lock", reply)
			}
		})
	}
}
