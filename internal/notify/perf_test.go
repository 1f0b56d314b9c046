package notify_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/notify"
)

// TestDispatchThroughput measures the dispatcher end to end: 5,000 template
// messages through the real platform client to the in-process fake API,
// rate limits off, on MySQL and Redis when configured. It reports the
// figure and asserts nothing about time (docs/BENCHMARKS.md keeps the
// figures):
//
//	SHIANBAO_BENCH_DISPATCH=1 SHIANBAO_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/' \
//	SHIANBAO_TEST_REDIS_ADDR=127.0.0.1:6379 go test -run TestDispatchThroughput -v ./internal/notify
func TestDispatchThroughput(t *testing.T) {
	if os.Getenv("SHIANBAO_BENCH_DISPATCH") != "1" {
		t.Skip("set SHIANBAO_BENCH_DISPATCH=1 to measure dispatch throughput")
	}
	const total = 5000
	d := dbtest.Open(t, notify.Schema)
	var store kv.Store
	if os.Getenv(dbtest.EnvRedisAddr) != "" {
		store = openRedis(t)
	} else {
		m := kv.NewMemory()
		t.Cleanup(func() { m.Close() })
		store = m
	}
	e := newEnv(t, d, store)
	workers, _ := strconv.Atoi(os.Getenv("SHIANBAO_BENCH_WORKERS"))
	if workers <= 0 {
		workers = 8
	}
	e.clk = clock.NewOffset()
	e.clk.Set(time.Date(2026, 11, 30, 10, 0, 0, 0, clock.China))
	e.reconfigure(func(c *notify.Config) { c.Workers, c.Idle = workers, 20*time.Millisecond })

	msgs := make([]notify.Message, total)
	for i := range total {
		msgs[i] = reminder(e.bind(int64(i+1), "o-bench-"+strconv.Itoa(i), nil), i)
	}
	began := time.Now()
	for i := 0; i < total; i += 500 {
		e.enqueue(t, msgs[i:i+500]...)
	}
	enqueued := time.Since(began)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	began = time.Now()
	go func() { done <- e.svc.Run(ctx) }()
	for e.count(t, notify.StatusSent) < total {
		if time.Since(began) > 5*time.Minute {
			t.Fatalf("only %d of %d sent in 5 minutes", e.count(t, notify.StatusSent), total)
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(began)
	cancel()
	<-done
	e.wantDeliveredOnce(t, total)
	engine := "sqlite"
	if d.Engine() == db.MySQL {
		engine = "mysql"
	}
	t.Logf("%s, %d workers (one on SQLite): %d enqueued in %s (%.0f/s); dispatched in %s: %.0f sends/s",
		engine, workers, total, enqueued.Round(time.Millisecond), float64(total)/enqueued.Seconds(),
		elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds())
}
