package wechat

import (
	"errors"

	"github.com/shianbao/shianbao/internal/chat"
)

// Observer hears how the callbacks' turns end and why requests are
// refused, for metrics. Labels come from fixed sets: the channel ("oa",
// "wecom"), the outcome, a reason slug.
type Observer interface {
	// CallbackTurn is one delivery's outcome: "answered" (in the reply,
	// or through WeCom's response_url), "late" (the budget ran out; the
	// answer follows as a late reply) or "deduplicated" (a platform retry
	// given the answer of the delivery that ran the turn).
	CallbackTurn(channel, outcome string)
	// CallbackRefused is a request refused before any turn: "signature",
	// "timestamp", "replay", "plaintext", "no_aes_key", "malformed",
	// "too_large", "method", "internal" or "other".
	CallbackRefused(channel, reason string)
	// LateReplyFailed is a late reply the platform did not take.
	LateReplyFailed(channel string)
}

// Turn outcomes.
const (
	turnAnswered     = "answered"
	turnLate         = "late"
	turnDeduplicated = "deduplicated"
)

// Observe makes the callback report to o. Call it before serving.
func (cb *Callback) Observe(o Observer) { cb.turns.obs = o }

// Observe makes the callback report to o. Call it before serving.
func (cb *WeComCallback) Observe(o Observer) { cb.turns.obs = o }

func (cb *Callback) refused(err error)      { cb.turns.refused(chat.ChannelOA, err) }
func (cb *WeComCallback) refused(err error) { cb.turns.refused(chat.ChannelWeCom, err) }

func (t *turns) refused(ch chat.Channel, err error) {
	if t.obs != nil {
		t.obs.CallbackRefused(string(ch), refusalReason(err))
	}
}

// observeTurn reports how a delivery of in ended.
func (t *turns) observeTurn(in chat.Inbound, answered, repeat bool) {
	if t.obs == nil {
		return
	}
	outcome := turnAnswered
	switch {
	case !answered:
		outcome = turnLate
	case repeat:
		outcome = turnDeduplicated
	}
	t.obs.CallbackTurn(string(in.Channel), outcome)
}

func (t *turns) lateFailed(in chat.Inbound) {
	if t.obs != nil {
		t.obs.LateReplyFailed(string(in.Channel))
	}
}

// refusalSlugs turn the refusals' log reasons into a metric's label.
var refusalSlugs = map[string]string{
	"bad URL signature":                           "signature",
	"bad message signature":                       "signature",
	"bad timestamp":                               "timestamp",
	"timestamp outside replay window":             "timestamp",
	"nonce reused with a different body":          "replay",
	"plaintext message to an encrypted account":   "plaintext",
	"encrypted message but no AES key configured": "no_aes_key",
	"malformed safe-mode envelope":                "malformed",
	"undecodable message":                         "malformed",
	"malformed JSON envelope":                     "malformed",
	"undecryptable message":                       "malformed",
	"undecryptable echostr":                       "malformed",
	"malformed message":                           "malformed",
	"unreadable body":                             "malformed",
	"body over limit":                             "too_large",
	"method not allowed":                          "method",
}

// refusalReason is the label of a refusal: a slug for the known reasons,
// "internal" for an error that is not a refusal, "other" for a refusal
// added without a slug.
func refusalReason(err error) string {
	var ce *callbackError
	if !errors.As(err, &ce) {
		return "internal"
	}
	if slug, ok := refusalSlugs[ce.reason]; ok {
		return slug
	}
	return "other"
}
