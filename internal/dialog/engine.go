package dialog

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
)

// Defaults for Options.
const (
	defaultSessionTTL = 30 * time.Minute
	defaultDraftTTL   = 7 * 24 * time.Hour
	defaultKeyPrefix  = "dlg:"
	// endedTTL is how long a finished conversation is remembered, only so
	// that a redelivery of its last message gets the same reply.
	endedTTL = 10 * time.Minute
)

// Options configure an Engine.
type Options struct {
	// KV holds the live sessions. Required.
	KV kv.Store
	// Drafts keeps the durable copy of every session; nil keeps sessions in
	// kv only (an expired session is then gone).
	Drafts DraftStore
	// SessionTTL is how long a session lives without a message (default 30m).
	SessionTTL time.Duration
	// DraftTTL is how long a draft can be resumed (default 7 days).
	DraftTTL time.Duration
	// Clock tells the time (default the real clock).
	Clock clock.Clock
	// Interrupt answers commands typed mid-flow; nil means none.
	Interrupt Interrupt
	// KeyPrefix namespaces the kv keys (default "dlg:").
	KeyPrefix string
	// Command tells the commands that start a flow (上报督导, 整改跟踪,
	// 上报 和达 现场 合格…) and which flow; nil means none. Typed in the
	// middle of a flow, such a command is not taken as an answer: the same
	// flow's asks 继续 or 重新开始, another flow's asks whether to switch
	// (the conversation is then put aside, never lost).
	Command func(text string) (flow string, ok bool)
}

// Engine runs flows. It holds no per-user state, so one Engine serves every
// user and every instance of the service.
type Engine struct {
	kv         kv.Store
	drafts     DraftStore
	sessionTTL time.Duration
	draftTTL   time.Duration
	clock      clock.Clock
	interrupt  Interrupt
	command    func(string) (string, bool)
	prefix     string
	flows      map[string]*Flow
}

// New returns an engine running flows. It panics on a missing KV or an
// invalid or duplicate flow, which are programming errors.
func New(o Options, flows ...*Flow) *Engine {
	if o.KV == nil {
		panic("dialog: Options.KV is required")
	}
	e := &Engine{
		kv:         o.KV,
		drafts:     o.Drafts,
		sessionTTL: o.SessionTTL,
		draftTTL:   o.DraftTTL,
		clock:      o.Clock,
		interrupt:  o.Interrupt,
		command:    o.Command,
		prefix:     o.KeyPrefix,
		flows:      make(map[string]*Flow, len(flows)),
	}
	if e.sessionTTL <= 0 {
		e.sessionTTL = defaultSessionTTL
	}
	if e.draftTTL <= 0 {
		e.draftTTL = defaultDraftTTL
	}
	if e.clock == nil {
		e.clock = clock.Real{}
	}
	if e.prefix == "" {
		e.prefix = defaultKeyPrefix
	}
	for _, f := range flows {
		switch {
		case f == nil || f.Name == "" || len(f.Name) > 32:
			panic("dialog: a flow needs a name of 1 to 32 bytes")
		case f.Steps == nil || f.Submit == nil:
			panic(fmt.Sprintf("dialog: flow %q needs Steps and Submit", f.Name))
		case e.flows[f.Name] != nil:
			panic(fmt.Sprintf("dialog: flow %q registered twice", f.Name))
		}
		e.flows[f.Name] = f
	}
	return e
}

func (e *Engine) key(user string) string { return e.prefix + "s:" + user }

// Start begins flow for user and returns its first question. It replaces
// whatever session or draft the user had: callers that care ask Active first.
// State, when not nil, is the flow's typed state pre-filled (e.g. the
// business chosen by a QR scan): a pointer to the struct StateOf reads.
func (e *Engine) Start(ctx context.Context, user, flow string, state any) (Reply, error) {
	return e.StartFrom(ctx, user, flow, state, Input{})
}

// StartFrom is Start for a flow started by an input (the message "上报督导"):
// the input's ID is recorded, so a redelivery of that message gets the first
// question again instead of being taken as its answer.
func (e *Engine) StartFrom(ctx context.Context, user, flow string, state any, in Input) (Reply, error) {
	return e.StartWith(ctx, user, flow, state, in, nil)
}

// StartWith is StartFrom with answers the user gave at the start (a whole
// report in one message): their steps are passed over on the way forward,
// each checked by its Validate, so only what is missing is asked. A
// conversation of another flow the user was in is put aside, not lost
// (Offer continues it); one of this flow is replaced.
func (e *Engine) StartWith(ctx context.Context, user, flow string, state any, in Input, answers map[string]Value) (Reply, error) {
	f := e.flows[flow]
	if f == nil {
		return Reply{}, fmt.Errorf("dialog start: unknown flow %q", flow)
	}
	now := e.clock.Now()
	if err := e.setAside(ctx, user, flow, now); err != nil {
		return Reply{}, fmt.Errorf("dialog start %s: %w", flow, err)
	}
	return e.startNew(ctx, f, user, state, in, answers, now)
}

// startNew starts a session of f, whatever the user had being dealt with.
func (e *Engine) startNew(ctx context.Context, f *Flow, user string, state any, in Input, answers map[string]Value, now time.Time) (Reply, error) {
	s := &Session{ID: newID(), User: user, Flow: f.Name, Started: now.In(clock.China)}
	if err := s.setState(state); err != nil {
		return Reply{}, fmt.Errorf("dialog start %s: %w", f.Name, err)
	}
	for _, k := range slices.Sorted(maps.Keys(answers)) {
		s.Set(k, answers[k])
		s.st.Pre = append(s.st.Pre, k)
	}
	t := &turn{e: e, f: f, s: s, in: in, now: now}
	if t.in.At.IsZero() {
		t.in.At = now
	}
	r, err := t.begin(ctx)
	if err != nil {
		return Reply{}, fmt.Errorf("dialog start %s: %w", f.Name, err)
	}
	return r, nil
}

// Opening is how a conversation starts: the flow's typed state and the
// answers given at the start (StartWith), Prefix before the first
// question; or Reply, when set, to answer without starting (a business the
// user may not report on).
type Opening struct {
	State   any
	Answers map[string]Value
	Prefix  string
	Reply   *Reply
}

// Begin is what a flow's command does: Offer when the user has a
// conversation of flow to continue, else start it as open says (open runs
// only then) — reading the user's session, draft and parked conversation
// once for both.
func (e *Engine) Begin(ctx context.Context, user, flow string, in Input, then string, open func(context.Context) (Opening, error)) (Reply, error) {
	f := e.flows[flow]
	if f == nil {
		return Reply{}, fmt.Errorf("dialog begin: unknown flow %q", flow)
	}
	now := e.clock.Now()
	if in.At.IsZero() {
		in.At = now
	}
	s, err := e.load(ctx, user)
	if err != nil {
		return Reply{}, err
	}
	if s != nil && s.seen(in.ID) {
		return s.st.Last, nil
	}
	d, cur, err := e.loadDraft(ctx, user, now)
	if err != nil {
		return Reply{}, err
	}
	if s != nil && !s.st.Ended && now.Before(s.st.Expires) {
		cur = s
	}
	if cur != nil && cur.Flow == flow && cur.hasProgress() {
		return e.ask(ctx, f, cur, in, then, now)
	}
	p, err := e.loadParked(ctx, user, flow, now)
	if err != nil {
		return Reply{}, err
	}
	var o Opening
	if p == nil {
		if o, err = open(ctx); err != nil || o.Reply != nil {
			if o.Reply != nil {
				return *o.Reply, err
			}
			return Reply{}, err
		}
	}
	if cur != nil && cur.Flow != flow && cur.hasProgress() {
		if err := e.saveParked(ctx, e.flows[cur.Flow], cur, now); err != nil {
			return Reply{}, err
		}
	}
	if p != nil {
		if err := e.deleteParked(ctx, user, flow); err != nil {
			return Reply{}, err
		}
		return e.ask(ctx, f, p, in, then, now)
	}
	if d != nil {
		if err := e.draftStore(ctx).Delete(ctx, user); err != nil {
			return Reply{}, fmt.Errorf("dialog begin: %w", err)
		}
	}
	r, err := e.startNew(ctx, f, user, o.State, in, o.Answers, now)
	if err != nil || o.Prefix == "" {
		return r, err
	}
	return question{text: r.Text, menu: r.Menu}.reply(o.Prefix), nil
}

// setAside parks the user's conversation of another flow, if it has
// answers, and drops the user's draft and parked conversation of flow.
// It reads before it deletes: a DELETE of a missing key takes a gap lock
// on MySQL, and many users starting at once would queue on each other.
func (e *Engine) setAside(ctx context.Context, user, flow string, now time.Time) error {
	cur, err := e.load(ctx, user)
	if err != nil {
		return err
	}
	d, ds, err := e.loadDraft(ctx, user, now)
	if err != nil {
		return err
	}
	if cur == nil || cur.st.Ended || !now.Before(cur.st.Expires) {
		cur = ds
	}
	if cur != nil && cur.Flow != flow && cur.hasProgress() {
		if err := e.saveParked(ctx, e.flows[cur.Flow], cur, now); err != nil {
			return err
		}
	}
	if d != nil {
		if err := e.draftStore(ctx).Delete(ctx, user); err != nil {
			return err
		}
	}
	if p, err := e.loadParked(ctx, user, flow, now); err != nil || p == nil {
		return err
	}
	return e.deleteParked(ctx, user, flow)
}

// Handle processes one input from user. handled is false when the user has
// neither a live session nor a resumable draft, so the caller routes the
// message elsewhere. When the session has lapsed but a draft remains, the
// input is answered with the resume question.
func (e *Engine) Handle(ctx context.Context, user string, in Input) (Reply, bool, error) {
	now := e.clock.Now()
	if in.At.IsZero() {
		in.At = now
	}
	s, err := e.load(ctx, user)
	if err != nil {
		return Reply{}, false, err
	}
	if s != nil && s.seen(in.ID) {
		return s.st.Last, true, nil
	}
	if s != nil && s.st.Ended && s.st.Outside {
		return e.endedOutside(ctx, s, in)
	}
	if s == nil || s.st.Ended || !now.Before(s.st.Expires) {
		return e.offerDraft(ctx, user, in, now)
	}
	f := e.flows[s.Flow]
	if f == nil {
		// The flow is gone (renamed in a new version): nothing can resume it.
		return Reply{}, false, e.kv.Delete(ctx, e.key(user))
	}
	t := &turn{e: e, f: f, s: s, in: in, now: now}
	r, err := t.run(ctx)
	if err != nil {
		return Reply{}, true, fmt.Errorf("dialog %s: %w", s.Flow, err)
	}
	return r, true, nil
}

// Active reports the flow the user is in (a live session or a resumable
// draft) and its label.
func (e *Engine) Active(ctx context.Context, user string) (flow, label string, ok bool, err error) {
	s, err := e.load(ctx, user)
	if err != nil {
		return "", "", false, err
	}
	if s != nil && !s.st.Ended && e.clock.Now().Before(s.st.Expires) {
		if f := e.flows[s.Flow]; f != nil {
			return s.Flow, e.label(f, s), true, nil
		}
	}
	d, s, err := e.loadDraft(ctx, user, e.clock.Now())
	if err != nil || d == nil {
		return "", "", false, err
	}
	label = e.label(e.flows[s.Flow], s)
	if label == "" {
		label = d.Label
	}
	return s.Flow, label, true, nil
}

// Cancel ends the user's conversation without saving, session and draft.
func (e *Engine) Cancel(ctx context.Context, user string) error {
	if err := e.kv.Delete(ctx, e.key(user)); err != nil {
		return fmt.Errorf("dialog cancel: %w", err)
	}
	if e.drafts != nil {
		if err := e.draftStore(ctx).Delete(ctx, user); err != nil {
			return fmt.Errorf("dialog cancel: %w", err)
		}
	}
	return nil
}

// load reads the user's session from kv: nil when absent. A session that
// cannot be decoded (written by an incompatible version) counts as absent,
// so the draft can take over.
func (e *Engine) load(ctx context.Context, user string) (*Session, error) {
	raw, err := e.kv.Get(ctx, e.key(user))
	if errors.Is(err, kv.ErrMiss) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, fmt.Errorf("dialog load session: %w", err), "")
	}
	s, err := decodeSession([]byte(raw))
	if err != nil {
		return nil, nil
	}
	return s, nil
}

// loadDraft returns the user's resumable draft and its session, or nils. A
// draft that has expired, cannot be decoded or belongs to an unknown flow is
// deleted: nothing could ever resume it.
func (e *Engine) loadDraft(ctx context.Context, user string, now time.Time) (*Draft, *Session, error) {
	if e.drafts == nil {
		return nil, nil, nil
	}
	d, err := e.draftStore(ctx).Load(ctx, user)
	if err != nil {
		return nil, nil, fmt.Errorf("dialog load draft: %w", err)
	}
	if d == nil {
		return nil, nil, nil
	}
	s, derr := decodeSession(d.State)
	if (!d.ExpiresAt.IsZero() && !now.Before(d.ExpiresAt)) || derr != nil || e.flows[s.Flow] == nil {
		if err := e.draftStore(ctx).Delete(ctx, user); err != nil {
			return nil, nil, fmt.Errorf("dialog drop draft: %w", err)
		}
		return nil, nil, nil
	}
	s.User = user
	return d, s, nil
}

// offerDraft answers the first input after a session lapsed: when a draft
// remains, it asks whether to continue it.
func (e *Engine) offerDraft(ctx context.Context, user string, in Input, now time.Time) (Reply, bool, error) {
	d, s, err := e.loadDraft(ctx, user, now)
	if err != nil || d == nil {
		return Reply{}, false, err
	}
	f := e.flows[s.Flow]
	s.st.Ask, s.st.Ended, s.st.Fails, s.st.Switch, s.st.Then = true, false, 0, "", ""
	if s.st.Label == "" {
		s.st.Label = d.Label
	}
	t := &turn{e: e, f: f, s: s, in: in, now: now}
	if flow, ok := t.command(strings.TrimSpace(in.Text)); ok {
		if flow != s.Flow {
			// Another flow's command: this draft waits aside.
			out, err := t.park(ctx, "", strings.TrimSpace(in.Text))
			if err != nil {
				return Reply{}, true, fmt.Errorf("dialog %s: %w", s.Flow, err)
			}
			return out, true, nil
		}
		s.st.Then = strings.TrimSpace(in.Text)
	}
	r := t.resumeQuestion().reply("")
	ans, ok, err := t.interrupted(ctx)
	if err != nil {
		return Reply{}, true, fmt.Errorf("dialog %s: %w", s.Flow, err)
	}
	if ok {
		r = t.resumeQuestion().under(ans + msgRule)
	}
	out, err := t.commit(ctx, r, false)
	if err != nil {
		return Reply{}, true, fmt.Errorf("dialog %s: %w", s.Flow, err)
	}
	return out, true, nil
}

func (e *Engine) label(f *Flow, s *Session) string {
	if f == nil || f.Label == nil {
		return ""
	}
	return f.Label(s)
}

// save writes the session to kv, and to the draft store when progress says
// the answers moved on.
func (e *Engine) save(ctx context.Context, f *Flow, s *Session, now time.Time, progress bool) error {
	s.st.Expires = now.Add(e.sessionTTL)
	b, err := encodeSession(s)
	if err != nil {
		return err
	}
	// The draft first: if its write fails, the turn fails as a whole and a
	// retry of the same input starts from the unchanged kv session.
	if progress && e.drafts != nil && s.hasProgress() {
		d := Draft{User: s.User, Flow: s.Flow, Label: e.label(f, s), State: b, UpdatedAt: now, ExpiresAt: now.Add(e.draftTTL)}
		if err := e.draftStore(ctx).Save(ctx, d); err != nil {
			return fmt.Errorf("save draft: %w", err)
		}
	}
	if err := e.kv.Set(ctx, e.key(s.User), string(b), e.sessionTTL); err != nil {
		return errs.Wrap(errs.Unavailable, fmt.Errorf("save session: %w", err), "")
	}
	return nil
}

// finish ends the conversation: the draft goes and the session is replaced
// by a small marker that only remembers the last inputs and reply.
func (e *Engine) finish(ctx context.Context, s *Session, in Input, r Reply) (Reply, error) {
	r.Done = true
	if e.drafts != nil {
		if err := e.draftStore(ctx).Delete(ctx, s.User); err != nil {
			return Reply{}, fmt.Errorf("delete draft: %w", err)
		}
	}
	end := &Session{ID: s.ID, User: s.User, Flow: s.Flow, st: state{Ended: true, Seen: s.st.Seen}}
	end.remember(in.ID, r)
	b, err := encodeSession(end)
	if err != nil {
		return Reply{}, err
	}
	if err := e.kv.Set(ctx, e.key(s.User), string(b), min(endedTTL, e.sessionTTL)); err != nil {
		return Reply{}, errs.Wrap(errs.Unavailable, fmt.Errorf("end session: %w", err), "")
	}
	return r, nil
}

func newID() string { return rand.Text() }
