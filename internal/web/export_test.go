package web

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"
)

// In tests a count is never slow enough to be kept, unless a test says
// so: on a busy machine any count may take 150 ms, and a kept count would
// hide the rows a test has just added.
func init() { slowCount = time.Hour }

// SetSlowCount changes how slow a list count must be to be kept, for a
// test; it returns the restore.
func SetSlowCount(d time.Duration) func() {
	old := slowCount
	slowCount = d
	return func() { slowCount = old }
}

// SetLoginPause replaces the wait before a sign-in's password is checked,
// so a test sees the wait asked for without waiting.
func SetLoginPause(s *Server, pause func(ctx context.Context, d time.Duration) error) {
	s.console.pause = pause
}

// Echo exposes the router, so a test can list every route.
func (s *Server) Echo() *echo.Echo { return s.echo }
