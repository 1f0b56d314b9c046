package app_test

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/wechat"
)

// BenchmarkGatewayTurn drives the whole service in this process with the
// turn `shianbao load` measures (an unbound user sends 帮助, plaintext),
// over HTTP, so a CPU profile shows where a turn's time goes beyond the
// SDK: web stack, gateway, kv, bot. Redis when SHIANBAO_BENCH_REDIS_ADDR is
// set, else the in-process store.
//
//	SHIANBAO_BENCH_REDIS_ADDR=127.0.0.1:6379 go test -run '^$' -bench GatewayTurn -benchtime 5s -cpuprofile cpu.out ./internal/app
func BenchmarkGatewayTurn(b *testing.B) {
	cfg := apptest.EmptyConfig(b)
	cfg.WeChat.AESKey = ""
	cfg.Log.Level = "warn"
	if addr := os.Getenv("SHIANBAO_BENCH_REDIS_ADDR"); addr != "" {
		cfg.Redis.Addr, cfg.Redis.KeyPrefix = addr, "shianbao-bench-"+rand.Text()+":"
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	if err := a.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()

	p := wechat.Platform{AppID: cfg.WeChat.AppID, Token: cfg.WeChat.Token}
	url := a.URL() + "/wechat/oa"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			m := wechat.TextMessage("o-bench-"+strconv.FormatInt(i%500, 10), cfg.WeChat.AppID, "帮助", time.Now().UnixNano()+i, time.Now())
			req, err := p.Request(url, m, wechat.ModePlain)
			if err != nil {
				b.Error(err)
				return
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
