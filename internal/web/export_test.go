package web

import (
	"context"
	"time"
)

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
