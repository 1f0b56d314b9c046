package notify_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/benchtest"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/notify"
)

// BenchmarkDispatch measures the dispatcher end to end: b.N template
// messages, one per cadre, through the real platform client to the
// in-process fake API, rate limits off — an op is one message sent, and
// sends/s the throughput. It runs on MySQL and Redis when configured
// (SQLite and the in-process kv otherwise) with SHIANBAO_BENCH_WORKERS
// dispatch loops (default 4, the service's; SQLite always has one). The
// count of sent messages is polled every 20 ms, so a run of a few messages
// measures mostly that wait: give it thousands (-benchtime 5000x).
// docs/BENCHMARKS.md keeps the figures of 5,000 messages:
//
//	SHIANBAO_BENCH_WORKERS=4 SHIANBAO_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/' SHIANBAO_TEST_REDIS_ADDR=127.0.0.1:6379 \
//	  go test -run '^$' -bench Dispatch -benchtime 5000x ./internal/notify
func BenchmarkDispatch(b *testing.B) {
	workers := benchtest.Int(b, "SHIANBAO_BENCH_WORKERS", 4)
	engine := "sqlite+memory"
	if os.Getenv(dbtest.EnvMySQLDSN) != "" {
		engine = "mysql+memory"
		if os.Getenv(dbtest.EnvRedisAddr) != "" {
			engine = "mysql+redis"
		}
	} else {
		workers = 1
		if os.Getenv(dbtest.EnvRedisAddr) != "" {
			engine = "sqlite+redis"
		}
	}
	b.Run(fmt.Sprintf("%s/workers=%d", engine, workers), func(b *testing.B) { benchDispatch(b, workers) })
}

func benchDispatch(b *testing.B, workers int) {
	b.StopTimer()
	d := dbtest.Open(b, notify.Schema)
	var store kv.Store
	if os.Getenv(dbtest.EnvRedisAddr) != "" {
		store = openRedis(b)
	} else {
		m := kv.NewMemory()
		b.Cleanup(func() { m.Close() })
		store = m
	}
	e := newEnv(b, d, store)
	e.clk = clock.NewOffset()
	e.clk.Set(time.Date(2026, 11, 30, 10, 0, 0, 0, clock.China))
	e.reconfigure(func(c *notify.Config) { c.Workers, c.Idle = workers, 20*time.Millisecond })

	total := b.N
	msgs := make([]notify.Message, total)
	for i := range total {
		msgs[i] = reminder(e.bind(int64(i+1), "o-bench-"+strconv.Itoa(i), nil), i)
	}
	began := time.Now()
	for i := 0; i < total; i += 500 {
		e.enqueue(b, msgs[i:min(i+500, total)]...)
	}
	enqueued := time.Since(began)

	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	done := make(chan error, 1)
	b.StartTimer()
	began = time.Now()
	go func() { done <- e.svc.Run(ctx) }()
	for e.count(b, notify.StatusSent) < int64(total) {
		if time.Since(began) > 5*time.Minute {
			b.Fatalf("only %d of %d sent in 5 minutes", e.count(b, notify.StatusSent), total)
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(began)
	b.StopTimer()
	cancel()
	<-done
	e.wantDeliveredOnce(b, total)
	b.ReportMetric(float64(total)/elapsed.Seconds(), "sends/s")
	b.ReportMetric(float64(total)/enqueued.Seconds(), "enqueued/s")
}
