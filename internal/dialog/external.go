package dialog

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
)

// A conversation can also be filled from outside the chat — an H5 form
// that shows every question of a flow on one page — on the same session
// and draft, so the user can start in the chat and finish on the page or
// the other way round. Fill sets answers by step key through the steps'
// own Validate, as if typed; the chat then resumes at the first question
// left unanswered, after asking whether to continue (the user was away).
// Submitting runs the flow's Submit, the chat's own path, and ends the
// conversation as the chat's 确认 does.
//
// The caller serialises Fill with the user's chat turns (the same per-user
// lock), as it does the turns themselves.

// FillOptions say what Fill does.
type FillOptions struct {
	// State is the flow's typed state for a conversation Fill starts (see
	// Start); it is not used when the user's conversation is resumed.
	State any
	// Match reports whether the user's conversation in the flow is the one
	// to fill (e.g. about the same business). nil matches any.
	Match func(s *Session) bool
	// Conv, when set, is the conversation the caller has been filling:
	// when it is no longer the user's (submitted in the chat, cancelled,
	// replaced), Fill changes nothing and says so (Result.Gone).
	Conv string
	// Replace starts a new conversation when the user has another one
	// (another flow, or one Match refuses), dropping it; without it Fill
	// changes nothing and returns it (Result.Other).
	Replace bool
	// Answers are set in step order; a nil value removes the answer. Keys
	// of steps that do not apply (yet) are ignored once the steps before
	// them are set.
	Answers map[string]*Value
	// Submit submits the conversation when every step that applies is
	// answered, but Confirm.
	Submit bool
	// Confirm is the key of the flow's last question (确认), answered yes
	// only by a Submit that goes ahead: a report left incomplete is never
	// confirmed for the chat to submit unseen.
	Confirm string
}

// FillResult is what Fill did.
type FillResult struct {
	// Session is the conversation after the fill (nil when Gone or Other).
	Session *Session
	// Other is the user's conversation that stopped Fill (without Replace).
	Other *Session
	// Gone is set when Conv is no longer the user's conversation.
	Gone bool
	// Problems are the answers the steps refused, by key, with the reason
	// (the chat's own wording); those answers are not set.
	Problems map[string]string
	// Missing are the keys of the steps that apply and have no answer, in
	// order.
	Missing []string
	// Submitted is set when Submit ran and succeeded; Reply is its answer.
	Submitted bool
	Reply     Reply
}

// Peek returns the user's conversation — the live session, else the
// resumable draft — or nil. It changes nothing.
func (e *Engine) Peek(ctx context.Context, user string) (*Session, error) {
	now := e.clock.Now()
	s, err := e.load(ctx, user)
	if err != nil {
		return nil, err
	}
	if s != nil && !s.st.Ended && now.Before(s.st.Expires) && e.flows[s.Flow] != nil {
		return s, nil
	}
	_, d, err := e.loadDraft(ctx, user, now)
	return d, err
}

// Fill sets answers of the user's conversation in flow from outside the
// chat, and submits it when asked and complete. A refused answer is no
// error: it is reported in Problems. A Submit error of a user-facing kind
// (Invalid, Conflict…) is returned as is and the answers are kept.
func (e *Engine) Fill(ctx context.Context, user, flow string, o FillOptions) (FillResult, error) {
	f := e.flows[flow]
	if f == nil {
		return FillResult{}, fmt.Errorf("dialog fill: unknown flow %q", flow)
	}
	now := e.clock.Now()
	s, err := e.Peek(ctx, user)
	if err != nil {
		return FillResult{}, fmt.Errorf("dialog fill: %w", err)
	}
	switch {
	case o.Conv != "" && (s == nil || s.ID != o.Conv):
		return FillResult{Gone: true, Other: s}, nil
	case s != nil && (s.Flow != flow || (o.Match != nil && !o.Match(s))):
		if !o.Replace {
			return FillResult{Other: s}, nil
		}
		s = nil
	}
	if s == nil {
		s = &Session{ID: newID(), User: user, Flow: flow, Started: now.In(clock.China)}
		if err := s.setState(o.State); err != nil {
			return FillResult{}, fmt.Errorf("dialog fill %s: %w", flow, err)
		}
	}
	s.User = user
	t := &turn{e: e, f: f, s: s, in: Input{At: now}, now: now}
	res := FillResult{Session: s, Problems: map[string]string{}}
	if err := t.fill(ctx, o.Answers, res.Problems); err != nil {
		return FillResult{}, fmt.Errorf("dialog fill %s: %w", flow, err)
	}
	if o.Confirm != "" {
		delete(s.Answers, o.Confirm)
	}
	res.Missing = t.missing()
	if o.Submit && len(res.Problems) == 0 && (len(res.Missing) == 0 || slices.Equal(res.Missing, []string{o.Confirm})) {
		if o.Confirm != "" {
			s.Set(o.Confirm, Value{Bool: true})
		}
		res.Missing = nil
		t.s.st.History = t.answered()
		r, err := t.submitFilled(ctx)
		if err != nil {
			return FillResult{}, err
		}
		res.Submitted, res.Reply = true, r
		return res, nil
	}
	t.place()
	// The user was away from the chat: the next message there asks
	// whether to continue before it is taken as an answer.
	s.st.Ask, s.st.Fails, s.st.Pending = true, 0, nil
	if err := e.save(ctx, f, s, now, true); err != nil {
		return FillResult{}, fmt.Errorf("dialog fill %s: %w", flow, err)
	}
	return res, nil
}

// fill sets the answers in step order, through each step's Validate.
func (t *turn) fill(ctx context.Context, answers map[string]*Value, problems map[string]string) error {
	done := make(map[string]bool, len(answers))
	for {
		if err := t.loadSteps(ctx); err != nil {
			return err
		}
		var st *Step
		for i := range t.steps {
			if _, ok := answers[t.steps[i].Key]; ok && !done[t.steps[i].Key] && t.applies(i) {
				st = &t.steps[i]
				break
			}
		}
		if st == nil {
			return nil
		}
		done[st.Key] = true
		v := answers[st.Key]
		if v == nil {
			delete(t.s.Answers, st.Key)
			continue
		}
		nv := *v
		if st.Validate != nil {
			out, reason, err := st.Validate(ctx, t.s, nv)
			switch {
			case err != nil && errs.KindOf(err) == errs.Internal:
				return fmt.Errorf("validate %s: %w", st.Key, err)
			case err != nil:
				reason = errs.MessageOf(err)
			}
			if reason != "" {
				problems[st.Key] = reason
				continue
			}
			nv = out
		}
		t.s.Set(st.Key, nv)
		if !slices.Contains(t.s.st.Filled, st.Key) {
			t.s.st.Filled = append(t.s.st.Filled, st.Key)
		}
	}
}

// passOver is skip plus the steps answered from outside the chat.
func (s *Session) passOver(skip map[string]bool) map[string]bool {
	if len(s.st.Filled) == 0 {
		return skip
	}
	out := make(map[string]bool, len(skip)+len(s.st.Filled))
	for k := range skip {
		out[k] = true
	}
	for _, k := range s.st.Filled {
		if _, ok := s.Answers[k]; ok {
			out[k] = true
		}
	}
	return out
}

// missing lists the steps that apply and have no answer.
func (t *turn) missing() []string {
	var out []string
	for i := range t.steps {
		if _, ok := t.s.Answers[t.steps[i].Key]; !ok && t.applies(i) {
			out = append(out, t.steps[i].Key)
		}
	}
	return out
}

// answered lists the steps that apply and have an answer, in order.
func (t *turn) answered() []string {
	var out []string
	for i := range t.steps {
		if _, ok := t.s.Answers[t.steps[i].Key]; ok && t.applies(i) {
			out = append(out, t.steps[i].Key)
		}
	}
	return out
}

// place puts the chat on the first step that applies and has no answer
// (else the last that applies), the way there being the answered steps
// before it, so 返回 walks back over them.
func (t *turn) place() {
	cur := ""
	for i := range t.steps {
		if _, ok := t.s.Answers[t.steps[i].Key]; !ok && t.applies(i) {
			cur = t.steps[i].Key
			break
		}
	}
	answered := t.answered()
	if cur == "" && len(answered) > 0 {
		cur = answered[len(answered)-1]
		answered = answered[:len(answered)-1]
	}
	if i := t.index(cur); i >= 0 {
		var way []string
		for _, k := range answered {
			if t.index(k) < i {
				way = append(way, k)
			}
		}
		answered = way
	}
	t.s.st.Cur, t.s.st.History = cur, slices.Clip(answered)
}

// submitFilled hands the complete answers to the flow's Submit and ends
// the conversation, as submit does for the chat's last answer; an error
// the user can act on is returned with the session saved unchanged.
func (t *turn) submitFilled(ctx context.Context) (Reply, error) {
	keep := make(map[string]bool, len(t.steps))
	for i := range t.steps {
		if t.applies(i) {
			keep[t.steps[i].Key] = true
		}
	}
	for k := range t.s.Answers {
		if !keep[k] {
			delete(t.s.Answers, k)
		}
	}
	r, err := t.f.Submit(ctx, t.s)
	if err != nil {
		if errs.KindOf(err) == errs.Internal {
			return Reply{}, fmt.Errorf("dialog fill %s: submit: %w", t.f.Name, err)
		}
		t.place()
		t.s.st.Ask = true
		if serr := t.e.save(ctx, t.f, t.s, t.now, true); serr != nil {
			return Reply{}, fmt.Errorf("dialog fill %s: %w", t.f.Name, serr)
		}
		return Reply{}, err
	}
	r, err = t.e.finish(ctx, t.s, t.in, r)
	if err != nil {
		return Reply{}, err
	}
	// The chat may be in the middle of this report: its next message hears
	// that the report is in, rather than being taken for a command.
	end := &Session{ID: t.s.ID, User: t.s.User, Flow: t.s.Flow, st: state{Ended: true, Outside: true, Seen: t.s.st.Seen, Last: r}}
	if err := t.e.saveEnded(ctx, end); err != nil {
		return Reply{}, err
	}
	return r, nil
}

// endedOutside answers the first chat message after the conversation was
// submitted outside the chat: that it is in, and the receipt.
// A command (typed, or a menu tap) is not swallowed: it runs after a line
// saying the report is in (the receipt was pushed to the chat already).
func (e *Engine) endedOutside(ctx context.Context, s *Session, in Input) (Reply, bool, error) {
	text := strings.TrimSpace(in.Text)
	note := fmt.Sprintf(msgDoneOutsideNote, noun(e.flows[s.Flow]))
	r := Reply{Text: fmt.Sprintf(msgDoneOutside, noun(e.flows[s.Flow])), Done: true}
	isCommand := false
	if e.command != nil && text != "" && in.Photo == nil && in.Location == nil {
		_, isCommand = e.command(text)
	}
	switch {
	case isCommand || (in.Menu && text != ""):
		r = Reply{Text: note, Then: text, Done: true}
	case e.interrupt != nil && text != "":
		ans, ok, err := e.interrupt(ctx, s.User, text)
		if err != nil {
			return Reply{}, true, err
		}
		if ok {
			r.Text = note + "\n\n" + ans
			break
		}
		fallthrough
	default:
		if last := s.st.Last.Text; last != "" {
			r.Text += "\n\n" + last
		}
	}
	s.st.Outside = false
	s.remember(in.ID, r)
	if err := e.saveEnded(ctx, s); err != nil {
		return Reply{}, true, err
	}
	return r, true, nil
}

// saveEnded keeps the marker of an ended conversation as finish does.
func (e *Engine) saveEnded(ctx context.Context, end *Session) error {
	b, err := encodeSession(end)
	if err != nil {
		return err
	}
	if err := e.kv.Set(ctx, e.key(end.User), string(b), min(endedTTL, e.sessionTTL)); err != nil {
		return errs.Wrap(errs.Unavailable, fmt.Errorf("end session: %w", err), "")
	}
	return nil
}

// Label names a conversation the way its draft is named (the flow's
// Label: for a visit, the business).
func (e *Engine) Label(s *Session) string { return e.label(e.flows[s.Flow], s) }
