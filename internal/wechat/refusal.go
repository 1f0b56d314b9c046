package wechat

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// What the Official Account and WeCom callbacks share: one way to refuse a
// request, to read its body and to check its timestamp.

// callbackError is a refusal with its status; its text goes to the log
// only, the platform gets a bare status.
type callbackError struct {
	status int
	reason string
}

func (e *callbackError) Error() string { return e.reason }

func refuse(status int, reason string) error { return &callbackError{status: status, reason: reason} }

// serveCallback routes GET (URL verification) and POST (a message) and
// answers an error with its bare status, logging the reason as what
// (e.g. "wechat callback refused") and telling refused.
func serveCallback(w http.ResponseWriter, r *http.Request, log *slog.Logger, what string, refused func(error), get, post func(http.ResponseWriter, *http.Request) error) {
	var err error
	switch r.Method {
	case http.MethodGet:
		err = get(w, r)
	case http.MethodPost:
		err = post(w, r)
	default:
		err = refuse(http.StatusMethodNotAllowed, "method not allowed")
	}
	if err == nil {
		return
	}
	refused(err)
	var ce *callbackError
	if !errors.As(err, &ce) {
		ce = &callbackError{status: http.StatusInternalServerError, reason: err.Error()}
	}
	log.WarnContext(r.Context(), what, "status", ce.status, "reason", ce.reason)
	http.Error(w, http.StatusText(ce.status), ce.status)
}

// readCallbackBody reads a message body of at most MaxCallbackBody bytes.
func readCallbackBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxCallbackBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, refuse(http.StatusRequestEntityTooLarge, "body over limit")
		}
		return nil, refuse(http.StatusBadRequest, "unreadable body")
	}
	return body, nil
}

// checkTimestamp refuses a callback whose timestamp (Unix seconds) is
// further than window from now either way; a zero window accepts any.
func checkTimestamp(timestamp string, window time.Duration, now time.Time) error {
	if window <= 0 {
		return nil
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return refuse(http.StatusUnauthorized, "bad timestamp")
	}
	skew := now.Sub(time.Unix(ts, 0))
	if skew > window || skew < -window {
		return refuse(http.StatusUnauthorized, "timestamp outside replay window")
	}
	return nil
}
