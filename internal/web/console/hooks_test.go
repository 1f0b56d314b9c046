package console

import (
	"context"
	"time"
)

// SetLoginPause replaces the wait before a sign-in's password is checked,
// so a test sees the wait asked for without waiting.
func SetLoginPause(s *SignIn, pause func(ctx context.Context, d time.Duration) error) {
	s.pause = pause
}
