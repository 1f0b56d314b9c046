package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Console load figures for docs/BENCHMARKS.md, on a city-scale register
// seeded beforehand (not a timed assertion):
//
//	mysql -uroot -h127.0.0.1 -e "CREATE DATABASE shianbao_console_bench CHARACTER SET utf8mb4"
//	export SHIANBAO_DB_DRIVER=mysql SHIANBAO_DB_DSN='root@tcp(127.0.0.1:3306)/shianbao_console_bench'
//	shianbao migrate && shianbao seed --scale 100000 --visits 1000000
//	SHIANBAO_BENCH_CONSOLE=1 SHIANBAO_BENCH_DSN="$SHIANBAO_DB_DSN" go test -count=1 -run TestConsoleLoad -v -timeout 30m ./internal/web
//
// Each page is requested 50 times in a row (after 3 warm-up requests) by a
// signed-in administrator (the whole city) and a town's manager.

func benchApp(t *testing.T) *conApp {
	t.Helper()
	if os.Getenv("SHIANBAO_BENCH_CONSOLE") != "1" {
		t.Skip("set SHIANBAO_BENCH_CONSOLE=1 and SHIANBAO_BENCH_DSN to a city-scale MySQL database")
	}
	dsn := os.Getenv("SHIANBAO_BENCH_DSN")
	if dsn == "" {
		t.Fatal("SHIANBAO_BENCH_DSN is not set")
	}
	cfg := config.Default()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.DB.Driver, cfg.DB.DSN, cfg.DB.AutoMigrate = "mysql", dsn, true
	cfg.Media.Dir = filepath.Join(t.TempDir(), "media")
	a, err := app.New(context.Background(), cfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Web.Handler())
	t.Cleanup(srv.Close)
	c := &conApp{App: a, url: srv.URL, engine: "mysql"}
	ctx := context.Background()
	rs, err := a.Registry.Regions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The busiest town, and a district of about ten thousand businesses.
	best := 0
	for _, r := range rs {
		switch r.Level {
		case registry.LevelTown:
			_, n, err := a.Registry.FindBusinesses(ctx, registry.BusinessFilter{ScopePath: r.Path, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if int(n) > best {
				best, c.hudaiTown = int(n), r
			}
		case registry.LevelDistrict:
			if c.distr.ID == 0 || r.Name == "滨湖区" {
				c.distr = r
			}
		}
	}
	suffix := randHex(4)
	c.admin, c.hudai, c.viewer = "bench-ad-"+suffix, "bench-tw-"+suffix, "bench-ds-"+suffix
	for _, u := range []account.UserInput{
		{Username: c.admin, Name: "压测管理员", Role: account.ConsoleAdmin, Password: conPassword},
		{Username: c.hudai, Name: "压测镇食安办", Role: account.ConsoleManager, RegionID: c.hudaiTown.ID, Password: conPassword},
		{Username: c.viewer, Name: "压测区只读", Role: account.ConsoleViewer, RegionID: c.distr.ID, Password: conPassword},
	} {
		if _, err := a.Accounts.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// TestConsoleLoad reports p50/p95/max per page and user.
func TestConsoleLoad(t *testing.T) {
	a := benchApp(t)
	users := []struct{ label, name string }{{"city admin", a.admin}, {"district viewer (" + a.distr.Name + ")", a.viewer},
		{"town manager (" + a.hudaiTown.Name + ")", a.hudai}}
	pages := []string{"/console/", "/console/businesses", "/console/businesses?covered=no", "/console/businesses?q=便利店&page=3",
		"/console/businesses?grade=D&status=operating&page=40", "/api/v1/businesses?limit=50&offset=5000", "/console/cadres", "/console/progress"}
	const n = 50
	t.Logf("%-34s %-48s %8s %8s %8s %8s", "user", "page", "first", "p50", "p95", "max")
	for _, u := range users {
		// The first sign-in renders the dashboard: time it cold.
		start := time.Now()
		c := a.signIn(t, u.name)
		t.Logf("%-34s sign-in and first dashboard %s", u.label, ms(time.Since(start)))
		for _, p := range pages {
			if u.name != a.hudai && p == "/console/progress" {
				continue // a city's table is a download, not a page to time
			}
			var ds []time.Duration
			var first time.Duration
			for i := 0; i < n+3; i++ {
				start := time.Now()
				if strings.HasPrefix(p, "/api/") {
					c.api(http.MethodGet, p)
				} else {
					c.get(p)
				}
				d := time.Since(start)
				if c.status != http.StatusOK {
					t.Fatalf("%s %s = %d", u.label, p, c.status)
				}
				if i == 0 {
					first = d
				}
				if i >= 3 {
					ds = append(ds, d)
				}
			}
			slices.Sort(ds)
			t.Logf("%-34s %-48s %8s %8s %8s %8s", u.label, p, ms(first), ms(ds[n/2]), ms(ds[n*95/100-1]), ms(ds[n-1]))
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d.Microseconds())/1000) }

// TestConsoleExportMemory streams the export SHIANBAO_BENCH_EXPORT names —
// the business list of a district ("district", about 10,000 rows) or of
// the city ("city", 100,000), or the city's visits since the day in
// SHIANBAO_BENCH_FROM ("visits"; 2026-09-01 gives about 67,000 rows,
// 2025-01-01 about 700,000) — and reports the heap's peak while it runs. Run each in its own
// process under /usr/bin/time -v to read the process's peak RSS:
//
//	go test -c -o /tmp/web.test ./internal/web
//	SHIANBAO_BENCH_CONSOLE=1 SHIANBAO_BENCH_DSN=… SHIANBAO_BENCH_EXPORT=district /usr/bin/time -v /tmp/web.test -test.run TestConsoleExportMemory -test.v
func TestConsoleExportMemory(t *testing.T) {
	a := benchApp(t)
	user, path := a.viewer, "/console/businesses.xlsx"
	switch os.Getenv("SHIANBAO_BENCH_EXPORT") {
	case "city":
		user = a.admin
	case "visits":
		user, path = a.admin, "/console/visits.xlsx?from="+os.Getenv("SHIANBAO_BENCH_FROM")
	}
	c := a.signIn(t, user)
	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var m runtime.MemStats
		var top uint64
		for {
			select {
			case <-stop:
				peak <- top
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&m)
				top = max(top, m.HeapInuse)
			}
		}
	}()
	start := time.Now()
	req, _ := http.NewRequest(http.MethodGet, a.url+path, nil)
	req.Header.Set("X-Real-IP", c.ip)
	for _, ck := range c.c.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	close(stop)
	top := <-peak
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s = %d", path, resp.StatusCode)
	}
	_, rows, _ := a.Supervision.FindBusinesses(context.Background(), benchQuery(a, user))
	if strings.Contains(path, "visits") {
		from, _ := time.ParseInLocation("2006-01-02", os.Getenv("SHIANBAO_BENCH_FROM"), clock.China)
		_, rows, _ = a.Supervision.FindVisits(context.Background(), supervision.VisitQuery{From: from, Limit: 1})
	}
	t.Logf("%s: %d rows, %d bytes in %s, peak heap in use %.0f MB", path, rows, size, time.Since(start).Round(time.Millisecond), float64(top)/(1<<20))
}

func benchQuery(a *conApp, user string) supervision.BusinessQuery {
	if user == a.admin {
		return supervision.BusinessQuery{Limit: 1}
	}
	return supervision.BusinessQuery{ScopePath: a.distr.Path, Limit: 1}
}
