// Package apptest gives end-to-end tests the embedded default's
// configuration over a database that already holds the demo district, as the
// app seeds it on its first start. The district is seeded once per test
// binary and copied for each test (see dbtest.Template), so booting a whole
// app costs a file copy instead of a seed. Each app gets its own Redis key
// prefix, so apps running side by side never share sessions or locks.
//
// SQLite and the in-process kv always; MySQL and Redis when
// SHIANBAO_TEST_MYSQL_DSN and SHIANBAO_TEST_REDIS_ADDR are set.
package apptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
)

// district is the demo district as the embedded default seeds it: the
// register, a week of self-check records and (on SQLite, where the first
// start creates them) the demo console users.
var district = dbtest.NewTemplate("app-demo", func(ctx context.Context, engine db.Engine, dsn string) error {
	cfg := base()
	cfg.DB.Driver, cfg.DB.DSN, cfg.DB.AutoMigrate = string(engine), dsn, true
	dir, err := os.MkdirTemp("", "shianbao-apptest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg.Media.Dir = filepath.Join(dir, "media")
	a, err := app.New(ctx, cfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		return err
	}
	defer a.Close()
	if engine == db.MySQL {
		// The embedded default seeds only SQLite on its own.
		return a.SeedDemo(ctx)
	}
	return nil
})

func base() config.Config {
	cfg := config.Default()
	cfg.HTTP.Addr = "127.0.0.1:0"
	// The end-to-end tests read each answer from the passive reply; the
	// tests of tappable choices turn msgmenu on themselves.
	cfg.WeChat.Menus = false
	return cfg
}

// Engine is the database the tests of this binary run on: "mysql" when
// SHIANBAO_TEST_MYSQL_DSN is set, else "sqlite".
func Engine() db.Engine {
	if os.Getenv(dbtest.EnvMySQLDSN) != "" {
		return db.MySQL
	}
	return db.SQLite
}

// Config returns the embedded default's configuration on :0 over a fresh
// copy of the demo district, with the test's own media directory. On MySQL
// it uses Redis too, under a key prefix of its own.
func Config(t *testing.T) config.Config {
	t.Helper()
	cfg := base()
	dir := t.TempDir()
	cfg.Media.Dir = filepath.Join(dir, "media")
	if Engine() == db.MySQL {
		cfg.DB.Driver, cfg.DB.DSN, cfg.DB.AutoMigrate = string(db.MySQL), district.MySQLDSN(t), true
		if addr := os.Getenv(dbtest.EnvRedisAddr); addr != "" {
			cfg.Redis.Addr = addr
			cfg.Redis.KeyPrefix = "shianbao-test:" + rand.Text() + ":"
		} else if dbtest.RequireServices() {
			t.Fatalf("%s is not set but %s=1", dbtest.EnvRedisAddr, dbtest.EnvRequireServices)
		}
		return cfg
	}
	cfg.DB.DSN = district.SQLiteFile(t)
	return cfg
}

// SQLiteConfig is Config on SQLite and the in-process kv whatever the
// environment says: the embedded default exactly.
func SQLiteConfig(t *testing.T) config.Config {
	t.Helper()
	cfg := base()
	dir := t.TempDir()
	cfg.Media.Dir = filepath.Join(dir, "media")
	cfg.DB.DSN = district.SQLiteFile(t)
	return cfg
}

// EmptyConfig is the embedded default on :0 over an empty SQLite file that
// is not seeded: for tests of the service's edges that need no district.
func EmptyConfig(t testing.TB) config.Config {
	t.Helper()
	cfg := base()
	dir := t.TempDir()
	cfg.DB.DSN, cfg.Media.Dir = filepath.Join(dir, "shianbao.db"), filepath.Join(dir, "media")
	cfg.Demo.SeedOnEmpty = false
	return cfg
}

// Buffer is a log or output sink a test reads while the app writes to it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
