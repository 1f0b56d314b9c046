package wechat

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
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

// LateSender delivers an answer that was not ready within the callback's
// budget (as a customer-service message on the Official Account, or through
// the response_url on WeCom).
type LateSender interface {
	SendLate(ctx context.Context, in chat.Inbound, out chat.Outbound) error
}

// Turn timing. The handler gets longer than the reply budget because a late
// answer is still delivered; the answer outlives every platform retry
// (three within about 15 s) by a wide margin. A claim on a turn and a
// user's lock are leases instead: renewed while the handler runs, they
// lapse within DefaultLease of their owner dying, and a retry then runs
// the turn itself (the dialog's idempotency keys make a second run safe).
const (
	handlerTimeout = 30 * time.Second
	// DefaultLease is how long a claim or lock outlives its owner's last
	// renewal; owners renew every third of it.
	DefaultLease    = 5 * time.Second
	turnTTL         = time.Hour
	pollInterval    = 15 * time.Millisecond
	maxPollInterval = 100 * time.Millisecond
)

// turns runs each delivery's handler exactly once, one at a time per user,
// and remembers the answer so repeated deliveries get the same one.
type turns struct {
	kv      kv.Store
	handler Handler
	budget  time.Duration
	lease   time.Duration
	late    LateSender
	log     *slog.Logger
	// obs hears outcomes and refusals (nil: nobody listens).
	obs Observer
	// reads names kv keys of the user's (in the user's hash slot, see
	// chat.UserTag) that the turn's first call reads for the handler, which
	// finds them with kv.ReadAhead; nil reads none.
	reads func(chat.Inbound) []string

	mu     sync.Mutex
	queues map[string]*userQueue

	// running counts turns not finished yet (late replies included), so
	// shutdown can wait for them; draining tells deliveries waiting on
	// another's turn to stop; abort cancels what is left when shutdown
	// gives up.
	running   inflight
	draining  chan struct{}
	drainOnce sync.Once
	abort     context.Context
	abortAll  context.CancelFunc
}

// userQueue serialises one user's turns inside this process. Goroutines
// blocked sending on a channel are woken first-in first-out, so turns run
// in arrival order; the kv lock then orders them across instances.
type userQueue struct {
	slot chan struct{}
	refs int
}

func newTurns(store kv.Store, h Handler, budget, lease time.Duration, late LateSender, log *slog.Logger) *turns {
	if lease <= 0 {
		lease = DefaultLease
	}
	abort, abortAll := context.WithCancel(context.Background())
	return &turns{kv: store, handler: h, budget: budget, lease: lease, late: late, log: log, queues: map[string]*userQueue{},
		draining: make(chan struct{}), abort: abort, abortAll: abortAll}
}

// drain waits until every turn has finished and sent its late reply, or
// until ctx ends: then the turns still running are cancelled and the error
// says how many. Deliveries only waiting for another delivery's answer
// stop at once; that one answers.
func (t *turns) drain(ctx context.Context) error {
	t.drainOnce.Do(func() { close(t.draining) })
	if n := t.running.count(); n > 0 {
		t.log.Info("shutdown: waiting for running turns", "turns", n)
	}
	if n := t.running.wait(ctx); n > 0 {
		t.abortAll()
		return fmt.Errorf("dropped %d running turns", n)
	}
	return nil
}

func (t *turns) isDraining() bool {
	select {
	case <-t.draining:
		return true
	default:
		return false
	}
}

// inflight counts running work and lets a caller wait for none.
type inflight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed while n == 0
}

func (f *inflight) add() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
}

func (f *inflight) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n--; f.n == 0 {
		close(f.idle)
	}
}

func (f *inflight) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// wait returns 0 once nothing runs, or how many still run when ctx ends.
func (f *inflight) wait(ctx context.Context) int {
	for {
		f.mu.Lock()
		n, idle := f.n, f.idle
		f.mu.Unlock()
		if n == 0 {
			return 0
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return f.count()
		}
	}
}

// turnState is what the dedupe record holds: pending (with the owner whose
// lease the record's expiry is), or the answer.
type turnState struct {
	Done  bool          `json:"d"`
	Out   chat.Outbound `json:"o"`
	Owner string        `json:"w,omitempty"`
}

// result hands the handler's answer to the waiting request, or, once the
// request has given up (budget spent), to the late sender.
type result struct {
	mu       sync.Mutex
	out      chat.Outbound
	ready    bool
	repeat   bool
	refused  bool
	timedOut bool
	ch       chan struct{}
}

// refuse ends a delivery whose nonce was spent on another body.
func (r *result) refuse() {
	r.mu.Lock()
	r.ready, r.refused = true, true
	r.mu.Unlock()
	close(r.ch)
}

// replayGuard is a delivery's (timestamp, nonce) record: the turn's first
// call stores digest under key unless the key holds another body's digest,
// which refuses the delivery (see Callback.checkReplay).
type replayGuard struct {
	key    string
	digest string
	ttl    time.Duration
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
// refused is true when guard found the delivery's nonce spent on another
// body: nothing ran, and the caller refuses the request.
func (t *turns) run(ctx context.Context, in chat.Inbound, guard *replayGuard) (out chat.Outbound, answered, refused bool) {
	out, answered, _, refused = t.runOnce(ctx, in, guard)
	return out, answered, refused
}

// runOnce is run that also says whether this delivery was a repeat of one
// handled (or being handled) by another delivery.
func (t *turns) runOnce(ctx context.Context, in chat.Inbound, guard *replayGuard) (out chat.Outbound, answered, repeat, refused bool) {
	res := &result{ch: make(chan struct{})}
	t.running.add()
	go t.handle(ctx, turnKey(in), in, guard, res)

	timer := time.NewTimer(t.budget)
	defer timer.Stop()
	select {
	case <-res.ch:
	case <-timer.C:
	case <-ctx.Done():
	}
	res.mu.Lock()
	defer res.mu.Unlock()
	if !res.ready {
		res.timedOut = true
		t.observeTurn(in, false, false)
		return chat.Outbound{}, false, false, false
	}
	if res.refused {
		return chat.Outbound{}, false, false, true
	}
	t.observeTurn(in, true, res.repeat)
	return res.out, true, res.repeat, false
}

// A turn's claim and its user's lock (and the keys t.reads names) carry the
// user's hash tag, so the turn's first call is one script on one Redis
// Cluster slot. The dedupe record is per user: a delivery's retries come
// from the same user, and a body naming another user with the same MsgId
// is a different message either way.
func turnKey(in chat.Inbound) string {
	return "wx:turn:" + string(in.Channel) + ":" + chat.UserTag(in.UserID) + ":" + in.MsgKey
}

func userLockKey(in chat.Inbound) string {
	return "wx:user:" + string(in.Channel) + ":" + chat.UserTag(in.UserID)
}

// handle runs the turn when this delivery claims it. Otherwise another
// delivery owns it: wait for its answer, and when its lease lapses first
// (its instance died), claim the turn and run it here.
func (t *turns) handle(reqCtx context.Context, key string, in chat.Inbound, guard *replayGuard, res *result) {
	defer t.running.done()
	// The request may be answered ("success") before the handler finishes;
	// the handler's work must not be cancelled with it, only by shutdown
	// giving up on it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(reqCtx), handlerTimeout)
	defer cancel()
	defer context.AfterFunc(t.abort, cancel)()
	for {
		out, owned, seen := t.own(ctx, key, in, guard)
		// The nonce is checked once per delivery, not again on a takeover.
		guard = nil
		if seen == refusedTurn {
			res.refuse()
			return
		}
		if owned {
			if late := res.deliver(out, false); late && !out.Empty() && t.late != nil {
				if err := t.late.SendLate(ctx, in, out); err != nil {
					t.lateFailed(in)
					t.log.WarnContext(ctx, "wechat late reply failed", "user", hashID(in.UserID), "err", err.Error())
				}
			}
			return
		}
		out, done := t.awaitOwner(ctx, key, seen)
		if done || ctx.Err() != nil || t.isDraining() {
			res.deliver(out, true)
			return
		}
		t.log.InfoContext(ctx, "wechat turn taken over after its owner's lease lapsed", "user", hashID(in.UserID))
	}
}

// refusedTurn is own's seen when the replay guard refused the delivery.
const refusedTurn = "\x00refused"

// own starts the turn in one round trip: the delivery's nonce record, the
// claim on the turn, the user's lock and the keys t.reads names (one script
// on the user's slot, with the nonce beside it in the same pipeline). It
// runs the handler while renewing claim and lock, then stores the answer
// and releases the lock in one more (one script). Every callback pays for
// these round trips, so there are no others. owned is false when another
// delivery holds the claim; seen is then what the claim held.
func (t *turns) own(ctx context.Context, key string, in chat.Inbound, guard *replayGuard) (out chat.Outbound, owned bool, seen string) {
	release := t.enterQueue(in.UserID)
	defer release()

	pending, _ := json.Marshal(turnState{Owner: cryptorand.Text()})
	var reads []string
	if t.reads != nil {
		reads = t.reads(in)
	}
	claim, lock := kv.ClaimLockOp(t.kv, key, string(pending), t.lease, userLockKey(in), reads...)
	ops := []*kv.Op{claim}
	var nonce *kv.Op
	if guard != nil {
		nonce = kv.SetNXOrGetOp(guard.key, guard.digest, guard.ttl)
		ops = append(ops, nonce)
	}
	err := t.kv.Batch(ctx, ops...)
	if nonce != nil && err == nil && nonce.Err == nil && !nonce.OK && nonce.Value != guard.digest {
		// A captured URL carrying a body of someone else's making. The
		// claim and lock went in the same call; give them back (one more
		// round trip, only for refused deliveries).
		if claim.Err == nil && claim.OK {
			undo := []*kv.Op{kv.CompareAndDeleteOp(key, string(pending))}
			if claim.Locked {
				undo = append(undo, lock.ReleaseOp())
			}
			if err := t.kv.Batch(ctx, undo...); err != nil {
				t.log.WarnContext(ctx, "wechat refused turn not given back; it lapses within a lease", "err", err.Error())
			}
		}
		return chat.Outbound{}, false, refusedTurn
	}
	if err != nil || claim.Err != nil {
		// Without the store we cannot dedupe; answering beats dropping a
		// user's message, and the bot's writes are idempotent where it matters.
		t.log.WarnContext(ctx, "wechat dedupe unavailable", "err", errText(err, claim.Err))
		claim.OK, claim.Locked = true, false
	} else if claim.Locked {
		// Read under the lock: whatever the user's previous turn changed
		// is in. Read before it (below), they would be stale.
		ctx = kv.WithReads(ctx, claim.Reads)
	}
	if !claim.OK {
		return chat.Outbound{}, false, claim.Value
	}
	// Renew the claim from now on: waiting for the user's lock below may
	// take as long as another instance's turn.
	keep := t.keepAlive(key, string(pending))
	defer keep.stop()
	if !claim.Locked {
		// Another instance is handling this user's previous message (or
		// died doing so: its lock lapses within a lease).
		if lock, err = kv.AcquireLock(ctx, t.kv, lock.Key(), t.lease); err != nil {
			t.log.WarnContext(ctx, "wechat user lock unavailable", "user", hashID(in.UserID), "err", err.Error())
			lock = nil
		} else {
			ctx = t.readAgain(ctx, reads)
		}
	}
	keep.hold(lock)

	out = t.answer(ctx, in)
	keep.stop()
	if t.abort.Err() != nil {
		// Shutdown gave up on this turn: whatever the handler made of its
		// cancelled context is no answer. The claim and the lock lapse
		// within a lease and a retry runs the turn on another instance.
		return chat.Outbound{}, true, ""
	}

	state, _ := json.Marshal(turnState{Done: true, Out: out})
	end := kv.SetOp(key, string(state), turnTTL)
	if lock != nil {
		end = lock.SetAndReleaseOp(key, string(state), turnTTL)
	}
	if err := t.kv.Batch(ctx, end); err != nil || end.Err != nil {
		t.log.WarnContext(ctx, "wechat cache answer failed", "err", errText(err, end.Err))
	}
	return out, true, ""
}

// readAgain reads the read-ahead keys once the user's lock is finally
// held (one more round trip, only when the user's turns contend); on
// failure the handler reads them itself.
func (t *turns) readAgain(ctx context.Context, keys []string) context.Context {
	if len(keys) == 0 {
		return ctx
	}
	ops := make([]*kv.Op, len(keys))
	for i, k := range keys {
		ops[i] = kv.GetOp(k)
	}
	if err := t.kv.Batch(ctx, ops...); err != nil {
		return ctx
	}
	reads := make([]kv.Read, 0, len(ops))
	for i, o := range ops {
		if o.Err != nil {
			return ctx
		}
		reads = append(reads, kv.Read{Key: keys[i], Value: o.Value, Miss: o.Miss})
	}
	return kv.WithReads(ctx, reads)
}

// awaitOwner waits for the answer of the delivery that owns the turn,
// starting from seen, what the claim held when this delivery tried it (a
// retry of an answered message needs no second call). done is false when
// the claim vanished unanswered (its lease lapsed) or ctx ended.
func (t *turns) awaitOwner(ctx context.Context, key, seen string) (out chat.Outbound, done bool) {
	wait := pollInterval
	raw, err := seen, error(nil)
	if seen == "" {
		raw, err = t.kv.Get(ctx, key)
	}
	for {
		switch {
		case err == nil && strings.Contains(raw, `"d":true`):
			var st turnState
			if json.Unmarshal([]byte(raw), &st) == nil {
				return st.Out, true
			}
		case errors.Is(err, kv.ErrMiss):
			return chat.Outbound{}, false
		}
		select {
		case <-ctx.Done():
			return chat.Outbound{}, false
		case <-t.draining:
			return chat.Outbound{}, false
		case <-time.After(wait):
		}
		wait = min(2*wait, maxPollInterval)
		raw, err = t.kv.Get(ctx, key)
	}
}

// keeper renews a turn's claim and its user's lock every third of the
// lease until stopped, so both lapse only when their owner stops renewing
// them: when its instance dies.
type keeper struct {
	t        *turns
	key      string
	claim    string
	mu       sync.Mutex
	lock     *kv.Lock
	stopOnce sync.Once
	quit     chan struct{}
	done     chan struct{}
}

func (t *turns) keepAlive(key, claim string) *keeper {
	k := &keeper{t: t, key: key, claim: claim, quit: make(chan struct{}), done: make(chan struct{})}
	go k.run()
	return k
}

// hold adds the user's lock (nil when none could be taken).
func (k *keeper) hold(l *kv.Lock) {
	k.mu.Lock()
	k.lock = l
	k.mu.Unlock()
}

// stop ends the renewals and waits for one in flight; safe to call twice.
func (k *keeper) stop() {
	k.stopOnce.Do(func() { close(k.quit) })
	<-k.done
}

func (k *keeper) run() {
	defer close(k.done)
	tick := time.NewTicker(k.t.lease / 3)
	defer tick.Stop()
	lost := false
	for {
		select {
		case <-k.quit:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), k.t.lease/3)
		ok, err := k.t.kv.CompareAndExpire(ctx, k.key, k.claim, k.t.lease)
		k.mu.Lock()
		lock := k.lock
		k.mu.Unlock()
		if lock != nil {
			if lerr := lock.Extend(ctx, k.t.lease); lerr != nil && err == nil {
				err = lerr
			}
		}
		cancel()
		if (err != nil || !ok) && !lost {
			// Another delivery may now take the turn over; the answer both
			// give is the same, so the work goes on.
			lost = true
			reason := "claim lapsed or taken over"
			if err != nil {
				reason = err.Error()
			}
			k.t.log.Warn("wechat turn lease not renewed", "reason", reason)
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
