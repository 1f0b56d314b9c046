package notify

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Address is one chat identity a person can be reached at.
type Address struct {
	// Channel is "oa" (Official Account; UserID is an openid) or "wecom".
	// Only oa identities can receive template, subscribe and
	// customer-service messages.
	Channel string
	UserID  string
	// LastMessageAt is when the user last wrote: customer-service messages
	// are allowed for 48 hours after it.
	LastMessageAt *time.Time
	// Reachable is false after the user unfollowed the account.
	Reachable bool
}

// Directory resolves a person to their bound identities at send time, so
// someone who binds after a message was queued still gets it.
type Directory interface {
	Addresses(ctx context.Context, kind RecipientKind, id int64) ([]Address, error)
}

// UnreachableMarker is what a Directory may also implement to learn that the
// platform refused a user as not following the account (43004), so later
// messages to them are settled without a call.
type UnreachableMarker interface {
	MarkUnreachable(ctx context.Context, channel, userID string) error
}

// Senders are the channels' send calls. A nil sender makes its channel
// unavailable. Failures are *SendError (the app's adapters translate the
// platform client's errors); any other error counts as temporary.
type Senders struct {
	// Template sends a template message with clientMsgID as the platform's
	// idempotency key and returns the platform's message id.
	Template func(ctx context.Context, toUser, templateID, url string, data map[string]string, clientMsgID string) (platformMsgID int64, err error)
	// Subscribe sends a subscribe notification opening page.
	Subscribe func(ctx context.Context, toUser, templateID, page string, data map[string]string) error
	// Custom sends a customer-service text message with a link to url.
	Custom func(ctx context.Context, toUser, text, url string) error
	// Robot posts markdown to a WeCom group (an office short name; the
	// adapter knows the group's webhook key).
	Robot func(ctx context.Context, group, markdown string) error
}

// SendError is a failed send, classified by what the dispatcher does next.
type SendError struct {
	// Code is the platform's errcode, 0 when the call did not get an answer.
	Code int
	// Msg is the platform's message or a description, with no credentials.
	Msg string
	// Unreachable: the user cannot receive this (43004 not following, 43019
	// blacklisted, 43101 refused, no robot for the group). Not retried.
	Unreachable bool
	// Throttled: a quota or frequency limit (45009, a robot's 20 a minute).
	// The channel waits RetryAfter; the attempt does not count.
	Throttled bool
	// OutsideWindow: a customer-service message outside the 48-hour window
	// (45015, 45047). A template message is sent instead.
	OutsideWindow bool
	// TokenInvalid: the access token was refused even after the client's own
	// refresh (40001, 42001). Retried.
	TokenInvalid bool
	// Temporary: network failures, timeouts, HTTP 5xx, "system busy". Retried.
	Temporary bool
	// RetryAfter, when positive, is how long to wait.
	RetryAfter time.Duration
}

// Error returns "errcode <code>: <msg>".
func (e *SendError) Error() string {
	var b strings.Builder
	if e.Code != 0 {
		b.WriteString("errcode ")
		b.WriteString(strconv.Itoa(e.Code))
		if e.Msg != "" {
			b.WriteString(": ")
		}
	}
	b.WriteString(e.Msg)
	if b.Len() == 0 {
		return "send failed"
	}
	return b.String()
}

// ErrNoRobot is what a Robot sender returns for a group it has no webhook
// key for: the group is unreachable until one is configured.
var ErrNoRobot = &SendError{Unreachable: true, Msg: reasonNoRobot}

// asSendError classifies any error a sender returned: unknown errors are
// temporary, since a retry is cheap and a platform error we do not know may
// well pass.
func asSendError(err error) *SendError {
	if se, ok := errors.AsType[*SendError](err); ok {
		return se
	}
	return &SendError{Msg: err.Error(), Temporary: true}
}

// Template is the template message (or subscribe notification) a kind of
// message is sent as.
type Template struct {
	ID string
	// Fields maps a template field (thing1, time2, ...) to "title" (the
	// message's Title) or a key of the message's Fields.
	Fields map[string]string
}

// maxFieldRunes is the platform's cut for each template field since 2023.
const maxFieldRunes = 20

// data renders n into the template's fields, each cut to 20 characters:
// the platform cuts them anyway, and a cut of our own ends in "…".
func (t Template) data(n *Notification) map[string]string {
	out := make(map[string]string, len(t.Fields))
	for field, key := range t.Fields {
		var v string
		if key == "title" {
			v = n.Title
		} else {
			v = n.Fields[key]
		}
		v = strings.TrimSpace(v)
		if v == "" {
			// The platform refuses an empty field (47003).
			v = "-"
		}
		out[field] = cutRunes(v, maxFieldRunes)
	}
	return out
}

// cutRunes shortens s to at most n runes, the last being "…" when cut.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// cutBytes shortens s to at most n bytes on a rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
