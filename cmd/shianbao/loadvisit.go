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

// visitScripts are whole visit reports as a cadre types them (-path).
// guided: step by step — the first task, onsite, quick check with one
// failed item and a photo, no location, no prompt letter, confirm (status
// and contact are not asked) — 12 turns. one: the whole report in one
// message, the location, confirm — 3 turns.
var visitScripts = map[string][]string{
	"guided": {"上报督导", "1", "现场", "快速", "2", "全部合格", "地面有积水", "[photo]", "完成", "跳过", "2", "确认"},
	"one":    {"上报 1 现场 合格", "[location]", "确认"},
}

// loadVisits runs n concurrent conversations, each a whole visit report
// through signed callbacks, and reports per-turn latency. It binds n cadres
// that have open tasks first (through the callback too), so it needs the
// same configuration (database, Redis, secret) as the service under load.
func loadVisits(ctx context.Context, cfg config.Config, calls app.SignedCallbacks, url string, n int, think time.Duration, path string, out io.Writer) error {
	visitScript := visitScripts[path]
	s, err := app.Open(ctx, cfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		return err
	}
	defer s.Close()

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	run := time.Now().Format("150405")
	codes, err := s.LoadCadreCodes(ctx, n)
	if err != nil {
		return err
	}
	if len(codes) < n {
		return fmt.Errorf("only %d cadres have open tasks; seed a bigger register (shianbao seed --scale N)", len(codes))
	}
	users := make([]string, 0, n)
	for _, c := range codes {
		openid := fmt.Sprintf("load-cadre-%s-%d", run, c.SubjectID)
		if reply, _, err := sendText(client, calls, url, openid, "绑定 "+c.Code); err != nil || !strings.Contains(reply, "绑定成功") {
			return fmt.Errorf("bind a cadre through %s: %q %v", url, reply, err)
		}
		users = append(users, openid)
	}
	fmt.Fprintf(out, "bound %d cadres; reporting %d visits concurrently (-path %s: %d turns each, think time %s)\n", n, n, path, len(visitScript), think)

	var mu sync.Mutex
	var lat []time.Duration
	byStep := make([][]time.Duration, len(visitScript))
	failed := 0
	firstFailure := ""
	var wg sync.WaitGroup
	start := time.Now()
	for _, u := range users {
		wg.Add(1)
		go func(u string) {
			defer wg.Done()
			if think > 0 {
				// People do not all start at the same instant.
				time.Sleep(rand.N(2 * think))
			}
			mine := make([]time.Duration, 0, len(visitScript))
			for i, s := range visitScript {
				if think > 0 && i > 0 {
					// A person reads the question and types: think ± 50 %.
					time.Sleep(think/2 + rand.N(think))
				}
				reply, took, err := sendText(client, calls, url, u, s)
				mine = append(mine, took)
				if err != nil || (i == len(visitScript)-1 && !strings.Contains(reply, "督导已提交")) {
					mu.Lock()
					failed++
					if firstFailure == "" {
						firstFailure = fmt.Sprintf("turn %d (%s) answered %q, error %v", i+1, s, reply, err)
					}
					mu.Unlock()
					return
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			for i, d := range mine {
				byStep[i] = append(byStep[i], d)
			}
			mu.Unlock()
		}(u)
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))].Round(100 * time.Microsecond)
	}
	fmt.Fprintf(out, "visit reports: %d of %d completed in %s\n  turns %d, %.0f turns/s\n  per turn p50 %s  p95 %s  p99 %s  max %s\n",
		n-failed, n, elapsed.Round(time.Millisecond), len(lat), float64(len(lat))/elapsed.Seconds(), pct(.5), pct(.95), pct(.99), pct(1))
	fmt.Fprint(out, "  p99 by turn:")
	for i, ds := range byStep {
		slices.Sort(ds)
		if len(ds) > 0 {
			fmt.Fprintf(out, " %s=%s", visitScript[i], ds[min(len(ds)-1, len(ds)*99/100)].Round(time.Millisecond))
		}
	}
	fmt.Fprintln(out)
	if failed > 0 {
		return fmt.Errorf("%d reports did not complete; the first: %s", failed, firstFailure)
	}
	return nil
}

var loadMsgID = time.Now().UnixNano() / 1000

var loadMsgMu sync.Mutex

func nextLoadMsgID() int64 {
	loadMsgMu.Lock()
	defer loadMsgMu.Unlock()
	loadMsgID++
	return loadMsgID
}

// sendText sends one message (or the photo placeholder) and decodes the reply.
func sendText(c *http.Client, calls app.SignedCallbacks, url, openid, text string) (string, time.Duration, error) {
	req, err := calls.Text(url, openid, text, nextLoadMsgID(), time.Now())
	switch text {
	case "[photo]":
		req, err = calls.Image(url, openid, "load-media-"+openid, "https://mmbiz.example/x.jpg", nextLoadMsgID(), time.Now())
	case "[location]":
		req, err = calls.Location(url, openid, 31.5207, 120.1879, "无锡市滨湖区胡埭镇", nextLoadMsgID(), time.Now())
	}
	if err != nil {
		return "", 0, err
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return "", time.Since(start), err
	}
	reply, err := calls.ReplyText(resp)
	return reply, time.Since(start), err
}
