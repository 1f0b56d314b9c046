package wechat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/shianbao/shianbao/internal/errs"
)

// Error codes the service acts on. The platform documents hundreds; these are
// the ones that change what a caller does next.
const (
	CodeSystemBusy      = -1    // 系统繁忙: try again
	CodeInvalidToken    = 40001 // access_token invalid or not the latest
	CodeInvalidOpenID   = 40003 // openid not of this account
	CodeMalformedToken  = 40014 // malformed access_token
	CodeInvalidCode     = 40029 // OAuth code unknown or expired
	CodeCodeUsed        = 40163 // OAuth code already exchanged
	CodeTokenExpired    = 42001 // access_token expired
	CodeNotFollowing    = 43004 // the user does not follow the account
	CodeBlacklisted     = 43019 // the account put the user on its blacklist
	CodeRefused         = 43101 // the user refused subscribe notifications
	CodeQuota           = 45009 // daily quota or frequency limit (also WeCom robot: 20/min)
	CodeMinuteQuota     = 45011 // per-minute API limit
	CodeOutsideWindow   = 45015 // customer-service window (48 h after the user's message) closed
	CodeOutOfReplyCount = 45047 // the window's message allowance (5 per user message) used up
)

// Error is what every outbound call returns on failure, whichever of the
// SDK's error styles the failure arrived in. Its text never contains an
// access token, the AppSecret, an OAuth code or a webhook key, so it may be
// logged as is.
type Error struct {
	// Op names the call: "template send", "custom send", "token", "robot send", ...
	Op string
	// Code is the platform's errcode; 0 when the call failed before the
	// platform answered (network, HTTP status, local validation).
	Code int
	// Msg is the platform's errmsg or a description of the failure, redacted.
	Msg string
	// Temporary is set for network failures, timeouts, HTTP 5xx and
	// "system busy" (-1): the same call may succeed later.
	Temporary bool
	// RetryAfter, when positive, is how long to wait before the next attempt
	// (set for throttling).
	RetryAfter time.Duration

	// kind overrides the derived kind for failures found before any call
	// (bad input is errs.Invalid).
	kind errs.Kind
	// cause is kept only when it is safe to expose: a context error, so that
	// errors.Is(err, context.Canceled) works for callers.
	cause error
}

// Error returns "wechat <op>: errcode <code>: <msg>", redacted.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("wechat ")
	b.WriteString(e.Op)
	if e.Code != 0 {
		b.WriteString(": errcode ")
		b.WriteString(strconv.Itoa(e.Code))
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(Redact(e.Msg))
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter.Round(time.Second))
	}
	return b.String()
}

// Unwrap exposes the service's error kind (so errs.KindOf works) and, for a
// call cut short by its context, the context's error.
func (e *Error) Unwrap() []error {
	out := []error{&errs.Error{Kind: e.Kind()}}
	if e.cause != nil {
		out = append(out, e.cause)
	}
	return out
}

// Kind classifies the failure for the web and chat layers: Unavailable when
// trying later may work, Unauthorized for a bad OAuth code, Invalid for input
// refused before any call, Internal otherwise.
func (e *Error) Kind() errs.Kind {
	switch {
	case e.kind != "":
		return e.kind
	case e.Temporary, e.Throttled(), e.TokenInvalid():
		return errs.Unavailable
	case e.Code == CodeInvalidCode || e.Code == CodeCodeUsed:
		return errs.Unauthorized
	}
	return errs.Internal
}

// Unreachable reports that the user cannot be sent anything on this channel:
// not following (43004), refused subscribe notifications (43101), blacklisted
// (43019) or not a user of this account at all (40003). Retrying is useless.
func (e *Error) Unreachable() bool {
	switch e.Code {
	case CodeNotFollowing, CodeRefused, CodeBlacklisted, CodeInvalidOpenID:
		return true
	}
	return false
}

// Throttled reports a quota or frequency limit (45009, 45011); wait
// RetryAfter (or back off) before trying again.
func (e *Error) Throttled() bool {
	return e.Code == CodeQuota || e.Code == CodeMinuteQuota
}

// OutsideWindow reports that a customer-service message is not allowed now:
// the 48-hour window after the user's last message has closed (45015) or its
// allowance is used up (45047). Waiting does not help until the user writes
// again, so the caller falls back to a template message.
func (e *Error) OutsideWindow() bool {
	return e.Code == CodeOutsideWindow || e.Code == CodeOutOfReplyCount
}

// TokenInvalid reports that the access token was rejected (40001, 40014,
// 42001). The client has already dropped it and retried once; seeing this
// means the retry failed too.
func (e *Error) TokenInvalid() bool {
	switch e.Code {
	case CodeInvalidToken, CodeMalformedToken, CodeTokenExpired:
		return true
	}
	return false
}

// AsError finds the *Error in err's chain.
func AsError(err error) (*Error, bool) {
	return errors.AsType[*Error](err)
}

// invalid is an error for input refused before any call is made.
func invalid(op, msg string) *Error {
	return &Error{Op: op, Msg: msg, kind: errs.Invalid}
}

const redacted = "REDACTED"

var (
	// Query parameters (and form fields) whose value is a credential. The
	// leading \b keeps "errcode=" and "statusCode=" intact.
	secretParam = regexp.MustCompile(`(?i)\b(access_token|refresh_token|token|secret|appsecret|corpsecret|code|key|ticket|response_code|password|sig|signature|msg_signature)=[^&\s"'#;,)]*`)
	// The same names as JSON fields.
	secretField = regexp.MustCompile(`(?i)"(access_token|refresh_token|token|secret|appsecret|corpsecret|code|key|ticket|response_code|password)"\s*:\s*"[^"]*"`)
)

// Redact removes credentials from s: the values of access_token=, secret=,
// appsecret=, code=, key=, ticket= and similar query parameters, and the same
// names as JSON string fields. The SDK puts full request URLs (with the token
// or the AppSecret) into its error texts; every text that leaves this package
// goes through Redact.
func Redact(s string) string {
	s = secretParam.ReplaceAllString(s, "${1}="+redacted)
	return secretField.ReplaceAllString(s, `"${1}":"`+redacted+`"`)
}

var (
	errcodeText = regexp.MustCompile(`errcode"?\s*[=:]\s*(-?\d+)`)
	errmsgText  = regexp.MustCompile(`(?:errmsg|errormsg)"?\s*[=:]\s*(.*)$`)
	statusText  = regexp.MustCompile(`statusCode=(\d+)`)
)

// normalize turns any error from the SDK or the HTTP layer into *Error.
// scrub lists literal values (the AppSecret, the token in use, a webhook key)
// to remove from the text in case they appear outside a recognised parameter.
func normalize(op string, err error, scrub ...string) *Error {
	if err == nil {
		return nil
	}
	if e, ok := AsError(err); ok {
		if e.Op == "" {
			e.Op = op
		}
		return e
	}
	clean := func(s string) string {
		for _, v := range scrub {
			if v != "" {
				s = strings.ReplaceAll(s, v, redacted)
			}
		}
		return Redact(s)
	}
	e := &Error{Op: op}
	var ce *util.CommonError
	var ue *url.Error
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		// The style of menu, subscribe and the other DecodeWithCommonError users.
		e.Code, e.Msg = int(ce.ErrCode), clean(ce.ErrMsg)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e.Temporary = true
		e.Msg = "request cut short: " + contextCause(err).Error()
		e.cause = contextCause(err)
	case errors.As(err, &ue), errors.As(err, &ne):
		// url.Error carries the request URL; only its redacted text is kept.
		e.Temporary, e.Msg = true, clean(err.Error())
	default:
		text := err.Error()
		if m := errcodeText.FindStringSubmatch(text); m != nil {
			// The fmt style of template, custom, OAuth and stable-token errors.
			e.Code, _ = strconv.Atoi(m[1])
			if mm := errmsgText.FindStringSubmatch(text); mm != nil {
				e.Msg = clean(strings.Trim(mm[1], ` "}`))
			}
		} else if m := statusText.FindStringSubmatch(text); m != nil {
			// The SDK's "http post error : uri=<URL with token>, statusCode=500":
			// the URL is dropped, not just redacted.
			status, _ := strconv.Atoi(m[1])
			e.Msg = "http status " + m[1]
			e.Temporary = status >= 500 || status == 429
		} else {
			e.Msg = clean(text)
		}
	}
	if e.Code == CodeSystemBusy {
		e.Temporary = true
	}
	if e.Throttled() && e.RetryAfter == 0 {
		e.RetryAfter = time.Minute
	}
	return e
}

// contextCause returns the context sentinel inside err.
func contextCause(err error) error {
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	return context.DeadlineExceeded
}

// checkCommon turns a decoded errcode into *Error; the WeCom robot API
// reports failures this way with a nil Go error.
func checkCommon(op string, ce util.CommonError) error {
	if ce.ErrCode == 0 {
		return nil
	}
	return normalize(op, &util.CommonError{ErrCode: ce.ErrCode, ErrMsg: ce.ErrMsg})
}
