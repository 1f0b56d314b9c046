package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/config"
)

// dailyScript is a day's control as a shop's officer sends it at the end
// of the day: the command, then "all normal" — two turns, one record.
var dailyScript = []string{"日管控", "全部正常"}

// loadDaily binds n business contacts (through the callback), then has
// them record today's daily control at once, workers at a time, and
// reports the records per second and the latency of each turn and of the
// whole record (both turns' service time, without the think time). It needs the same configuration (database, Redis,
// secret) as the service under load.
func loadDaily(ctx context.Context, cfg config.Config, calls app.SignedCallbacks, url string, n, workers int, think time.Duration, out io.Writer) error {
	if n < 1 || workers < 1 {
		return usageError{"-conversations and -workers must be ≥ 1"}
	}
	s, err := app.Open(ctx, cfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		return err
	}
	defer s.Close()

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	run := time.Now().Format("150405")
	bindStart := time.Now()
	codes, err := s.LoadContactCodes(ctx, n)
	if err != nil {
		return err
	}
	if len(codes) < n {
		return fmt.Errorf("only %d operating businesses; seed a bigger register (shianbao seed --scale N)", len(codes))
	}
	users := make([]string, 0, n)
	for _, c := range codes {
		openid := fmt.Sprintf("load-shop-%s-%d", run, c.SubjectID)
		if reply, _, err := sendText(client, calls, url, openid, "绑定 "+c.Code); err != nil || !strings.Contains(reply, "绑定成功") {
			return fmt.Errorf("bind a contact through %s: %q %v", url, reply, err)
		}
		users = append(users, openid)
	}
	fmt.Fprintf(out, "bound %d business contacts in %s; recording today's daily control, %d at a time (%d turns each, think time %s)\n",
		n, time.Since(bindStart).Round(time.Millisecond), workers, len(dailyScript), think)

	var mu sync.Mutex
	var turns, records []time.Duration
	byStep := make([][]time.Duration, len(dailyScript))
	failed := 0
	queue := make(chan string)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range queue {
				mine := make([]time.Duration, 0, len(dailyScript))
				ok := true
				for i, s := range dailyScript {
					if think > 0 && i > 0 {
						time.Sleep(think/2 + rand.N(think))
					}
					reply, took, err := sendText(client, calls, url, u, s)
					mine = append(mine, took)
					if err != nil || (i == len(dailyScript)-1 && !strings.Contains(reply, "✅")) {
						ok = false
						break
					}
				}
				mu.Lock()
				if ok {
					turns = append(turns, mine...)
					for i, d := range mine {
						byStep[i] = append(byStep[i], d)
					}
					var total time.Duration
					for _, d := range mine {
						total += d
					}
					records = append(records, total)
				} else {
					failed++
				}
				mu.Unlock()
			}
		}()
	}
	for _, u := range users {
		select {
		case queue <- u:
		case <-ctx.Done():
		}
	}
	close(queue)
	wg.Wait()
	elapsed := time.Since(start)
	pct := func(ds []time.Duration, p float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		return ds[min(len(ds)-1, int(float64(len(ds))*p))].Round(100 * time.Microsecond)
	}
	slices.Sort(turns)
	slices.Sort(records)
	rate := float64(len(records)) / elapsed.Seconds()
	fmt.Fprintf(out, "daily records: %d of %d in %s, %.0f records/s (%.0f turns/s)\n", len(records), n, elapsed.Round(time.Millisecond),
		rate, float64(len(turns))/elapsed.Seconds())
	fmt.Fprintf(out, "  per turn   p50 %s  p95 %s  p99 %s  max %s\n", pct(turns, .5), pct(turns, .95), pct(turns, .99), pct(turns, 1))
	fmt.Fprint(out, "  p99 by turn:")
	for i, ds := range byStep {
		slices.Sort(ds)
		fmt.Fprintf(out, " %s=%s", dailyScript[i], pct(ds, .99))
	}
	fmt.Fprintf(out, "\n  per record p50 %s  p95 %s  p99 %s  max %s (the service time of both turns, think time excluded)\n", pct(records, .5), pct(records, .95), pct(records, .99), pct(records, 1))
	if rate > 0 {
		fmt.Fprintf(out, "  100,000 businesses at this rate: %s (an hour needs %.0f records/s)\n",
			(time.Duration(100000/rate) * time.Second).Round(time.Second), 100000.0/3600)
	}
	if failed > 0 {
		return fmt.Errorf("%d records did not complete", failed)
	}
	return nil
}
