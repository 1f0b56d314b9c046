package wechat

import (
	"context"
	"io"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
)

type sayBot struct{}

func (sayBot) Handle(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
	return chat.Say("您好"), nil
}

// BenchmarkPlainTurn measures the callback's own cost for one plaintext
// turn whose handler answers at once, without HTTP: signature, decoding,
// the turn's two kv calls, the reply. With SHIANBAO_BENCH_REDIS_ADDR the
// store is Redis (what -cpuprofile is for), else in process; its keys, under
// a prefix of their own, expire within the hour.
//
//	SHIANBAO_BENCH_REDIS_ADDR=127.0.0.1:6379 go test -run '^$' -bench PlainTurn -cpuprofile cpu.out ./internal/wechat
func BenchmarkPlainTurn(b *testing.B) {
	var store kv.Store = kv.NewMemory()
	if addr := os.Getenv("SHIANBAO_BENCH_REDIS_ADDR"); addr != "" {
		r, err := kv.NewRedis(kv.RedisOptions{Addrs: []string{addr}})
		if err != nil {
			b.Fatal(err)
		}
		store = kv.WithPrefix(r, "shianbao-bench:"+strconv.FormatInt(time.Now().UnixNano(), 36)+":")
	}
	defer store.Close()
	cb := NewCallback(CallbackOptions{AppID: vecAppID, Token: vecToken, KV: store, Handler: sayBot{},
		ReplayWindow: 5 * time.Minute, Budget: 2 * time.Second, Lease: time.Minute})
	p := Platform{AppID: vecAppID, Token: vecToken}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		n := 0
		for pb.Next() {
			n++
			m := TextMessage("o-bench-"+strconv.Itoa(n%500), vecAppID, "帮助", nextID(), time.Now())
			req, err := p.Request("http://bench/wechat/oa", m, ModePlain)
			if err != nil {
				b.Fatal(err)
			}
			w := httptest.NewRecorder()
			cb.ServeHTTP(w, req)
			if w.Code != 200 || !strings.Contains(w.Body.String(), "您好") {
				body, _ := io.ReadAll(w.Result().Body)
				b.Fatalf("status %d: %s", w.Code, body)
			}
		}
	})
}
