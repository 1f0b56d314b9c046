package dialog

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/message"
)

// Asking a step's question and reading the answer to it.

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

// question is a step's question: its text and, for a choice, its options
// as a tappable menu.
type question struct {
	text string
	menu *message.Menu
}

// reply is the question as a reply, after prefix (a reason, an
// acknowledgement) when there is one.
func (q question) reply(prefix string) Reply {
	r := Reply{Text: q.text, Menu: q.menu}
	if prefix == "" {
		return r
	}
	r.Text = prefix + "\n\n" + q.text
	if r.Menu != nil {
		m := *r.Menu
		m.Head = prefix + "\n\n" + m.Head
		r.Menu = &m
	}
	return r
}

// under is the question as a reply under an answer given in passing (the
// separator is in the answer); the menu stays the question's alone.
func (q question) under(answer string) Reply {
	return Reply{Text: answer + q.text, Menu: q.menu}
}

// prompt renders the question of st: the flow's prompt, the numbered choices
// unless the prompt lists them, and hints for skipping, the current answer
// and photos received so far. A choice or yes/no question also gets its
// options as a menu: the question above them, the hints below.
func (t *turn) prompt(ctx context.Context, st *Step) (question, error) {
	if st.Prompt == nil {
		return question{}, fmt.Errorf("step %s has no Prompt", st.Key)
	}
	p, err := st.Prompt(ctx, t.s)
	if err != nil {
		return question{}, fmt.Errorf("prompt of %s: %w", st.Key, err)
	}
	var b, tail strings.Builder
	b.WriteString(p)
	head := p
	var choices []Choice
	var options []string
	switch st.Kind {
	case KindChoice:
		if choices, err = t.choicesOf(ctx, st); err != nil {
			return question{}, err
		}
		if len(choices) > 0 && !listsChoices(p, choices) {
			b.WriteString("\n")
			b.WriteString(FormatChoices(choices))
		} else if len(choices) > 0 {
			head = strings.TrimSpace(p[:listStart(p, choices)])
		}
		for _, c := range choices {
			options = append(options, c.Label)
		}
	case KindText:
		if st.Options != nil {
			options = st.Options(t.s)
			if i := strings.Index(p, "\n1. "); i >= 0 {
				head = p[:i]
			}
		}
	case KindYesNo:
		options = st.Menu
		if len(options) == 0 {
			options = []string{msgYes, msgNo}
		}
		if !strings.Contains(p, "回复") {
			tail.WriteString("\n" + msgYesNoOptions)
		}
	}
	if st.Skippable && !strings.Contains(p, "跳过") {
		tail.WriteString("\n" + msgSkippable)
	}
	if n := len(t.s.st.Pending); n > 0 && st.Key == t.s.st.Cur {
		tail.WriteString("\n" + fmt.Sprintf(msgPhotosSoFar, n))
	} else if v, ok := t.s.Answers[st.Key]; ok {
		tail.WriteString("\n" + fmt.Sprintf(msgCurrent, describe(st, choices, v)))
	}
	b.WriteString(tail.String())
	return question{text: b.String(), menu: newMenu(head, strings.TrimSpace(tail.String()), options)}, nil
}

// newMenu offers options as a tappable menu; nil when there are none or
// more than the platform shows (the text still lists them all).
func newMenu(head, tail string, options []string) *message.Menu {
	if len(options) == 0 || len(options) > message.MaxMenuOptions {
		return nil
	}
	m := &message.Menu{Head: head, Tail: tail, Options: make([]message.MenuOption, len(options))}
	for i, o := range options {
		m.Options[i] = message.MenuOption{ID: strconv.Itoa(i + 1), Text: o}
	}
	return m
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
