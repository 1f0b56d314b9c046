package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shianbao/shianbao/internal/app"
)

// runLoad sends correctly signed callbacks at a target rate and reports
// throughput and latency percentiles. With -bare it first measures the SDK's
// own callback server (answering "success", nothing else) in this process,
// so the ratio between the two is measured in one run.
func runLoad(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("load", e)
	target := fs.String("url", "http://127.0.0.1:8080/wechat/oa", "callback URL of the service under load")
	rate := fs.Int("rate", 2000, "messages per second (0 = as fast as the workers go)")
	duration := fs.Duration("duration", 10*time.Second, "how long to send")
	workers := fs.Uint64("workers", 64, "concurrent senders (the maximum when -rate 0)")
	modeFlag := fs.String("mode", "", "plain, compatible or safe (default: safe when wechat.aeskey is set, else plain)")
	users := fs.Int("users", 500, "distinct users the messages come from")
	text := fs.String("text", "帮助", "message text (a non-persisting dialog turn by default)")
	bare := fs.Bool("bare", false, "also measure a bare SDK handler in this process and print the ratio")
	scenario := fs.String("scenario", "turn", "turn (one message per request at -rate), visit (whole visit reports) or daily (businesses' daily controls)")
	conversations := fs.Int("conversations", 500, "with -scenario visit: concurrent visit reports; daily: businesses recording, -workers at a time")
	think := fs.Duration("think", time.Second, "with -scenario visit: a person's pause between turns (±50%; 0 = none)")
	path := fs.String("path", "guided", "with -scenario visit: guided (step by step, 12 turns) or one (the report in one message, 3 turns)")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"load takes no arguments"}
	}
	if *users < 1 || *rate < 0 || *duration <= 0 {
		return usageError{"-users must be ≥ 1, -rate ≥ 0 and -duration > 0"}
	}
	cfg, err := fs.load(e)
	if err != nil {
		return err
	}
	// The service takes the modes its key allows: encrypted only with a
	// key, plaintext only without.
	calls, err := app.NewSignedCallbacks(cfg, *modeFlag)
	if err != nil {
		return usageError{err.Error()}
	}
	switch *scenario {
	case "turn":
	case "visit":
		if *conversations < 1 {
			return usageError{"-conversations must be ≥ 1"}
		}
		if visitScripts[*path] == nil {
			return usageError{"-path must be guided or one"}
		}
		return loadVisits(ctx, cfg, calls, *target, *conversations, *think, *path, e.stdout)
	case "daily":
		return loadDaily(ctx, cfg, calls, *target, *conversations, int(*workers), *think, e.stdout)
	default:
		return usageError{"-scenario must be turn, visit or daily"}
	}
	run := loadRun{calls: calls, rate: *rate, duration: *duration, workers: *workers, users: *users, text: *text}

	var bareM *vegeta.Metrics
	if *bare {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: calls.BareSDKHandler()}
		go srv.Serve(ln)
		defer srv.Close()
		bareM = run.attack(ctx, "http://"+ln.Addr().String()+"/wechat/oa", "bare SDK")
		report(e.stdout, "bare SDK handler (in-process)", bareM)
	}
	m := run.attack(ctx, *target, "service")
	report(e.stdout, "service "+*target, m)
	if bareM != nil && bareM.Throughput > 0 {
		fmt.Fprintf(e.stdout, "ratio service/bare throughput: %.2f\n", m.Throughput/bareM.Throughput)
	}
	if m.Success < 0.999 {
		return fmt.Errorf("%.2f%% of requests failed", 100*(1-m.Success))
	}
	return nil
}

type loadRun struct {
	calls    app.SignedCallbacks
	rate     int
	duration time.Duration
	workers  uint64
	users    int
	text     string
}

// attack sends the messages. Each request is signed at the moment it is
// sent, with a fresh nonce and a unique MsgId, as the platform does.
func (r loadRun) attack(ctx context.Context, url, name string) *vegeta.Metrics {
	var seq atomic.Int64
	base := time.Now().UnixNano() / 1000
	targeter := func(t *vegeta.Target) error {
		n := seq.Add(1)
		user := "load-user-" + strconv.Itoa(int(n)%r.users)
		req, err := r.calls.Text(url, user, r.text, base+n, time.Now())
		if err != nil {
			return err
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return err
		}
		t.Method, t.URL, t.Body, t.Header = req.Method, req.URL.String(), body, req.Header
		return nil
	}
	opts := []func(*vegeta.Attacker){vegeta.Timeout(5 * time.Second), vegeta.KeepAlive(true), vegeta.Connections(int(r.workers))}
	pacer := vegeta.Pacer(vegeta.Rate{Freq: r.rate, Per: time.Second})
	if r.rate == 0 {
		opts = append(opts, vegeta.Workers(r.workers), vegeta.MaxWorkers(r.workers))
		pacer = vegeta.Rate{Freq: 0}
	} else {
		opts = append(opts, vegeta.Workers(r.workers))
	}
	attacker := vegeta.NewAttacker(opts...)
	var m vegeta.Metrics
	results := attacker.Attack(vegeta.Targeter(targeter), pacer, r.duration, name)
	for {
		select {
		case <-ctx.Done():
			attacker.Stop()
		case res, ok := <-results:
			if !ok {
				m.Close()
				return &m
			}
			m.Add(res)
			continue
		}
		break
	}
	for res := range results {
		m.Add(res)
	}
	m.Close()
	return &m
}

func report(w io.Writer, name string, m *vegeta.Metrics) {
	codes := make([]string, 0, len(m.StatusCodes))
	for c, n := range m.StatusCodes {
		codes = append(codes, fmt.Sprintf("%s×%d", c, n))
	}
	fmt.Fprintf(w, "%s\n  requests %d in %s, throughput %.0f/s, success %.2f%%\n  latency p50 %s  p95 %s  p99 %s  max %s\n  status %s\n",
		name, m.Requests, m.Duration.Round(time.Millisecond), m.Throughput, 100*m.Success,
		m.Latencies.P50.Round(10*time.Microsecond), m.Latencies.P95.Round(10*time.Microsecond),
		m.Latencies.P99.Round(10*time.Microsecond), m.Latencies.Max.Round(10*time.Microsecond), strings.Join(codes, " "))
	if len(m.Errors) > 0 {
		fmt.Fprintf(w, "  errors: %s\n", strings.Join(m.Errors[:min(3, len(m.Errors))], "; "))
	}
}
