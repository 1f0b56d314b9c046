// Package dbtest gives each test a fresh database: a temporary SQLite file
// always, and a MySQL/MariaDB database with a random name when
// SHIANBAO_TEST_MYSQL_DSN is set (dropped in Cleanup). With
// SHIANBAO_TEST_REQUIRE_SERVICES=1 a missing MySQL fails the test instead of
// skipping it, so CI cannot pass without really exercising MySQL.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/shianbao/shianbao/internal/db"
)

// Environment variables the test setup reads.
const (
	EnvMySQLDSN        = "SHIANBAO_TEST_MYSQL_DSN"
	EnvRedisAddr       = "SHIANBAO_TEST_REDIS_ADDR"
	EnvRequireServices = "SHIANBAO_TEST_REQUIRE_SERVICES"
)

// RequireServices reports whether missing services must fail tests.
func RequireServices() bool { return os.Getenv(EnvRequireServices) == "1" }

// Each runs fn as a subtest once per available engine ("sqlite", and
// "mysql" when configured), each with a fresh, migrated database.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB), schemas ...db.Schema) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, OpenSQLite(t, schemas...)) })
	t.Run("mysql", func(t *testing.T) {
		d := OpenMySQL(t, schemas...)
		if d == nil {
			return
		}
		fn(t, d)
	})
}

// Open returns one fresh migrated database: MySQL when configured, else SQLite.
func Open(t testing.TB, schemas ...db.Schema) *db.DB {
	t.Helper()
	if os.Getenv(EnvMySQLDSN) != "" {
		return OpenMySQL(t, schemas...)
	}
	return OpenSQLite(t, schemas...)
}

// OpenSQLite returns a migrated SQLite database in a temporary file.
func OpenSQLite(t testing.TB, schemas ...db.Schema) *db.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	d, err := db.Open(context.Background(), db.Options{Driver: db.SQLite, DSN: path, MaxOpenConns: 4})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	migrate(t, d, schemas)
	return d
}

// OpenMySQL creates a database with a random name on the configured server,
// migrates it and drops it when the test ends. It skips (or fails, when
// services are required) if no server is configured.
func OpenMySQL(t testing.TB, schemas ...db.Schema) *db.DB {
	t.Helper()
	dsn := NewMySQLDatabase(t)
	if dsn == "" {
		return nil
	}
	d, err := db.Open(context.Background(), db.Options{Driver: db.MySQL, DSN: dsn, MaxOpenConns: 20})
	if err != nil {
		t.Fatalf("open mysql: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	migrate(t, d, schemas)
	return d
}

// NewMySQLDatabase creates an empty database with a random name and returns
// its DSN; the database is dropped in Cleanup. It returns "" after skipping
// when MySQL is not configured.
func NewMySQLDatabase(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvMySQLDSN)
	if base == "" {
		if RequireServices() {
			t.Fatalf("%s is not set but %s=1", EnvMySQLDSN, EnvRequireServices)
		}
		t.Skipf("MySQL not configured (%s)", EnvMySQLDSN)
		return ""
	}
	cfg, err := mysqldrv.ParseDSN(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvMySQLDSN, err)
	}
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("connect mysql: %v", err)
	}
	defer admin.Close()
	name := "shianbao_test_" + randomHex(6)
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			t.Errorf("drop test database: %v", err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

func migrate(t testing.TB, d *db.DB, schemas []db.Schema) {
	t.Helper()
	if len(schemas) == 0 {
		return
	}
	if _, err := d.Migrate(context.Background(), schemas...); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
