package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/demo"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// bootSQLite runs the embedded default on :0 over a copy of the demo
// district it seeds on a newcomer's first `go run ./cmd/shianbao`
// (TestRestartKeepsData boots from an empty file).
func bootSQLite(t *testing.T) *app.App {
	t.Helper()
	return run(t, apptest.SQLiteConfig(t))
}

// run boots cfg with opts (logs discarded unless opts say where) and stops
// it when the test ends.
func run(t *testing.T, cfg config.Config, opts ...app.Options) *app.App {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	o := app.Options{LogOutput: io.Discard}
	if len(opts) > 0 {
		o = opts[0]
	}
	a, err := app.New(ctx, cfg, o)
	if err != nil {
		cancel()
		t.Fatalf("app.New: %v", err)
	}
	if err := a.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("app did not stop after its context was cancelled")
		}
	})
	return a
}

func get(t *testing.T, url string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestEmbeddedDefault(t *testing.T) {
	a := bootSQLite(t)
	ctx := context.Background()

	t.Run("Ready", func(t *testing.T) {
		status, body := get(t, a.URL()+"/readyz")
		if status != http.StatusOK || !strings.Contains(body, `"database":"ok"`) || !strings.Contains(body, `"kv":"ok"`) {
			t.Fatalf("readyz = %d %s", status, body)
		}
		if status, _ := get(t, a.URL()+"/healthz"); status != http.StatusOK {
			t.Fatalf("healthz = %d", status)
		}
	})

	t.Run("DemoDistrict", func(t *testing.T) {
		regions, err := a.Registry.Regions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"胡埭镇": 979, "蠡湖街道": 1060}
		for _, r := range regions {
			n, ok := want[r.Name]
			if !ok || r.Level != registry.LevelTown {
				continue
			}
			_, total, err := a.Query.Businesses(ctx, query.BusinessFilter{ScopePath: r.Path, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if total != n {
				t.Errorf("%s has %d businesses, want %d", r.Name, total, n)
			}
			delete(want, r.Name)
		}
		if len(want) > 0 {
			t.Errorf("towns missing: %v", want)
		}
	})

	t.Run("Metrics", func(t *testing.T) {
		status, body := get(t, a.URL()+"/metrics")
		if status != http.StatusOK || !strings.Contains(body, "shianbao_http_requests_total") || !strings.Contains(body, `go_sql_max_open_connections{db_name="shianbao"}`) {
			t.Fatalf("metrics = %d, missing HTTP or DB pool metrics", status)
		}
	})

	t.Run("ErrorsAsJSON", func(t *testing.T) {
		status, body := get(t, a.URL()+"/api/v1/nothing-here")
		var e struct {
			Error struct {
				Code      string `json:"code"`
				Message   string `json:"message"`
				RequestID string `json:"request_id"`
			} `json:"error"`
		}
		if status != http.StatusNotFound || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "not_found" || e.Error.RequestID == "" || e.Error.Message == "" {
			t.Fatalf("unknown API route = %d %s", status, body)
		}
	})

	t.Run("ErrorsAsHTML", func(t *testing.T) {
		status, body := get(t, a.URL()+"/h5/nothing-here", "Accept", "text/html")
		if status != http.StatusNotFound || !strings.Contains(body, "页面不存在") || !strings.Contains(body, "请求编号") {
			t.Fatalf("unknown page = %d %s", status, body)
		}
	})

	t.Run("BodyLimit", func(t *testing.T) {
		big := strings.NewReader(strings.Repeat("x", int(a.Config.HTTP.BodyLimit)+1))
		resp, err := http.Post(a.URL()+"/healthz", "text/plain", big)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversized body = %d, want 413", resp.StatusCode)
		}
	})
}

func TestRestartKeepsData(t *testing.T) {
	cfg := config.Default()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.DB.DSN = filepath.Join(t.TempDir(), "shianbao.db")
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		a, err := app.New(ctx, cfg, app.Options{LogOutput: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		_, total, err := a.Query.Businesses(ctx, query.BusinessFilter{Limit: 1})
		a.Close()
		if err != nil || total != 979+1060 {
			t.Fatalf("start %d: %d businesses (%v); a restart must neither lose nor re-seed data", i+1, total, err)
		}
	}
}

// TestMySQLAndRedis boots the production shape: MySQL with a stale schema is
// refused with the command to run; after migrating it serves and is ready.
func TestMySQLAndRedis(t *testing.T) {
	dsn := dbtest.NewMySQLDatabase(t)
	redisAddr := os.Getenv(dbtest.EnvRedisAddr)
	if redisAddr == "" {
		if dbtest.RequireServices() {
			t.Fatalf("%s not set", dbtest.EnvRedisAddr)
		}
		t.Skip("Redis not configured")
	}
	cfg := config.Default()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.DB.Driver, cfg.DB.DSN = "mysql", dsn
	cfg.Redis.Addr = redisAddr

	_, err := app.New(context.Background(), cfg, app.Options{LogOutput: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "shianbao migrate") {
		t.Fatalf("stale schema: want an error naming `shianbao migrate`, got %v", err)
	}

	cfg.DB.AutoMigrate = true
	a := run(t, cfg)
	status, body := get(t, a.URL()+"/readyz")
	if status != http.StatusOK || !strings.Contains(body, `"kv":"ok"`) {
		t.Fatalf("readyz = %d %s", status, body)
	}

	// A register to bind against, then the gateway story on MySQL + Redis.
	if _, err := demo.Seed(context.Background(), a.DB, a.Registry, demo.Options{Seed: 7}); err != nil {
		t.Fatal(err)
	}
	gatewayStory(t, a, fmt.Sprintf("o-gateway-mysql-%d", time.Now().UnixNano()))
}

// TestConcurrentFirstStart starts two instances at once on one empty
// database in simulator mode: both come up, the demo district is there
// once, and each demo user once. On MySQL (no demo district there) the
// demo admin is created by one and left alone by the other.
func TestConcurrentFirstStart(t *testing.T) {
	engines := []struct {
		name string
		cfg  func(t *testing.T) config.Config
	}{
		{"SQLite", func(t *testing.T) config.Config {
			cfg := config.Default()
			dir := t.TempDir()
			cfg.DB.DSN = filepath.Join(dir, "shianbao.db")
			cfg.Media.Dir = filepath.Join(dir, "media")
			return cfg
		}},
		{"MySQL", func(t *testing.T) config.Config {
			cfg := config.Default()
			cfg.DB.Driver, cfg.DB.DSN, cfg.DB.AutoMigrate = "mysql", dbtest.NewMySQLDatabase(t), true
			cfg.Media.Dir = t.TempDir()
			return cfg
		}},
	}
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			cfg := eng.cfg(t)
			cfg.HTTP.Addr = "127.0.0.1:0"
			ctx := context.Background()
			apps := make([]*app.App, 2)
			errc := make(chan error, len(apps))
			for i := range apps {
				go func() {
					a, err := app.New(ctx, cfg, app.Options{LogOutput: io.Discard})
					apps[i] = a
					errc <- err
				}()
			}
			for range apps {
				if err := <-errc; err != nil {
					t.Errorf("app.New: %v", err)
				}
			}
			for _, a := range apps {
				if a != nil {
					t.Cleanup(func() { a.Close() })
				}
			}
			if t.Failed() {
				return
			}
			users, err := apps[0].Accounts.Users(ctx)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, u := range users {
				seen[u.Username]++
			}
			want := map[string]int{"admin": 1, "hudai": 1, "lihu": 1, "viewer": 1}
			if eng.name == "MySQL" {
				want = map[string]int{"admin": 1}
			}
			if fmt.Sprint(seen) != fmt.Sprint(want) {
				t.Errorf("console users %v, want %v", seen, want)
			}
			if eng.name == "SQLite" {
				_, total, err := apps[1].Query.Businesses(ctx, query.BusinessFilter{Limit: 1})
				if err != nil || total != 979+1060 {
					t.Errorf("%d businesses (%v): the district must be seeded once", total, err)
				}
			}
		})
	}
}
