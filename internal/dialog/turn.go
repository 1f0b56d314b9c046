package dialog

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
)

// Limits on what one step accepts.
const (
	maxFails    = 3   // invalid inputs in a row before the reply offers help or cancel
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
// the same turn are passed over (全部合格 marks the rest and moves on).
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
	st := t.after(0, nil)
	if st == nil {
		return Reply{}, fmt.Errorf("no step applies")
	}
	t.s.st.Cur = st.Key
	p, err := t.prompt(ctx, st)
	if err != nil {
		return Reply{}, err
	}
	return t.commit(ctx, Reply{Text: p}, false)
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
	if !media {
		switch {
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
		if ans, ok, err := t.interrupted(ctx); err != nil || ok {
			if err != nil {
				return Reply{}, err
			}
			p, err := t.prompt(ctx, st)
			if err != nil {
				return Reply{}, err
			}
			return t.commit(ctx, Reply{Text: ans + msgBackToFlow + p}, false)
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
	switch i := t.index(from); {
	case jumpTo != "":
		j := t.index(jumpTo)
		if j < 0 {
			return Reply{}, fmt.Errorf("step %s jumps to unknown step %q", from, jumpTo)
		}
		next = t.after(j, nil)
	case i >= 0:
		next = t.after(i+1, t.s.passOver(skip))
	default:
		next = t.unvisited()
	}
	if next == nil {
		return t.submit(ctx)
	}
	t.s.st.Cur = next.Key
	p, err := t.prompt(ctx, next)
	if err != nil {
		return Reply{}, err
	}
	return t.commit(ctx, Reply{Text: p}, true)
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
	p, perr := t.prompt(ctx, st)
	if perr != nil {
		return Reply{}, perr
	}
	return t.commit(ctx, Reply{Text: errs.MessageOf(err) + "\n\n" + p}, true)
}

// fail rejects the input with reason and asks the same question again.
func (t *turn) fail(ctx context.Context, st *Step, reason string) (Reply, error) {
	t.s.st.Fails++
	p, err := t.prompt(ctx, st)
	if err != nil {
		return Reply{}, err
	}
	if t.s.st.Fails >= maxFails {
		reason += "\n" + msgStuck
	}
	return t.commit(ctx, Reply{Text: reason + "\n\n" + p}, false)
}

// back asks again the step answered before this one.
func (t *turn) back(ctx context.Context, st *Step) (Reply, error) {
	t.s.st.Pending, t.s.st.Fails = nil, 0
	for n := len(t.s.st.History); n > 0; n = len(t.s.st.History) {
		k := t.s.st.History[n-1]
		t.s.st.History = t.s.st.History[:n-1]
		if i := t.index(k); i >= 0 && t.applies(i) {
			t.s.st.Cur = k
			p, err := t.prompt(ctx, &t.steps[i])
			if err != nil {
				return Reply{}, err
			}
			return t.commit(ctx, Reply{Text: msgWentBack + "\n\n" + p}, true)
		}
	}
	p, err := t.prompt(ctx, st)
	if err != nil {
		return Reply{}, err
	}
	return t.commit(ctx, Reply{Text: msgAtFirst + "\n\n" + p}, false)
}

func (t *turn) help(ctx context.Context, st *Step) (Reply, error) {
	p, err := t.prompt(ctx, st)
	if err != nil {
		return Reply{}, err
	}
	h := st.Help
	if h == "" {
		h = kindHelp(st)
	}
	_, answered := t.s.Answers[st.Key]
	cmds := commandsHelp(len(t.s.st.History) > 0, st.Skippable, answered)
	return t.commit(ctx, Reply{Text: h + "\n\n" + cmds + "\n\n" + p}, false)
}

func (t *turn) cancel(ctx context.Context) (Reply, error) {
	if t.f.Cancelled != nil {
		if err := t.f.Cancelled(ctx, t.s); err != nil {
			return Reply{}, fmt.Errorf("cancelled hook: %w", err)
		}
	}
	return t.e.finish(ctx, t.s, t.in, Reply{Text: msgCancelled})
}

// photos handles a Multi photo step: each photo is kept and acknowledged
// until a finishing word.
func (t *turn) photos(ctx context.Context, st *Step, w string) (Reply, error) {
	n := len(t.s.st.Pending)
	if p := t.in.Photo; p != nil {
		if n >= maxPhotos {
			return t.fail(ctx, st, fmt.Sprintf(msgTooManyPhotos, maxPhotos))
		}
		t.s.st.Pending = append(t.s.st.Pending, t.photo(*p))
		t.s.st.Fails = 0
		return t.commit(ctx, Reply{Text: fmt.Sprintf(msgPhotoAck, n+1)}, true)
	}
	if t.in.Location == nil {
		switch {
		case n > 0 && isFinish(w):
			return t.accept(ctx, st, Value{Photos: slices.Clone(t.s.st.Pending)})
		case n == 0 && st.Skippable && (isNone(w) || isFinish(w)):
			return t.accept(ctx, st, Value{Skipped: true})
		case n == 0 && isFinish(w):
			return t.fail(ctx, st, msgNeedPhoto)
		}
	}
	if n > 0 {
		return t.fail(ctx, st, msgWantMorePhotos)
	}
	return t.fail(ctx, st, msgWantPhoto)
}

func (t *turn) photo(p Photo) Photo {
	if p.At.IsZero() {
		p.At = t.in.At
	}
	return p
}

// parse reads the input as the step's kind: a value, or a reason to reject.
func (t *turn) parse(ctx context.Context, st *Step, text, w string) (Value, string, error) {
	switch st.Kind {
	case KindPhoto:
		if t.in.Photo != nil {
			return Value{Photos: []Photo{t.photo(*t.in.Photo)}}, "", nil
		}
		if st.Skippable && t.in.Location == nil && isNone(w) {
			return Value{Skipped: true}, "", nil
		}
		return Value{}, msgWantPhoto, nil
	case KindLocation:
		if l := t.in.Location; l != nil {
			loc := *l
			return Value{Location: &loc}, "", nil
		}
		if st.Skippable && t.in.Photo == nil && isNone(w) {
			return Value{Skipped: true}, "", nil
		}
		return Value{}, msgWantLocation, nil
	}
	if t.in.Photo != nil || t.in.Location != nil {
		text = ""
	}
	switch st.Kind {
	case KindText:
		switch n := utf8.RuneCountInString(text); {
		case t.in.Photo != nil || t.in.Location != nil:
			return Value{}, msgWantText, nil
		case n == 0:
			return Value{}, msgTextEmpty, nil
		case n > maxTextLen:
			return Value{}, fmt.Sprintf(msgTextTooLong, n, maxTextLen), nil
		}
		return Value{Text: text}, "", nil
	case KindNumber:
		if n, ok := ParseNumber(text); ok {
			return Value{Number: n}, "", nil
		}
		return Value{}, msgWantNumber, nil
	case KindDate:
		if d, ok := ParseDate(text, t.in.At); ok {
			return Value{Date: d}, "", nil
		}
		return Value{}, msgWantDate, nil
	case KindYesNo:
		if b, ok := ParseYesNo(text); ok {
			return Value{Bool: b}, "", nil
		}
		return Value{}, msgWantYesNo, nil
	case KindChoice:
		choices, err := t.choicesOf(ctx, st)
		if err != nil {
			return Value{}, "", err
		}
		if c, ok := ParseChoice(choices, text); ok {
			return Value{Text: c.Key}, "", nil
		}
		if len(choices) == 0 {
			return Value{}, msgNoChoices, nil
		}
		return Value{}, fmt.Sprintf(msgWantChoice, len(choices)), nil
	}
	return Value{}, "", fmt.Errorf("step %s: unknown kind %q", st.Key, st.Kind)
}

func (t *turn) choicesOf(ctx context.Context, st *Step) ([]Choice, error) {
	if c, ok := t.choices[st.Key]; ok {
		return c, nil
	}
	if st.Choices == nil {
		return nil, fmt.Errorf("step %s: a choice step needs Choices", st.Key)
	}
	c, err := st.Choices(ctx, t.s)
	if err != nil {
		return nil, fmt.Errorf("choices of %s: %w", st.Key, err)
	}
	if t.choices == nil {
		t.choices = make(map[string][]Choice)
	}
	t.choices[st.Key] = c
	return c, nil
}

// prompt renders the question of st: the flow's prompt, the numbered choices
// unless the prompt lists them, and hints for skipping, the current answer
// and photos received so far.
func (t *turn) prompt(ctx context.Context, st *Step) (string, error) {
	if st.Prompt == nil {
		return "", fmt.Errorf("step %s has no Prompt", st.Key)
	}
	p, err := st.Prompt(ctx, t.s)
	if err != nil {
		return "", fmt.Errorf("prompt of %s: %w", st.Key, err)
	}
	var b strings.Builder
	b.WriteString(p)
	var choices []Choice
	if st.Kind == KindChoice {
		if choices, err = t.choicesOf(ctx, st); err != nil {
			return "", err
		}
		if len(choices) > 0 && !listsChoices(p, choices) {
			b.WriteString("\n")
			b.WriteString(FormatChoices(choices))
		}
	}
	if st.Skippable && !strings.Contains(p, "跳过") {
		b.WriteString("\n" + msgSkippable)
	}
	if n := len(t.s.st.Pending); n > 0 && st.Key == t.s.st.Cur {
		b.WriteString("\n" + fmt.Sprintf(msgPhotosSoFar, n))
	} else if v, ok := t.s.Answers[st.Key]; ok {
		b.WriteString("\n" + fmt.Sprintf(msgCurrent, describe(st, choices, v)))
	}
	return b.String(), nil
}

// describe shows an answer in a line.
func describe(st *Step, choices []Choice, v Value) string {
	if v.Skipped {
		return msgSkipped
	}
	switch st.Kind {
	case KindChoice:
		for _, c := range choices {
			if c.Key == v.Text {
				return c.Label
			}
		}
		return v.Text
	case KindNumber:
		return strconv.FormatFloat(v.Number, 'f', -1, 64)
	case KindDate:
		return v.Date.In(clock.China).Format("2006-01-02")
	case KindYesNo:
		if v.Bool {
			return msgYes
		}
		return msgNo
	case KindPhoto:
		return fmt.Sprintf(msgNPhotos, len(v.Photos))
	case KindLocation:
		if v.Location == nil {
			return ""
		}
		if v.Location.Label != "" {
			return v.Location.Label
		}
		return fmt.Sprintf("%.5f, %.5f", v.Location.Lat, v.Location.Lng)
	}
	if r := []rune(v.Text); len(r) > describeLen {
		return string(r[:describeLen]) + "…"
	}
	return v.Text
}

// resume answers the resume question.
func (t *turn) resume(ctx context.Context) (Reply, error) {
	q := resumeQuestion(t.f, t.e.label(t.f, t.s))
	if t.in.Photo == nil && t.in.Location == nil {
		w := word(t.in.Text)
		switch {
		case isResumeYes(w):
			t.s.st.Ask, t.s.st.Fails = false, 0
			if err := t.loadSteps(ctx); err != nil {
				return Reply{}, err
			}
			st := t.current()
			if st == nil {
				return Reply{}, fmt.Errorf("no step applies")
			}
			p, err := t.prompt(ctx, st)
			if err != nil {
				return Reply{}, err
			}
			return t.commit(ctx, Reply{Text: fmt.Sprintf(msgResumed, noun(t.f)) + "\n\n" + p}, true)
		case isResumeNo(w) || isCancel(w):
			if t.f.Cancelled != nil {
				if err := t.f.Cancelled(ctx, t.s); err != nil {
					return Reply{}, fmt.Errorf("cancelled hook: %w", err)
				}
			}
			return t.e.finish(ctx, t.s, t.in, Reply{Text: fmt.Sprintf(msgDiscarded, noun(t.f))})
		}
		if ans, ok, err := t.interrupted(ctx); err != nil || ok {
			if err != nil {
				return Reply{}, err
			}
			return t.commit(ctx, Reply{Text: ans + msgRule + q}, false)
		}
	}
	return t.commit(ctx, Reply{Text: q}, false)
}

// commit records the reply against the input and saves the session.
func (t *turn) commit(ctx context.Context, r Reply, progress bool) (Reply, error) {
	t.s.remember(t.in.ID, r)
	if err := t.e.save(ctx, t.f, t.s, t.now, progress); err != nil {
		return Reply{}, err
	}
	return r, nil
}
