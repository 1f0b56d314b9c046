package dialog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
)

// Nothing a user taps or types loses a conversation. A command typed (or a
// menu tapped) in the middle of a flow is answered and the flow kept: the
// same flow's command asks 继续 or 重新开始, another flow's asks whether
// to switch, and switching puts the conversation aside — parked under the
// user and its flow — until the flow's command asks to continue it. So
// does 暂存, and so do five failed answers in a row.

// command reports the flow a text starts, if it is a command.
func (t *turn) command(text string) (string, bool) {
	if t.e.command == nil || text == "" || t.in.Photo != nil || t.in.Location != nil {
		return "", false
	}
	return t.e.command(text)
}

// resumeQuestion asks whether to continue the session: offered again by
// its command (继续 / 重新开始) or after it lapsed (继续 / 放弃).
func (t *turn) resumeQuestion() question {
	where := ""
	if t.f.Progress != nil {
		where = t.f.Progress(t.s, t.s.st.Cur)
	}
	label := t.e.label(t.f, t.s)
	if label == "" {
		label = t.s.st.Label
	}
	return resumeAsk(t.f, label, where, t.s.st.Then != "")
}

// resume answers the resume question.
func (t *turn) resume(ctx context.Context) (Reply, error) {
	q := t.resumeQuestion()
	if t.in.Photo != nil || t.in.Location != nil {
		return t.commit(ctx, q.reply(""), false)
	}
	text := strings.TrimSpace(t.in.Text)
	w := word(text)
	switch {
	case isResumeYes(w):
		t.s.st.Ask, t.s.st.Then, t.s.st.Fails = false, "", 0
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
		return t.commit(ctx, p.reply(fmt.Sprintf(msgResumed, noun(t.f))), true)
	case isResumeNo(w) || isCancel(w):
		if t.f.Cancelled != nil {
			if err := t.f.Cancelled(ctx, t.s); err != nil {
				return Reply{}, fmt.Errorf("cancelled hook: %w", err)
			}
		}
		return t.e.finish(ctx, t.s, t.in, Reply{Text: fmt.Sprintf(msgDiscarded, noun(t.f)), Then: t.s.st.Then})
	}
	if flow, ok := t.command(text); ok {
		if flow != t.s.Flow {
			return t.park(ctx, "", text)
		}
		t.s.st.Then = text
		return t.commit(ctx, t.resumeQuestion().reply(""), false)
	}
	if ans, ok, err := t.interrupted(ctx); err != nil || ok {
		if err != nil {
			return Reply{}, err
		}
		return t.commit(ctx, q.under(ans+msgRule), false)
	}
	return t.commit(ctx, q.reply(""), false)
}

// commanded answers a command typed on step st: the flow's own command
// asks 继续 or 重新开始, another asks whether to switch to it.
func (t *turn) commanded(ctx context.Context, st *Step, text, flow string) (Reply, error) {
	if flow == t.s.Flow {
		if !t.s.hasProgress() {
			// Nothing to lose: start afresh.
			return t.e.finish(ctx, t.s, t.in, Reply{Then: text})
		}
		t.s.st.Ask, t.s.st.Then = true, text
		return t.commit(ctx, t.resumeQuestion().reply(""), false)
	}
	t.s.st.Switch, t.s.st.SwitchTap = text, t.in.Menu
	stay := fmt.Sprintf(msgSwitchStay, noun(t.f))
	if st.Kind == KindText && !t.in.Menu {
		title := st.Title
		if title == "" {
			title = msgTitleAnswer
		}
		stay = fmt.Sprintf(msgSwitchIsAnswer, title)
	}
	q := fmt.Sprintf(msgSwitch, text, stay)
	return t.commit(ctx, Reply{Text: q, Menu: newMenu(fmt.Sprintf(msgSwitchHead, text), "", []string{msgYes, msgNo})}, false)
}

// switched answers 是要切换到…吗？: yes puts the flow aside and runs the
// command; no takes the command's words as the answer to a free-text
// step, or asks the step again.
func (t *turn) switched(ctx context.Context, st *Step, cmd string, tapped, yes bool) (Reply, error) {
	if yes {
		return t.park(ctx, "", cmd)
	}
	if st.Kind == KindText && !tapped {
		return t.accept(ctx, st, Value{Text: cmd})
	}
	q, err := t.prompt(ctx, st)
	if err != nil {
		return Reply{}, err
	}
	return t.commit(ctx, q.reply(msgStaying), false)
}

// stuck is what three failed answers in a row add: help, and two ways out.
func (t *turn) stuck() string {
	if t.f.Command == "" {
		return msgStuck
	}
	return fmt.Sprintf(msgStuckPark, noun(t.f))
}

// park puts the conversation aside (prefix before the sentence saying so)
// and ends the session; then, when set, is the command to run next.
func (t *turn) park(ctx context.Context, prefix, then string) (Reply, error) {
	text := prefix
	if t.s.hasProgress() {
		t.s.st.Ask, t.s.st.Then, t.s.st.Switch, t.s.st.Fails = false, "", "", 0
		if err := t.e.saveParked(ctx, t.f, t.s, t.now); err != nil {
			return Reply{}, err
		}
		where := ""
		if t.f.Progress != nil {
			where = t.f.Progress(t.s, t.s.st.Cur)
		}
		text += parkedLine(t.f, t.e.label(t.f, t.s), where)
	} else if text == "" && then == "" {
		text = msgNothingToPark
	}
	return t.e.finish(ctx, t.s, t.in, Reply{Text: text, Then: then})
}

// parkKey names a conversation put aside: one per user and flow.
func parkKey(user, flow string) string { return user + "#" + flow }

// saveParked keeps s aside, in the draft store (or kv without one), for
// as long as a draft lasts.
func (e *Engine) saveParked(ctx context.Context, f *Flow, s *Session, now time.Time) error {
	b, err := encodeSession(s)
	if err != nil {
		return err
	}
	key := parkKey(s.User, s.Flow)
	if e.drafts != nil {
		d := Draft{User: key, Flow: s.Flow, Label: e.label(f, s), State: b, UpdatedAt: now, ExpiresAt: now.Add(e.draftTTL)}
		if err := e.draftStore(ctx).Save(ctx, d); err != nil {
			return fmt.Errorf("park draft: %w", err)
		}
		return nil
	}
	if err := e.kv.Set(ctx, e.prefix+"p:"+key, string(b), e.draftTTL); err != nil {
		return errs.Wrap(errs.Unavailable, fmt.Errorf("park session: %w", err), "")
	}
	return nil
}

// loadParked returns the user's conversation of flow put aside, or nil.
func (e *Engine) loadParked(ctx context.Context, user, flow string, now time.Time) (*Session, error) {
	key := parkKey(user, flow)
	var raw []byte
	if e.drafts != nil {
		d, err := e.draftStore(ctx).Load(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("load parked draft: %w", err)
		}
		if d == nil || (!d.ExpiresAt.IsZero() && !now.Before(d.ExpiresAt)) {
			return nil, nil
		}
		raw = d.State
	} else {
		v, err := e.kv.Get(ctx, e.prefix+"p:"+key)
		if errors.Is(err, kv.ErrMiss) {
			return nil, nil
		}
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, fmt.Errorf("load parked session: %w", err), "")
		}
		raw = []byte(v)
	}
	s, err := decodeSession(raw)
	if err != nil || s.Flow != flow {
		return nil, e.deleteParked(ctx, user, flow)
	}
	s.User = user
	return s, nil
}

func (e *Engine) deleteParked(ctx context.Context, user, flow string) error {
	key := parkKey(user, flow)
	if e.drafts != nil {
		if err := e.draftStore(ctx).Delete(ctx, key); err != nil {
			return fmt.Errorf("drop parked draft: %w", err)
		}
		return nil
	}
	if err := e.kv.Delete(ctx, e.prefix+"p:"+key); err != nil {
		return errs.Wrap(errs.Unavailable, fmt.Errorf("drop parked session: %w", err), "")
	}
	return nil
}

// Offer asks the user whether to continue their conversation of flow — a
// live one, its draft, or one put aside — when there is one with answers:
// 继续「店名」的督导（第2/4项）？1 继续 / 2 重新开始. then is the command
// that asked (上报督导), answered again on 重新开始 through Reply.Then.
// offered is false when there is nothing to continue; the caller starts
// the flow afresh. A conversation of another flow the user is in is put
// aside in its place.
func (e *Engine) Offer(ctx context.Context, user, flow string, in Input, then string) (r Reply, offered bool, err error) {
	f := e.flows[flow]
	if f == nil {
		return Reply{}, false, fmt.Errorf("dialog offer: unknown flow %q", flow)
	}
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
	var cur *Session // the conversation the user is in, if any
	if s != nil && !s.st.Ended && now.Before(s.st.Expires) {
		cur = s
	} else if _, ds, err := e.loadDraft(ctx, user, now); err != nil {
		return Reply{}, false, err
	} else {
		cur = ds
	}
	cand := cur
	if cand == nil || cand.Flow != flow || !cand.hasProgress() {
		if cand, err = e.loadParked(ctx, user, flow, now); err != nil || cand == nil {
			return Reply{}, false, err
		}
		if cur != nil && cur.Flow != flow && cur.hasProgress() {
			if err := e.saveParked(ctx, e.flows[cur.Flow], cur, now); err != nil {
				return Reply{}, false, err
			}
		}
		if err := e.deleteParked(ctx, user, flow); err != nil {
			return Reply{}, false, err
		}
	}
	r, err = e.ask(ctx, f, cand, in, then, now)
	return r, true, err
}

// ask puts the resume question on s, the user's conversation of f.
func (e *Engine) ask(ctx context.Context, f *Flow, s *Session, in Input, then string, now time.Time) (Reply, error) {
	s.st.Ask, s.st.Then, s.st.Switch, s.st.Fails, s.st.Ended = true, then, "", 0, false
	t := &turn{e: e, f: f, s: s, in: in, now: now}
	r, err := t.commit(ctx, t.resumeQuestion().reply(""), true)
	if err != nil {
		return Reply{}, fmt.Errorf("dialog offer %s: %w", f.Name, err)
	}
	return r, nil
}
