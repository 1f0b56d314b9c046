package app_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/sim"
	"github.com/shianbao/shianbao/internal/wechat"
)

// TestShutdownDeliversLateReplies: a turn still running past the reply
// budget when the instance is told to stop is waited for, and its answer
// reaches the user as a customer-service message before the app exits;
// http.shutdown_timeout bounds the wait.
func TestShutdownDeliversLateReplies(t *testing.T) {
	// The WeChat API runs apart from the instance (as the platform does, or
	// `shianbao fakewx`), so it still answers while the instance shuts down.
	fake := sim.NewFakeAPI()
	api := httptest.NewServer(fake)
	t.Cleanup(api.Close)

	// boot starts an instance whose bot waits for gate on "慢".
	boot := func(t *testing.T, timeout time.Duration, gate <-chan struct{}) (*app.App, *apptest.Buffer, <-chan struct{}) {
		t.Helper()
		cfg := apptest.EmptyConfig(t)
		cfg.WeChat.APIBase = api.URL
		cfg.WeChat.ReplyBudget = 200 * time.Millisecond
		cfg.HTTP.ShutdownTimeout = timeout
		logs := &apptest.Buffer{}
		held := make(chan struct{}, 1)
		a, err := app.New(context.Background(), cfg, app.Options{LogOutput: logs,
			WrapBot: func(bot wechat.Handler) wechat.Handler {
				return handlerFunc(func(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
					if in.Text == "慢" {
						held <- struct{}{}
						select {
						case <-gate:
						case <-ctx.Done():
							return chat.Outbound{}, ctx.Err()
						}
					}
					return bot.Handle(ctx, in)
				})
			}})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(); err != nil {
			t.Fatal(err)
		}
		return a, logs, held
	}
	slowMessage := func(t *testing.T, a *app.App, openid string, held <-chan struct{}) {
		t.Helper()
		if r := newPhone(t, a, wechat.ModeSafe).send(wechat.TextMessage(openid, "gh_test", "慢", msgIDs.Add(1), time.Now())); !r.Success {
			t.Fatalf("over budget the callback answered %+v, want success", r)
		}
		<-held
	}
	lateTo := func(openid string) []sim.Call {
		var out []sim.Call
		for _, c := range fake.CallsTo("/cgi-bin/message/custom/send") {
			if c.ToUser == openid && c.Delivered() {
				out = append(out, c)
			}
		}
		return out
	}

	t.Run("WaitsAndDelivers", func(t *testing.T) {
		gate := make(chan struct{})
		a, logs, held := boot(t, 20*time.Second, gate)
		slowMessage(t, a, "o-shutdown-late", held)

		closed := make(chan error, 1)
		go func() { closed <- a.Close() }()
		waitUntil(t, "Close to wait for the running turn", func() bool {
			select {
			case err := <-closed:
				t.Fatalf("Close returned (%v) while a turn was running", err)
			default:
			}
			return strings.Contains(logs.String(), "waiting for running turns")
		})
		if n := len(lateTo("o-shutdown-late")); n != 0 {
			t.Fatalf("%d replies before the turn finished", n)
		}
		close(gate)
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
		got := lateTo("o-shutdown-late")
		// A stranger is welcomed and told how to bind.
		if len(got) != 1 || !strings.Contains(got[0].Content, "绑定") {
			t.Fatalf("customer-service messages when Close returned: %+v", got)
		}
	})

	t.Run("Bounded", func(t *testing.T) {
		gate := make(chan struct{})
		defer close(gate)
		a, logs, held := boot(t, time.Second, gate)
		slowMessage(t, a, "o-shutdown-dropped", held)
		err := a.Close()
		if err == nil || !strings.Contains(err.Error(), "dropped 1 running turns") {
			t.Fatalf("Close with a turn past the shutdown timeout = %v", err)
		}
		if !strings.Contains(logs.String(), "chat turns dropped") {
			t.Fatalf("the dropped turn is not in the log:\n%s", logs)
		}
		if n := len(lateTo("o-shutdown-dropped")); n != 0 {
			t.Fatalf("a dropped turn sent %d messages", n)
		}
	})
}

// waitUntil waits for cond, failing only when it has not come true after a
// long while (a guard against hanging, not a timing assertion).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// handlerFunc adapts a function to wechat.Handler.
type handlerFunc func(ctx context.Context, in chat.Inbound) (chat.Outbound, error)

func (f handlerFunc) Handle(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
	return f(ctx, in)
}
