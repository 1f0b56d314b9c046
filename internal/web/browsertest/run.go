package browsertest

import (
	"context"
	"time"

	"github.com/chromedp/chromedp"
)

// Do performs browser steps (navigate, click, type, wait) in the test's
// tab, failing the test after timeout.
func (b *Browser) Do(timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// Eval runs a step that returns a value, such as chromedp.Text or
// chromedp.FullScreenshot, failing the test on error.
func Eval[T any](b *Browser, timeout time.Duration, step chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, step)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}
