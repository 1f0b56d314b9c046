package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
)

const requestIDKey = "request_id"

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestID takes a sane X-Request-ID from a proxy or makes one, so a user
// quoting the id on an error page leads straight to the log line.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !validRequestID.MatchString(id) {
			b := make([]byte, 12)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Set(requestIDKey, id)
		c.SetRequest(c.Request().WithContext(WithRequestID(c.Request().Context(), id)))
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}

// RequestID returns the id of the request being served.
func RequestID(c echo.Context) string {
	id, _ := c.Get(requestIDKey).(string)
	return id
}

// accessLog logs one line per request: the route pattern (never the raw
// path or query, which may carry names, codes or tokens), status, size and
// time. It also feeds the HTTP metrics.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			// Let the error handler write the response now so the status is known.
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := c.Response().Status
		elapsed := time.Since(start)
		s.metrics.observe(c.Request().Method, route, status, elapsed)
		if route == "/healthz" || route == "/readyz" || route == "/metrics" {
			return nil
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(c.Request().Context(), level, "http",
			slog.String("rid", RequestID(c)),
			slog.String("method", c.Request().Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", c.Response().Size),
			slog.Float64("ms", float64(elapsed.Microseconds())/1000),
		)
		return nil
	}
}

// recoverPanic turns a panic into an Internal error: the user sees a plain
// apology with the request id; the stack goes to the log only.
func (s *Server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == http.ErrAbortHandler {
				panic(r)
			}
			stack := make([]byte, 4<<10)
			stack = stack[:runtime.Stack(stack, false)]
			s.log.Error("panic", "rid", RequestID(c), "route", c.Path(), "panic", fmt.Sprint(r), "stack", string(stack))
			err = errs.Wrap(errs.Internal, fmt.Errorf("panic: %v", r), "")
		}()
		return next(c)
	}
}

// bodyLimit refuses bodies over the limit with 413. Routes that need a
// smaller limit (the WeChat callback: 64 KiB) apply their own on top.
func (s *Server) bodyLimit(limit int64) echo.MiddlewareFunc {
	return BodyLimit(limit)
}

// BodyLimit caps the request body: an announced oversize body is refused
// before reading; a body that grows past the limit fails on read with
// *http.MaxBytesError, which the error handler answers with 413.
func BodyLimit(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if limit <= 0 {
				return next(c)
			}
			req := c.Request()
			if req.ContentLength > limit {
				return errs.E(errs.TooLarge, "提交的内容过大（上限 %d KB）。", limit>>10)
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			return next(c)
		}
	}
}

// IsTooLarge reports whether err came from reading past a body limit.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
