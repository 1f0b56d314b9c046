package wechat

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
)

// Handler answers one user message. The bot implements it; it sees only
// plain types and may take as long as it needs: the callback answers the
// platform within its budget either way.
type Handler interface {
	Handle(ctx context.Context, in chat.Inbound) (chat.Outbound, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, in chat.Inbound) (chat.Outbound, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
	return f(ctx, in)
}

// LateSender delivers an answer that was not ready within the callback's
// budget (as a customer-service message on the Official Account, or through
// the response_url on WeCom).
type LateSender interface {
	SendLate(ctx context.Context, in chat.Inbound, out chat.Outbound) error
}

// Turn timing. The handler gets longer than the reply budget because a late
// answer is still delivered; the dedupe record outlives every platform
// retry (three within about 15 s) by a wide margin.
const (
	handlerTimeout = 30 * time.Second
	userLockTTL    = handlerTimeout + 5*time.Second
	turnTTL        = time.Hour
	pollInterval   = 15 * time.Millisecond
)

// turns runs each delivery's handler exactly once, one at a time per user,
// and remembers the answer so repeated deliveries get the same one.
type turns struct {
	kv      kv.Store
	handler Handler
	budget  time.Duration
	late    LateSender
	log     *slog.Logger

	mu     sync.Mutex
	queues map[string]*userQueue
}

// userQueue serialises one user's turns inside this process. Goroutines
// blocked sending on a channel are woken first-in first-out, so turns run
// in arrival order; the kv lock then orders them across instances.
type userQueue struct {
	slot chan struct{}
	refs int
}

func newTurns(store kv.Store, h Handler, budget time.Duration, late LateSender, log *slog.Logger) *turns {
	return &turns{kv: store, handler: h, budget: budget, late: late, log: log, queues: map[string]*userQueue{}}
}

// turnState is what the dedupe record holds: pending, or the answer.
type turnState struct {
	Done bool          `json:"d"`
	Out  chat.Outbound `json:"o"`
}

// result hands the handler's answer to the waiting request, or, once the
// request has given up (budget spent), to the late sender.
type result struct {
	mu       sync.Mutex
	out      chat.Outbound
	ready    bool
	repeat   bool
	timedOut bool
	ch       chan struct{}
}

func (r *result) deliver(out chat.Outbound, repeat bool) (late bool) {
	r.mu.Lock()
	r.out, r.ready, r.repeat = out, true, repeat
	late = r.timedOut
	r.mu.Unlock()
	close(r.ch)
	return late
}

// run answers one delivery. answered is false when the budget ran out: the
// caller replies "success" and the answer follows as a late message.
func (t *turns) run(ctx context.Context, in chat.Inbound) (out chat.Outbound, answered bool) {
	out, answered, _ = t.runOnce(ctx, in)
	return out, answered
}

// runOnce is run that also says whether this delivery was a repeat of one
// already handled (or being handled).
func (t *turns) runOnce(ctx context.Context, in chat.Inbound) (out chat.Outbound, answered, repeat bool) {
	deadline := time.Now().Add(t.budget)
	key := turnKey(in)
	res := &result{ch: make(chan struct{})}
	go t.handle(ctx, key, in, res)

	timer := time.NewTimer(t.budget)
	defer timer.Stop()
	select {
	case <-res.ch:
	case <-timer.C:
	case <-ctx.Done():
	}
	res.mu.Lock()
	ready, repeat := res.ready, res.repeat
	if !ready {
		res.timedOut = true
	}
	res.mu.Unlock()
	switch {
	case !ready:
		return chat.Outbound{}, false, false
	case repeat:
		out, answered = t.waitForAnswer(ctx, key, deadline)
		return out, answered, true
	}
	return res.out, true, false
}

func turnKey(in chat.Inbound) string { return "wx:turn:" + string(in.Channel) + ":" + in.MsgKey }

// handle claims the delivery and the user's lock in one round trip, runs
// the handler, then stores the answer and releases the lock in another.
// Every callback pays for these round trips, so they are batched.
func (t *turns) handle(reqCtx context.Context, key string, in chat.Inbound, res *result) {
	// The request may be answered ("success") before the handler finishes;
	// the handler's work must not be cancelled with it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(reqCtx), handlerTimeout)
	defer cancel()
	release := t.enterQueue(in.UserID)
	defer release()

	pending, _ := json.Marshal(turnState{})
	claim := kv.SetNXOp(key, string(pending), turnTTL)
	lockOp, lock := kv.LockOp(t.kv, "wx:user:"+string(in.Channel)+":"+hashID(in.UserID), userLockTTL)
	if err := t.kv.Batch(ctx, claim, lockOp); err != nil || claim.Err != nil {
		// Without the store we cannot dedupe; answering beats dropping a
		// user's message, and the bot's writes are idempotent where it matters.
		t.log.Warn("wechat dedupe unavailable", "err", errText(err, claim.Err))
		claim.OK = true
	}
	if !claim.OK {
		if lockOp.OK {
			lock.Release(ctx)
		}
		res.deliver(chat.Outbound{}, true)
		return
	}
	if !lockOp.OK {
		// Another instance is handling this user's previous message.
		var err error
		if lock, err = kv.AcquireLock(ctx, t.kv, lock.Key(), userLockTTL); err != nil {
			t.log.Warn("wechat user lock unavailable", "user", hashID(in.UserID), "err", err.Error())
			lock = nil
		}
	}

	out := t.answer(ctx, in)

	state, _ := json.Marshal(turnState{Done: true, Out: out})
	ops := []*kv.Op{kv.SetOp(key, string(state), turnTTL)}
	if lock != nil {
		ops = append(ops, lock.ReleaseOp())
	}
	if err := t.kv.Batch(ctx, ops...); err != nil || ops[0].Err != nil {
		t.log.Warn("wechat cache answer failed", "err", errText(err, ops[0].Err))
	}
	if late := res.deliver(out, false); late && !out.Empty() && t.late != nil {
		if err := t.late.SendLate(ctx, in, out); err != nil {
			t.log.Warn("wechat late reply failed", "user", hashID(in.UserID), "err", err.Error())
		}
	}
}

func (t *turns) answer(ctx context.Context, in chat.Inbound) chat.Outbound {
	out, err := t.handler.Handle(ctx, in)
	if err != nil {
		if errs.KindOf(err) == errs.Internal {
			t.log.Error("bot failed", "user", hashID(in.UserID), "kind", string(in.Kind), "err", err.Error())
		}
		return chat.Say(errs.MessageOf(err))
	}
	return out
}

func errText(es ...error) string {
	for _, e := range es {
		if e != nil {
			return e.Error()
		}
	}
	return ""
}

func (t *turns) enterQueue(user string) func() {
	t.mu.Lock()
	q := t.queues[user]
	if q == nil {
		q = &userQueue{slot: make(chan struct{}, 1)}
		t.queues[user] = q
	}
	q.refs++
	t.mu.Unlock()
	q.slot <- struct{}{}
	return func() {
		<-q.slot
		t.mu.Lock()
		if q.refs--; q.refs == 0 {
			delete(t.queues, user)
		}
		t.mu.Unlock()
	}
}

// waitForAnswer serves a repeated delivery: the first one is being handled
// (or was), so wait for its answer within the budget and give the same one.
func (t *turns) waitForAnswer(ctx context.Context, key string, deadline time.Time) (chat.Outbound, bool) {
	for {
		raw, err := t.kv.Get(ctx, key)
		if err == nil && strings.Contains(raw, `"d":true`) {
			var st turnState
			if json.Unmarshal([]byte(raw), &st) == nil {
				return st.Out, true
			}
		}
		if time.Now().After(deadline) {
			return chat.Outbound{}, false
		}
		select {
		case <-ctx.Done():
			return chat.Outbound{}, false
		case <-time.After(pollInterval):
		}
	}
}
