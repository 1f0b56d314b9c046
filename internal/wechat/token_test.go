package wechat_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/wechat"
)

func TestTokenReuse(t *testing.T) {
	f, base := newFake(t)
	store := newMemory(t)
	appID := testAppID()
	c := newClient(t, base, store, appID)
	for range 2 {
		if _, err := sendTemplate(t, c, "o-1"); err != nil {
			t.Fatalf("TemplateSend: %v", err)
		}
	}
	if n := f.TokensIssued(); n != 1 {
		t.Fatalf("after two sends: tokens issued = %d, want 1", n)
	}

	// A second instance sharing the store uses the same token without asking.
	other := newClient(t, base, store, appID)
	if _, err := sendTemplate(t, other, "o-2"); err != nil {
		t.Fatalf("TemplateSend (second client): %v", err)
	}
	if n, calls := f.TokensIssued(), len(f.CallsTo("/cgi-bin/stable_token")); n != 1 || calls != 1 {
		t.Fatalf("two clients, one store: tokens issued = %d, stable_token calls = %d; want 1, 1", n, calls)
	}
	tok1, _ := c.AccessToken(t.Context())
	tok2, _ := other.AccessToken(t.Context())
	if tok1 == "" || tok1 != tok2 {
		t.Errorf("clients hold different tokens")
	}
}

func TestTokenRecovery(t *testing.T) {
	t.Run("Invalidated", func(t *testing.T) {
		f, c := setup(t)
		if _, err := sendTemplate(t, c, "o-1"); err != nil {
			t.Fatalf("TemplateSend: %v", err)
		}
		f.InvalidateTokens()
		if _, err := sendTemplate(t, c, "o-1"); err != nil {
			t.Fatalf("TemplateSend after invalidation: %v", err)
		}
		if n := f.TokensIssued(); n != 2 {
			t.Errorf("tokens issued = %d, want 2", n)
		}
		calls := f.CallsTo("/message/template/send")
		if len(calls) != 3 || calls[1].Errcode != 40001 || calls[2].Errcode != 0 {
			t.Errorf("template calls = %+v; want ok, 40001, ok", calls)
		}
	})

	for _, code := range []int{40001, 42001} {
		t.Run("FailOnce"+strconv.Itoa(code), func(t *testing.T) {
			f, c := setup(t)
			f.FailNext("/message/custom/send", code, 1)
			if err := c.CustomSend(t.Context(), "o-1", chat.Say("hi")); err != nil {
				t.Fatalf("CustomSend: %v", err)
			}
			if n := len(f.CallsTo("/cgi-bin/stable_token")); n != 2 {
				t.Errorf("stable_token calls = %d, want 2 (dropped and fetched again)", n)
			}
		})
	}

	t.Run("FailTwice", func(t *testing.T) {
		f, c := setup(t)
		f.FailNext("/message/custom/send", 40001, 2)
		err := c.CustomSend(t.Context(), "o-1", chat.Say("hi"))
		if e := wantError(t, err); !e.TokenInvalid() {
			t.Fatalf("err = %v, want TokenInvalid", err)
		}
		if n := len(f.CallsTo("/message/custom/send")); n != 2 {
			t.Errorf("custom calls = %d, want 2 (one retry only)", n)
		}
	})

	t.Run("KeepsNewerToken", func(t *testing.T) {
		// Another instance has already replaced the rejected token: the drop
		// must not delete the newer one.
		f, base := newFake(t)
		store := newMemory(t)
		appID := testAppID()
		a, b := newClient(t, base, store, appID), newClient(t, base, store, appID)
		if _, err := a.AccessToken(t.Context()); err != nil {
			t.Fatal(err)
		}
		f.InvalidateTokens()
		if err := a.CustomSend(t.Context(), "o-1", chat.Say("a")); err != nil {
			t.Fatalf("CustomSend a: %v", err)
		}
		if err := b.CustomSend(t.Context(), "o-1", chat.Say("b")); err != nil {
			t.Fatalf("CustomSend b: %v", err)
		}
		if n := f.TokensIssued(); n != 2 {
			t.Errorf("tokens issued = %d, want 2", n)
		}
	})
}

// redisStores returns two connections to the test Redis (two instances'
// view of one store), skipping when none is configured unless the run
// requires its services.
func redisStores(t *testing.T) (kv.Store, kv.Store) {
	t.Helper()
	addr := os.Getenv("SHIANBAO_TEST_REDIS_ADDR")
	if addr == "" {
		if os.Getenv("SHIANBAO_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("SHIANBAO_TEST_REDIS_ADDR is not set and SHIANBAO_TEST_REQUIRE_SERVICES=1")
		}
		t.Skip("SHIANBAO_TEST_REDIS_ADDR is not set")
	}
	open := func() kv.Store {
		r, err := kv.NewRedis(kv.RedisOptions{Addrs: strings.Split(addr, ",")})
		if err != nil {
			t.Fatalf("NewRedis: %v", err)
		}
		t.Cleanup(func() { r.Close() })
		if err := r.Ping(t.Context()); err != nil {
			t.Fatalf("Redis ping: %v", err)
		}
		return r
	}
	return open(), open()
}

func TestTokenSharedRedis(t *testing.T) {
	r1, r2 := redisStores(t)
	f, base := newFake(t)
	appID := testAppID()
	t.Cleanup(func() {
		r1.Delete(context.Background(), "wechat:oa:"+appID+":access_token", "wechat:oa:"+appID+":access_token:lock")
	})
	a, b := newClient(t, base, r1, appID), newClient(t, base, r2, appID)
	var wg sync.WaitGroup
	errc := make(chan error, 20)
	for i := range 20 {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Go(func() {
			if _, err := c.TemplateSend(context.Background(), wechat.TemplateMessage{ToUser: "o-1", TemplateID: "t"}); err != nil {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if n, calls := f.TokensIssued(), len(f.CallsTo("/cgi-bin/stable_token")); n != 1 || calls != 1 {
		t.Errorf("tokens issued = %d, stable_token calls = %d; want 1, 1", n, calls)
	}

	f.InvalidateTokens()
	if _, err := a.TemplateSend(t.Context(), wechat.TemplateMessage{ToUser: "o-1", TemplateID: "t"}); err != nil {
		t.Fatalf("TemplateSend after invalidation: %v", err)
	}
	if _, err := b.TemplateSend(t.Context(), wechat.TemplateMessage{ToUser: "o-1", TemplateID: "t"}); err != nil {
		t.Fatalf("TemplateSend (b) after invalidation: %v", err)
	}
	if n := f.TokensIssued(); n != 2 {
		t.Errorf("after invalidation: tokens issued = %d, want 2", n)
	}
}
