package wechat_test

import (
	"crypto/rand"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/sim"
	"github.com/shianbao/shianbao/internal/wechat"
)

func newRobot(t *testing.T, store kv.Store, base string) *wechat.RobotSender {
	t.Helper()
	return wechat.NewRobotSender(store, base, 2*time.Second)
}

// robotKey is unique per test, like a group's webhook key.
func robotKey() string { return "robot-" + rand.Text() }

// burst sends n texts at once and returns the throttled errors; any other
// error fails the test.
func burst(t *testing.T, rs []*wechat.RobotSender, key string, n int) []*wechat.Error {
	t.Helper()
	var mu sync.Mutex
	var throttled []*wechat.Error
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := rs[i%len(rs)].SendMarkdown(t.Context(), key, "镇食安办：今日督导进度已更新。")
			if err == nil {
				return
			}
			e, ok := wechat.AsError(err)
			if !ok || !e.Throttled() {
				t.Errorf("send %d: %v", i, err)
				return
			}
			mu.Lock()
			throttled = append(throttled, e)
			mu.Unlock()
		})
	}
	wg.Wait()
	return throttled
}

func TestRobotRateLimit(t *testing.T) {
	f, base := newFake(t)
	store := newMemory(t)
	r := newRobot(t, store, base)
	key := robotKey()

	throttled := burst(t, []*wechat.RobotSender{r}, key, 25)
	if len(throttled) != 5 {
		t.Fatalf("throttled = %d, want 5", len(throttled))
	}
	for _, e := range throttled {
		if e.RetryAfter <= 0 || e.RetryAfter > 61*time.Second || errs.KindOf(e) != errs.Unavailable {
			t.Errorf("throttled error %v: RetryAfter %s, kind %s", e, e.RetryAfter, errs.KindOf(e))
		}
		if strings.Contains(e.Error(), key) {
			t.Errorf("error %q contains the webhook key", e)
		}
	}
	delivered := 0
	for _, c := range f.CallsTo("/cgi-bin/webhook/send") {
		if c.Delivered() {
			delivered++
		}
	}
	if delivered != 20 {
		t.Errorf("delivered = %d, want 20 (the local limit keeps the platform's from tripping)", delivered)
	}

	// Another group's robot has its own allowance.
	if err := r.SendMarkdown(t.Context(), robotKey(), "**逾期提醒**"); err != nil {
		t.Errorf("other robot: %v", err)
	}
}

func TestRobotTruncates(t *testing.T) {
	f, base := newFake(t)
	r := newRobot(t, newMemory(t), base)
	key := robotKey()
	if err := r.SendMarkdown(t.Context(), key, strings.Repeat("整改跟踪 ", 500)); err != nil {
		t.Fatalf("SendMarkdown: %v", err)
	}
	calls := f.CallsTo("/cgi-bin/webhook/send")
	if len(calls) != 1 {
		t.Fatalf("calls = %d, want 1", len(calls))
	}
	limit, c := wechat.MaxRobotMarkdown, calls[0]
	if len(c.Content) > limit || !utf8.ValidString(c.Content) || !strings.HasSuffix(c.Content, "…") {
		t.Errorf("%s: %d bytes, valid %v, ends %q", c.MsgType, len(c.Content), utf8.ValidString(c.Content), c.Content[len(c.Content)-6:])
	}
	if len(c.Content) < limit-6 {
		t.Errorf("%s cut too short: %d bytes", c.MsgType, len(c.Content))
	}
}

func TestRobotErrors(t *testing.T) {
	key := robotKey()
	tests := []struct {
		name      string
		arrange   func(f *sim.FakeAPI)
		base      string
		code      int
		temporary bool
	}{
		{name: "InvalidKey", arrange: func(f *sim.FakeAPI) { f.FailNext("/webhook/send", 93000, 1) }, code: 93000},
		{name: "PlatformThrottle", arrange: func(f *sim.FakeAPI) { f.FailNext("/webhook/send", 45009, 1) }, code: 45009},
		{name: "HTTP500", arrange: func(f *sim.FakeAPI) { f.FailNext("/webhook/send", sim.FaultHTTP500, 1) }, temporary: true},
		{name: "Dropped", arrange: func(f *sim.FakeAPI) { f.FailNext("/webhook/send", sim.FaultDrop, 1) }, temporary: true},
		{name: "Unreachable", base: "http://127.0.0.1:1", temporary: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, base := newFake(t)
			if tt.base != "" {
				base = tt.base
			}
			if tt.arrange != nil {
				tt.arrange(f)
			}
			err := newRobot(t, newMemory(t), base).SendMarkdown(t.Context(), key, "hi")
			e := wantError(t, err)
			if e.Code != tt.code || e.Temporary != tt.temporary {
				t.Errorf("err = %v (code %d, temporary %v); want code %d, temporary %v", err, e.Code, e.Temporary, tt.code, tt.temporary)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("error %q contains the webhook key", err)
			}
		})
	}
	if err := newRobot(t, newMemory(t), "").SendMarkdown(t.Context(), "", "hi"); errs.KindOf(err) != errs.Invalid {
		t.Errorf("no key: err = %v, want Invalid", err)
	}
}

func TestRobotRateLimitSharedRedis(t *testing.T) {
	r1, r2 := redisStores(t)
	_, base := newFake(t)
	throttled := burst(t, []*wechat.RobotSender{newRobot(t, r1, base), newRobot(t, r2, base)}, robotKey(), 25)
	if len(throttled) != 5 {
		t.Fatalf("two instances: throttled = %d, want 5", len(throttled))
	}
}
