package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/benchtest"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web/console"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// The console benchmarks measure pages and exports on a city-scale register
// seeded beforehand, named by SHIANBAO_BENCH_DSN; without it they skip:
//
//	mysql -uroot -h127.0.0.1 -e "CREATE DATABASE shianbao_console_bench CHARACTER SET utf8mb4"
//	export SHIANBAO_DB_DRIVER=mysql SHIANBAO_DB_DSN='root@tcp(127.0.0.1:3306)/shianbao_console_bench'
//	shianbao migrate && shianbao seed --scale 100000 --visits 1000000
//	SHIANBAO_BENCH_DSN="$SHIANBAO_DB_DSN" go test -run '^$' -bench ConsolePages -benchtime 50x -timeout 30m ./internal/web/console
//
// The users are a signed-in administrator (the whole city), a viewer of a
// district of about ten thousand businesses and the manager of the
// busiest town.

// benchApp boots the app on the database SHIANBAO_BENCH_DSN names and
// creates the three users.
func benchApp(b *testing.B) *webtest.App {
	b.Helper()
	dsn := os.Getenv("SHIANBAO_BENCH_DSN")
	if dsn == "" {
		b.Skip("set SHIANBAO_BENCH_DSN to a MySQL database seeded with `shianbao seed --scale 100000 --visits 1000000` to measure the console at city scale")
	}
	cfg := config.Default()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.DB.Driver, cfg.DB.DSN, cfg.DB.AutoMigrate = "mysql", dsn, true
	cfg.Media.Dir = filepath.Join(b.TempDir(), "media")
	a, err := app.New(context.Background(), cfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Web.Handler())
	b.Cleanup(srv.Close)
	c := &webtest.App{App: a, URL: srv.URL, Engine: "mysql"}
	ctx := context.Background()
	rs, err := a.Registry.Regions(ctx)
	if err != nil {
		b.Fatal(err)
	}
	// The busiest town, and a district of about ten thousand businesses.
	best := 0
	for _, r := range rs {
		switch r.Level {
		case registry.LevelTown:
			_, n, err := a.Query.Businesses(ctx, query.BusinessFilter{ScopePath: r.Path, Limit: 1})
			if err != nil {
				b.Fatal(err)
			}
			if int(n) > best {
				best, c.HudaiTown = int(n), r
			}
		case registry.LevelDistrict:
			if c.District.ID == 0 || r.Name == "滨湖区" {
				c.District = r
			}
		}
	}
	suffix := webtest.RandHex(4)
	c.Admin, c.Hudai, c.Viewer = "bench-ad-"+suffix, "bench-tw-"+suffix, "bench-ds-"+suffix
	for _, u := range []account.UserInput{
		{Username: c.Admin, Name: "压测管理员", Role: account.ConsoleAdmin, Password: webtest.Password},
		{Username: c.Hudai, Name: "压测镇食安办", Role: account.ConsoleManager, RegionID: c.HudaiTown.ID, Password: webtest.Password},
		{Username: c.Viewer, Name: "压测区只读", Role: account.ConsoleViewer, RegionID: c.District.ID, Password: webtest.Password},
	} {
		if _, err := a.Accounts.CreateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
	}
	return c
}

// BenchmarkConsolePages requests each page in a row as each user (an op
// is one request through real HTTP, after three to warm up) and reports
// p50/p95/max besides the mean, the first request's time, and on the
// dashboard the sign-in with its cold first dashboard.
func BenchmarkConsolePages(b *testing.B) {
	a := benchApp(b)
	users := []struct{ label, name string }{{"admin", a.Admin}, {"viewer(" + a.District.Name + ")", a.Viewer},
		{"manager(" + a.HudaiTown.Name + ")", a.Hudai}}
	pages := []struct{ name, path string }{
		{"dashboard", "/console/"}, {"businesses", "/console/businesses"}, {"uncovered", "/console/businesses?covered=no"},
		{"search-p3", "/console/businesses?q=便利店&page=3"}, {"gradeD-p40", "/console/businesses?grade=D&status=operating&page=40"},
		{"api-offset5000", "/api/v1/businesses?limit=50&offset=5000"}, {"cadres", "/console/cadres"}, {"progress", "/console/progress"},
	}
	for _, u := range users {
		b.Run(u.label, func(b *testing.B) {
			if u.name == a.Admin {
				// The background work keeps the whole register's figures
				// ahead of the administrator (at start and every five
				// minutes): time it once, as a serving instance does it.
				start := time.Now()
				if err := a.KeepDashboardFigures(context.Background(), console.DashboardSlow); err != nil {
					b.Fatal(err)
				}
				b.Logf("whole register's dashboard figures worked out and kept in %v", time.Since(start).Round(time.Millisecond))
			}
			// The first sign-in renders the dashboard: time it cold.
			start := time.Now()
			c := a.SignIn(b, u.name)
			signIn := time.Since(start)
			for _, p := range pages {
				if u.name != a.Hudai && p.name == "progress" {
					continue // a city's table is a download, not a page to time
				}
				b.Run(p.name, func(b *testing.B) {
					c.T = b
					get := func() time.Duration {
						start := time.Now()
						if strings.HasPrefix(p.path, "/api/") {
							c.API(http.MethodGet, p.path)
						} else {
							c.Get(p.path)
						}
						d := time.Since(start)
						if c.Status != http.StatusOK {
							b.Fatalf("%s %s = %d", u.label, p.path, c.Status)
						}
						return d
					}
					first := get()
					get()
					get()
					var ds []time.Duration
					for b.Loop() {
						ds = append(ds, get())
					}
					slices.Sort(ds)
					n := len(ds)
					b.ReportMetric(ms(first), "first-ms")
					b.ReportMetric(ms(ds[n/2]), "p50-ms")
					b.ReportMetric(ms(ds[max(0, n*95/100-1)]), "p95-ms")
					b.ReportMetric(ms(ds[n-1]), "max-ms")
					if p.name == "dashboard" {
						b.ReportMetric(ms(signIn), "signin-ms")
					}
				})
			}
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkConsoleExport streams each export (an op is one whole download):
// the business list of the district (about 10,000 rows) and of the city
// (100,000), and the city's visits since SHIANBAO_BENCH_FROM (2026-09-01
// gives about 67,000 rows, 2025-01-01 about 700,000; by default since the
// cycle began, as the console does). It reports the rows, the file's size
// and the peak heap and resident set while it streams.
func BenchmarkConsoleExport(b *testing.B) {
	a := benchApp(b)
	ctx := context.Background()
	visitsPath, from := "/console/visits.xlsx", os.Getenv("SHIANBAO_BENCH_FROM")
	var since time.Time
	if from != "" {
		visitsPath += "?from=" + from
		t, err := time.ParseInLocation("2006-01-02", from, clock.China)
		if err != nil {
			b.Fatalf("SHIANBAO_BENCH_FROM=%q: want a date like 2026-09-01", from)
		}
		since = t
	} else {
		since = supervision.CycleFor(a.Supervision.Rules().Period(registry.GradeD), a.Clock.Now()).Start
	}
	for _, x := range []struct {
		name, user, path string
		rows             func() (int64, error)
	}{
		{"district", a.Viewer, "/console/businesses.xlsx", func() (int64, error) {
			_, n, err := a.Query.Businesses(ctx, query.BusinessFilter{ScopePath: a.District.Path, Limit: 1})
			return n, err
		}},
		{"city", a.Admin, "/console/businesses.xlsx", func() (int64, error) {
			_, n, err := a.Query.Businesses(ctx, query.BusinessFilter{Limit: 1})
			return n, err
		}},
		{"visits", a.Admin, visitsPath, func() (int64, error) {
			_, n, err := a.Query.Visits(ctx, query.VisitFilter{From: since, Limit: 1})
			return n, err
		}},
	} {
		b.Run(x.name, func(b *testing.B) {
			rows, err := x.rows()
			if err != nil {
				b.Fatal(err)
			}
			c := a.SignIn(b, x.user)
			var size int64
			mem := benchtest.WatchMemory()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, a.URL+x.path, nil)
				req.Header.Set("X-Real-IP", c.IP)
				for _, ck := range c.HTTP.Jar.Cookies(req.URL) {
					req.AddCookie(ck)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				size, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s = %d", x.path, resp.StatusCode)
				}
			}
			mem.Report(b)
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(size)/1e6, "file-MB")
		})
	}
}
