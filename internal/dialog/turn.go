package dialog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/errs"
)

// Limits on what one step accepts.
const (
	maxFails    = 3   // invalid inputs in a row before the reply offers help or a way out
	parkFails   = 5   // invalid inputs in a row before the draft is put aside
	maxTextLen  = 500 // runes of free text
	maxPhotos   = 9   // photos of one Multi step (what WeChat lets a user pick at once)
	describeLen = 30  // runes of a text answer shown as "当前："
)

// turn is one input being applied to one session.
//
// Moving around a flow follows one rule, chosen because users can predict it:
// answering a step always goes on to the next step in order that applies.
// 返回 goes back one step along the way the user came (shortcut jumps
// included) and asks it again; the answers of later steps are kept, and
// when the user reaches such a step again it shows its current answer and
// 不变 keeps it. So 返回 three times, change one answer, then 不变, 不变
// returns to where the user was. Only steps whose answers a shortcut set in
// the same turn are passed over (全部合格 marks the rest and moves on) — and,
// when a shortcut jumped back to amend one answer (停业 or 对接人 at the
// summary), the answered steps between it and where the user was: they
// asked for one change, not a second walk through the report.
type turn struct {
	e   *Engine
	f   *Flow
	s   *Session
	in  Input
	now time.Time

	steps   []Step
	choices map[string][]Choice
}

func (t *turn) loadSteps(ctx context.Context) error {
	steps, err := t.f.Steps(ctx, t.s)
	if err != nil {
		return fmt.Errorf("steps: %w", err)
	}
	t.steps, t.choices = steps, nil
	return nil
}

func (t *turn) index(key string) int {
	for i := range t.steps {
		if t.steps[i].Key == key {
			return i
		}
	}
	return -1
}

func (t *turn) applies(i int) bool {
	st := &t.steps[i]
	return st.When == nil || st.When(t.s)
}

// after returns the first step from index i on that applies and is not in skip.
func (t *turn) after(i int, skip map[string]bool) *Step {
	for ; i < len(t.steps); i++ {
		if t.applies(i) && !skip[t.steps[i].Key] {
			return &t.steps[i]
		}
	}
	return nil
}

// unvisited returns the first step that applies and is not on the way here.
func (t *turn) unvisited() *Step {
	for i := range t.steps {
		if t.applies(i) && !slices.Contains(t.s.st.History, t.steps[i].Key) {
			return &t.steps[i]
		}
	}
	return nil
}

// current returns the step being asked. When it no longer exists or applies
// (a new version of the flow, or answers changed under it) the first step
// not yet on the way here takes its place, else the last step that applies:
// the engine never submits without the user answering.
func (t *turn) current() *Step {
	if i := t.index(t.s.st.Cur); i >= 0 && t.applies(i) {
		return &t.steps[i]
	}
	st := t.unvisited()
	for i := len(t.steps) - 1; st == nil && i >= 0; i-- {
		if t.applies(i) {
			st = &t.steps[i]
		}
	}
	if st != nil {
		t.s.st.Cur = st.Key
	}
	return st
}

// begin asks the first step of a new session.
func (t *turn) begin(ctx context.Context) (Reply, error) {
	if err := t.loadSteps(ctx); err != nil {
		return Reply{}, err
	}
	st, reason, err := t.forward(ctx, 0, nil)
	if err != nil {
		return Reply{}, err
	}
	if st == nil {
		// Everything was said at the start: the last step is still the
		// user's to answer.
		if st = t.current(); st == nil {
			return Reply{}, fmt.Errorf("no step applies")
		}
	}
	t.s.st.Cur = st.Key
	q, err := t.prompt(ctx, st)
	if err != nil {
		return Reply{}, err
	}
	return t.commit(ctx, q.reply(reason), len(t.s.st.History) > 0)
}

// forward returns the step to ask from index i on (nil past the last):
// steps answered at the start and steps with a Default are passed over on
// the way, each recorded as answered (so 返回 reaches it) and its
// pre-set value validated; a value Validate rejects stops there with the
// reason.
func (t *turn) forward(ctx context.Context, i int, skip map[string]bool) (*Step, string, error) {
	for {
		st := t.after(i, skip)
		if st == nil {
			return nil, "", nil
		}
		if back := t.s.st.Back; back != "" {
			if st.Key == back {
				t.s.st.Back = ""
				return st, "", nil
			}
			if _, answered := t.s.Answers[st.Key]; answered {
				// Amending one answer from the summary: the answers
				// between stand, so the user is not asked them again.
				t.s.st.History = append(t.s.st.History, st.Key)
				i = t.index(st.Key) + 1
				continue
			}
		}
		pre := slices.Contains(t.s.st.Pre, st.Key)
		if !pre && st.Default == nil {
			return st, "", nil
		}
		t.s.st.Pre = slices.DeleteFunc(t.s.st.Pre, func(k string) bool { return k == st.Key })
		v, answered := t.s.Answers[st.Key]
		if !answered && st.Default == nil {
			return st, "", nil
		}
		if !answered {
			v = st.Default(t.s)
		}
		if st.Validate != nil && (pre || !answered) {
			nv, reason, err := st.Validate(ctx, t.s, v)
			if err != nil && errs.KindOf(err) == errs.Internal {
				return nil, "", fmt.Errorf("validate %s: %w", st.Key, err)
			}
			if err != nil {
				reason = errs.MessageOf(err)
			}
			if reason != "" {
				delete(t.s.Answers, st.Key)
				return st, reason, nil
			}
			v = nv
		}
		key := st.Key
		t.s.Set(key, v)
		t.s.st.History = append(t.s.st.History, key)
		if err := t.loadSteps(ctx); err != nil {
			return nil, "", err
		}
		i = t.index(key) + 1
	}
}

// run applies the input to a live session.
func (t *turn) run(ctx context.Context) (Reply, error) {
	if t.s.st.Ask {
		return t.resume(ctx)
	}
	if err := t.loadSteps(ctx); err != nil {
		return Reply{}, err
	}
	st := t.current()
	if st == nil {
		return Reply{}, fmt.Errorf("no step applies")
	}
	text := strings.TrimSpace(t.in.Text)
	media := t.in.Photo != nil || t.in.Location != nil
	w := word(text)
	if cmd, tapped := t.s.st.Switch, t.s.st.SwitchTap; cmd != "" {
		t.s.st.Switch, t.s.st.SwitchTap = "", false
		if yes, ok := ParseYesNo(text); ok && !media {
			return t.switched(ctx, st, cmd, tapped, yes)
		}
	}
	if !media {
		switch {
		case isPark(w):
			return t.park(ctx, "", "")
		case isCancel(w):
			return t.cancel(ctx)
		case isBack(w):
			return t.back(ctx, st)
		case isHelp(text, w):
			return t.help(ctx, st)
		case isSkip(w):
			if len(t.s.st.Pending) > 0 {
				// 跳过 after a few photos means "no more", not "none".
				return t.accept(ctx, st, Value{Photos: slices.Clone(t.s.st.Pending)})
			}
			if !st.Skippable {
				return t.fail(ctx, st, msgCannotSkip)
			}
			return t.accept(ctx, st, Value{Skipped: true})
		case isKeep(w) && len(t.s.st.Pending) == 0:
			if v, ok := t.s.Answers[st.Key]; ok {
				return t.accept(ctx, st, v)
			}
		}
		for k, fn := range st.Shortcuts {
			if word(k) == w && w != "" {
				return t.shortcut(ctx, st, fn)
			}
		}
		if flow, ok := t.command(text); ok {
			return t.commanded(ctx, st, text, flow)
		}
		if ans, ok, err := t.interrupted(ctx); err != nil || ok {
			if err != nil {
				return Reply{}, err
			}
			q, err := t.prompt(ctx, st)
			if err != nil {
				return Reply{}, err
			}
			return t.commit(ctx, q.under(ans+msgBackToFlow), false)
		}
	}
	if st.Kind == KindPhoto && st.Multi {
		return t.photos(ctx, st, w)
	}
	v, reason, err := t.parse(ctx, st, text, w)
	if err != nil {
		return Reply{}, err
	}
	if reason != "" {
		return t.fail(ctx, st, reason)
	}
	return t.accept(ctx, st, v)
}

// interrupted asks Options.Interrupt whether the input is an interruption
// (a command answered in passing) and returns its answer.
func (t *turn) interrupted(ctx context.Context) (string, bool, error) {
	text := strings.TrimSpace(t.in.Text)
	if t.e.interrupt == nil || text == "" || t.in.Photo != nil || t.in.Location != nil {
		return "", false, nil
	}
	reply, ok, err := t.e.interrupt(ctx, t.s.User, text)
	if err != nil {
		return "", false, fmt.Errorf("interrupt: %w", err)
	}
	if ok {
		t.s.st.Fails = 0
	}
	return reply, ok, nil
}

// accept validates a parsed value and, when it passes, answers the step.
func (t *turn) accept(ctx context.Context, st *Step, v Value) (Reply, error) {
	if st.Validate != nil {
		nv, reason, err := st.Validate(ctx, t.s, v)
		var end *endError
		if errors.As(err, &end) {
			return t.e.finish(ctx, t.s, t.in, Reply{Text: end.text})
		}
		if err != nil {
			if errs.KindOf(err) != errs.Internal {
				return t.fail(ctx, st, errs.MessageOf(err))
			}
			return Reply{}, fmt.Errorf("validate %s: %w", st.Key, err)
		}
		if reason != "" {
			return t.fail(ctx, st, reason)
		}
		v = nv
	}
	t.s.Set(st.Key, v)
	return t.advance(ctx, st.Key, "", nil)
}

func (t *turn) shortcut(ctx context.Context, st *Step, fn func(context.Context, *Session) (string, error)) (Reply, error) {
	t.s.setBy = make(map[string]bool)
	jump, err := fn(ctx, t.s)
	if err == nil && jump != "" && t.index(jump) < t.index(st.Key) {
		t.s.st.Back = st.Key
	}
	set := t.s.setBy
	t.s.setBy = nil
	if err != nil {
		if errs.KindOf(err) != errs.Internal {
			return t.fail(ctx, st, errs.MessageOf(err))
		}
		return Reply{}, fmt.Errorf("shortcut on %s: %w", st.Key, err)
	}
	return t.advance(ctx, st.Key, jump, set)
}

// advance leaves step from (just answered) for jumpTo, or for the next step
// that applies and was not set by a shortcut (skip); past the last step the
// flow is submitted.
func (t *turn) advance(ctx context.Context, from, jumpTo string, skip map[string]bool) (Reply, error) {
	t.s.st.History = append(t.s.st.History, from)
	t.s.st.Fails, t.s.st.Pending = 0, nil
	// Answers changed, and with them perhaps the list of steps.
	if err := t.loadSteps(ctx); err != nil {
		return Reply{}, err
	}
	var next *Step
	reason := ""
	var err error
	switch i := t.index(from); {
	case jumpTo != "":
		j := t.index(jumpTo)
		if j < 0 {
			return Reply{}, fmt.Errorf("step %s jumps to unknown step %q", from, jumpTo)
		}
		if next = t.after(j, nil); next != nil && next.Key != jumpTo {
			// The step jumped to does not apply: on from there as usual.
			next, reason, err = t.forward(ctx, j, nil)
		}
	case i >= 0:
		next, reason, err = t.forward(ctx, i+1, t.s.passOver(skip))
	default:
		next = t.unvisited()
	}
	if err != nil {
		return Reply{}, err
	}
	if next == nil {
		return t.submit(ctx)
	}
	t.s.st.Cur = next.Key
	q, err := t.prompt(ctx, next)
	if err != nil {
		return Reply{}, err
	}
	return t.commit(ctx, q.reply(reason), true)
}

// submit hands the answers of the steps that apply to the flow.
func (t *turn) submit(ctx context.Context) (Reply, error) {
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
	if err == nil {
		return t.e.finish(ctx, t.s, t.in, r)
	}
	if errs.KindOf(err) == errs.Internal {
		return Reply{}, fmt.Errorf("submit: %w", err)
	}
	// The user can act on this one (a conflict, a closed business…): stay
	// on the last step with the message. Its answer (usually 确认) was only
	// the trigger, so it is asked afresh.
	if n := len(t.s.st.History); n > 0 {
		t.s.st.Cur = t.s.st.History[n-1]
		t.s.st.History = t.s.st.History[:n-1]
		delete(t.s.Answers, t.s.st.Cur)
	}
	st := t.current()
	if st == nil {
		return Reply{}, fmt.Errorf("submit: %w", err)
	}
	q, perr := t.prompt(ctx, st)
	if perr != nil {
		return Reply{}, perr
	}
	return t.commit(ctx, q.reply(errs.MessageOf(err)), true)
}

// fail rejects the input with reason and asks the same question again.
func (t *turn) fail(ctx context.Context, st *Step, reason string) (Reply, error) {
	t.s.st.Fails++
	if t.s.st.Fails >= parkFails {
		return t.park(ctx, reason+"\n"+msgParkedStuck, "")
	}
	q, err := t.prompt(ctx, st)
	if err != nil {
		return Reply{}, err
	}
	if t.s.st.Fails >= maxFails {
		reason += "\n" + t.stuck()
	}
	return t.commit(ctx, q.reply(reason), false)
}

// back asks again the step answered before this one.
func (t *turn) back(ctx context.Context, st *Step) (Reply, error) {
	t.s.st.Pending, t.s.st.Fails = nil, 0
	for n := len(t.s.st.History); n > 0; n = len(t.s.st.History) {
		k := t.s.st.History[n-1]
		t.s.st.History = t.s.st.History[:n-1]
		if i := t.index(k); i >= 0 && t.applies(i) {
			t.s.st.Cur = k
			q, err := t.prompt(ctx, &t.steps[i])
			if err != nil {
				return Reply{}, err
			}
			return t.commit(ctx, q.reply(msgWentBack), true)
		}
	}
	q, err := t.prompt(ctx, st)
	if err != nil {
		return Reply{}, err
	}
	return t.commit(ctx, q.reply(msgAtFirst), false)
}

func (t *turn) help(ctx context.Context, st *Step) (Reply, error) {
	q, err := t.prompt(ctx, st)
	if err != nil {
		return Reply{}, err
	}
	h := st.Help
	if h == "" {
		h = kindHelp(st)
	}
	_, answered := t.s.Answers[st.Key]
	cmds := commandsHelp(len(t.s.st.History) > 0, st.Skippable, answered, t.f.Command)
	return t.commit(ctx, q.reply(h+"\n\n"+cmds), false)
}

func (t *turn) cancel(ctx context.Context) (Reply, error) {
	if t.f.Cancelled != nil {
		if err := t.f.Cancelled(ctx, t.s); err != nil {
			return Reply{}, fmt.Errorf("cancelled hook: %w", err)
		}
	}
	return t.e.finish(ctx, t.s, t.in, Reply{Text: msgCancelled})
}

// commit records the reply against the input and saves the session.
func (t *turn) commit(ctx context.Context, r Reply, progress bool) (Reply, error) {
	t.s.remember(t.in.ID, r)
	if err := t.e.save(ctx, t.f, t.s, t.now, progress); err != nil {
		return Reply{}, err
	}
	return r, nil
}
