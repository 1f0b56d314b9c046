// Package errs defines the few kinds of error the service distinguishes and
// maps each kind, in one place, to an HTTP status and to a sentence a user can
// read. Feature packages return *Error values (or wrap them with fmt.Errorf
// and %w); the web and chat layers only ever look at the kind.
package errs

import (
	"errors"
	"fmt"
	"net/http"
)

// Kind classifies an error by what the caller can do about it.
type Kind string

const (
	// Internal is anything unexpected: logged with the request id, shown as a plain apology.
	Internal Kind = "internal"
	// Invalid means the input was wrong; the message says what to change.
	Invalid Kind = "invalid"
	// NotFound means the thing asked for does not exist (or is outside the caller's scope).
	NotFound Kind = "not_found"
	// Conflict means the change collides with existing data (duplicate key, stale revision).
	Conflict Kind = "conflict"
	// Unauthorized means the caller is not signed in or the signature is wrong.
	Unauthorized Kind = "unauthorized"
	// Forbidden means the caller is known but may not do this.
	Forbidden Kind = "forbidden"
	// Unavailable means a dependency is down or throttled; trying later may work.
	Unavailable Kind = "unavailable"
	// TooLarge means the request body exceeded its limit.
	TooLarge Kind = "too_large"
	// TooMany means a rate limit was hit.
	TooMany Kind = "too_many"
)

// Error is the service's error value. Message is safe to show a user (Chinese);
// Err carries the underlying cause for logs and is never shown.
type Error struct {
	Kind    Kind
	Message string
	// Fields holds per-field problems for Invalid errors (field → reason).
	Fields []FieldError
	Err    error
}

// FieldError names one problem with one input field.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e *Error) Error() string {
	switch {
	case e.Message != "" && e.Err != nil:
		return e.Message + ": " + e.Err.Error()
	case e.Message != "":
		return e.Message
	case e.Err != nil:
		return e.Err.Error()
	}
	return string(e.Kind)
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error of the given kind with a user-facing message.
func E(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a kind and user-facing message to an underlying cause.
func Wrap(kind Kind, err error, message string) *Error {
	return &Error{Kind: kind, Message: message, Err: err}
}

// InvalidFields builds an Invalid error listing every field problem.
func InvalidFields(message string, fields ...FieldError) *Error {
	return &Error{Kind: Invalid, Message: message, Fields: fields}
}

// KindOf reports the kind of err: the kind of the outermost *Error in its
// chain, or Internal for anything else. A nil error has no kind ("").
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is of the given kind.
func Is(err error, kind Kind) bool { return KindOf(err) == kind }

// MessageOf returns the user-facing message of err, or the default sentence
// for its kind when none was given. Internal errors never leak their text.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" && e.Kind != Internal {
		return e.Message
	}
	return defaultMessages[KindOf(err)]
}

// FieldsOf returns the per-field problems of an Invalid error.
func FieldsOf(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

var defaultMessages = map[Kind]string{
	Internal:     "系统开小差了，请稍后再试。",
	Invalid:      "输入有误，请检查后重试。",
	NotFound:     "没有找到相关内容。",
	Conflict:     "数据已存在或已被修改，请刷新后重试。",
	Unauthorized: "请先登录或验证身份。",
	Forbidden:    "您没有权限进行此操作。",
	Unavailable:  "服务暂时不可用，请稍后再试。",
	TooLarge:     "提交的内容过大。",
	TooMany:      "操作太频繁，请稍后再试。",
}

// HTTPStatus maps a kind to the HTTP status the web layer answers with.
func HTTPStatus(kind Kind) int {
	switch kind {
	case Invalid:
		return http.StatusBadRequest
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case Unauthorized:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case Unavailable:
		return http.StatusServiceUnavailable
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case TooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}
