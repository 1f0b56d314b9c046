package dialog

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
)

// seenInputs is how many recent input ids a session remembers. Platforms
// redeliver within seconds, so a short window is enough.
const seenInputs = 20

// Session is the state of one user's conversation in one flow. Steps read
// earlier answers from it; everything in it is persisted between turns.
type Session struct {
	// ID is random and stable for the whole conversation (and its draft).
	ID   string
	User string
	Flow string
	// Started is when the flow started.
	Started time.Time
	// Answers holds the validated answers by step key.
	Answers map[string]Value
	// Data is flow-private scratch (e.g. the chosen business id and name).
	// Flows with a typed state (StateOf) keep it here too, one entry per
	// field.
	Data map[string]string

	st state
	// state is the flow's typed state once StateOf or Start set it; it is
	// written back into Data when the session is saved.
	state any
	// setBy, while a shortcut runs, records the answers it sets.
	setBy map[string]bool
}

// state is the engine's bookkeeping, persisted with the session.
type state struct {
	// Cur is the key of the step being asked.
	Cur string `json:"cur,omitempty"`
	// History is the keys of the steps answered to get here, in order;
	// 返回 pops it.
	History []string `json:"hist,omitempty"`
	// Pending holds the photos of an unfinished Multi step.
	Pending []Photo `json:"pend,omitempty"`
	// Fails counts invalid inputs in a row on the current step.
	Fails int `json:"fails,omitempty"`
	// Seen is the ids of the last inputs applied; Last is the last reply.
	Seen []string `json:"seen,omitempty"`
	Last Reply    `json:"last,omitzero"`
	// Expires is when the session lapses by the engine's clock (kv expiry
	// runs on real time, which tests and the simulator cannot move).
	Expires time.Time `json:"exp,omitzero"`
	// Ask is set while the resume question waits for its answer; Then is
	// the command that asked it (上报督导 again), run afresh on 重新开始.
	Ask  bool   `json:"ask,omitempty"`
	Then string `json:"then,omitempty"`
	// Switch is a command typed mid-flow that waits for 是要切换到…吗？
	Switch string `json:"sw,omitempty"`
	// SwitchTap is set when that command was tapped on the menu.
	SwitchTap bool `json:"swt,omitempty"`
	// Back is the step a shortcut jumped back from (停业 or 对接人 at the
	// summary): once the amended answer is given, the steps answered in
	// between are passed over on the way back to it.
	Back string `json:"back,omitempty"`
	// Pre is the keys of the steps answered at the start (a whole report
	// in one message), passed over on the way forward.
	Pre []string `json:"pre,omitempty"`
	// Label is the draft's label when the flow cannot tell it (kept for
	// the resume question of a draft saved by an earlier version).
	Label string `json:"lbl,omitempty"`
	// Ended marks a finished conversation kept briefly so a repeated
	// delivery of its last message gets the same reply.
	Ended bool `json:"end,omitempty"`
	// Filled is the steps answered from outside the chat (Fill): going on
	// from a step passes over them, as over a shortcut's answers.
	Filled []string `json:"fill,omitempty"`
	// Outside marks a conversation that ended outside the chat (Fill's
	// submit): the next message in the chat hears so, once.
	Outside bool `json:"out,omitempty"`
}

// Answer returns the answer to step key.
func (s *Session) Answer(key string) (Value, bool) {
	v, ok := s.Answers[key]
	return v, ok
}

// Set stores an answer; steps and shortcuts use it to pre-fill later steps.
func (s *Session) Set(key string, v Value) {
	if s.Answers == nil {
		s.Answers = make(map[string]Value)
	}
	s.Answers[key] = v
	if s.setBy != nil {
		s.setBy[key] = true
	}
}

// Preset answers step key as if the user had said it at the start (as
// StartWith's answers): the step is passed over on the way forward. A
// step's Validate uses it to fill later steps from what it learns.
func (s *Session) Preset(key string, v Value) {
	s.Set(key, v)
	if !slices.Contains(s.st.Pre, key) {
		s.st.Pre = append(s.st.Pre, key)
	}
}

// Get returns a Data entry ("" when absent).
func (s *Session) Get(k string) string { return s.Data[k] }

// Put sets a Data entry.
func (s *Session) Put(k, v string) {
	if s.Data == nil {
		s.Data = make(map[string]string)
	}
	s.Data[k] = v
}

// seen reports whether input id was already applied.
func (s *Session) seen(id string) bool { return id != "" && slices.Contains(s.st.Seen, id) }

// remember records the input applied and the reply it got.
func (s *Session) remember(id string, r Reply) {
	if id != "" {
		s.st.Seen = append(s.st.Seen, id)
		if n := len(s.st.Seen); n > seenInputs {
			s.st.Seen = slices.Clone(s.st.Seen[n-seenInputs:])
		}
	}
	s.st.Last = r
}

// hasProgress reports whether there is anything worth a draft.
func (s *Session) hasProgress() bool { return len(s.Answers) > 0 || len(s.st.Pending) > 0 }

// sessionJSON is the stored form of a Session.
type sessionJSON struct {
	ID      string            `json:"id"`
	User    string            `json:"u"`
	Flow    string            `json:"f"`
	Started time.Time         `json:"t,omitzero"`
	Answers map[string]Value  `json:"a,omitempty"`
	Data    map[string]string `json:"d,omitempty"`
	State   state             `json:"s"`
}

func encodeSession(s *Session) ([]byte, error) {
	s.flushState()
	b, err := json.Marshal(sessionJSON{ID: s.ID, User: s.User, Flow: s.Flow, Started: s.Started,
		Answers: s.Answers, Data: s.Data, State: s.st})
	if err != nil {
		return nil, fmt.Errorf("encode dialog session: %w", err)
	}
	return b, nil
}

func decodeSession(b []byte) (*Session, error) {
	var w sessionJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("decode dialog session: %w", err)
	}
	// JSON keeps only the offset; give dates back their zone so Submit
	// formats and compares them as it would have before the round trip.
	for k, v := range w.Answers {
		if !v.Date.IsZero() {
			v.Date = v.Date.In(clock.China)
			w.Answers[k] = v
		}
	}
	return &Session{ID: w.ID, User: w.User, Flow: w.Flow, Started: w.Started.In(clock.China),
		Answers: w.Answers, Data: w.Data, st: w.State}, nil
}
