package wechat

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
)

// events records what the callback reports.
type events struct {
	mu   sync.Mutex
	list []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, s)
}

func (e *events) CallbackTurn(channel, outcome string)   { e.add("turn " + channel + " " + outcome) }
func (e *events) CallbackRefused(channel, reason string) { e.add("refused " + channel + " " + reason) }
func (e *events) LateReplyFailed(channel string)         { e.add("late failed " + channel) }

func (e *events) take() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.list
	e.list = nil
	return out
}

// gate is a bot that answers only once released.
type gate struct{ open chan struct{} }

func (g gate) Handle(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
	<-g.open
	return chat.Say("收到：" + in.Text), nil
}

type failingLate struct{}

func (failingLate) SendLate(context.Context, chat.Inbound, chat.Outbound) error {
	return errors.New("45015 outside the window")
}

func TestObserverHearsTurnsAndRefusals(t *testing.T) {
	obs := &events{}
	bot := gate{open: make(chan struct{})}
	cb := NewCallback(CallbackOptions{
		AppID: vecAppID, Token: vecToken, AESKey: vecAESKey, KV: kv.NewMemory(), Handler: bot,
		ReplayWindow: 5 * time.Minute, Budget: 50 * time.Millisecond, Late: failingLate{},
	})
	cb.Observe(obs)
	srv := httptest.NewServer(cb)
	t.Cleanup(srv.Close)
	f := &fixture{url: srv.URL + "/wechat/oa", platform: Platform{AppID: vecAppID, Token: vecToken, AESKey: vecAESKey}}

	t.Run("Late", func(t *testing.T) {
		// The bot holds the turn past the budget: the callback answers
		// success, and the late reply the platform then refuses is counted.
		reply, err := f.send(t, TextMessage("o-obs", vecAppID, "慢", nextID(), time.Now()), ModeSafe)
		if err != nil || !reply.Success {
			t.Fatalf("reply %+v, %v; want success", reply, err)
		}
		close(bot.open)
		if err := cb.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got, want := obs.take(), []string{"turn oa late", "late failed oa"}; !slices.Equal(got, want) {
			t.Fatalf("heard %q, want %q", got, want)
		}
	})
	t.Run("AnsweredThenDeduplicated", func(t *testing.T) {
		cb := NewCallback(CallbackOptions{
			AppID: vecAppID, Token: vecToken, AESKey: vecAESKey, KV: kv.NewMemory(), Handler: bot,
			ReplayWindow: 5 * time.Minute, Budget: time.Minute,
		})
		cb.Observe(obs)
		srv := httptest.NewServer(cb)
		t.Cleanup(srv.Close)
		f := &fixture{url: srv.URL + "/wechat/oa", platform: f.platform}
		m := TextMessage("o-obs", vecAppID, "快", nextID(), time.Now())
		for range 2 {
			if reply, err := f.send(t, m, ModeSafe); err != nil || reply.Content != "收到：快" {
				t.Fatalf("reply %+v, %v", reply, err)
			}
		}
		if got, want := obs.take(), []string{"turn oa answered", "turn oa deduplicated"}; !slices.Equal(got, want) {
			t.Fatalf("heard %q, want %q", got, want)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		req, err := f.platform.Request(f.url, TextMessage("o-obs", vecAppID, "伪造", nextID(), time.Now()), ModePlain)
		if err != nil {
			t.Fatal(err)
		}
		if got := status(t, req); got != http.StatusUnauthorized {
			t.Fatalf("plaintext to an encrypted account: %d", got)
		}
		req, _ = http.NewRequest(http.MethodGet, f.url+"?signature=bad&timestamp=1&nonce=2&echostr=x", nil)
		if got := status(t, req); got != http.StatusUnauthorized {
			t.Fatalf("bad signature: %d", got)
		}
		req, _ = http.NewRequest(http.MethodPut, f.url, nil)
		if got := status(t, req); got != http.StatusMethodNotAllowed {
			t.Fatalf("PUT: %d", got)
		}
		want := []string{"refused oa plaintext", "refused oa signature", "refused oa method"}
		if got := obs.take(); !slices.Equal(got, want) {
			t.Fatalf("heard %q, want %q", got, want)
		}
	})
}

// TestEveryRefusalHasASlug keeps the metric's reasons in step with the
// refusals in this package's code: one added without a slug would be
// counted as "other".
func TestEveryRefusalHasASlug(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`refuse\(http\.Status\w+, "([^"]+)"\)`)
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			found++
			if got := refusalReason(refuse(http.StatusBadRequest, m[1])); got == "other" {
				t.Errorf("%s: refusal %q has no slug in refusalSlugs", name, m[1])
			}
		}
	}
	if found < 10 {
		t.Fatalf("found only %d refusals in the code; is the pattern right?", found)
	}
	if got := refusalReason(errors.New("disk full")); got != "internal" {
		t.Errorf("an internal error counted as %q", got)
	}
	if got := refusalReason(refuse(http.StatusBadRequest, "something new")); got != "other" {
		t.Errorf("an unknown refusal counted as %q", got)
	}
}
