package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/shianbao/shianbao/internal/db"
)

// A Template is a database built once per test binary — typically the demo
// district, which takes seconds to seed — and copied for every test that
// asks for it, so each test still starts from its own fresh database at the
// cost of a file copy (SQLite) or a table copy (MySQL).
//
// The copy is what the build left, byte for byte on SQLite and row for row
// on MySQL, so a test sees the same district whichever way it gets one.
type Template struct {
	name  string
	build BuildFunc

	sqliteOnce sync.Once
	sqliteData []byte
	sqliteErr  error

	mysqlOnce sync.Once
	mysqlName string
	mysqlErr  error
}

// BuildFunc fills an empty database at dsn on engine. It opens and closes
// the database itself, so it may be a whole app booting on that DSN.
type BuildFunc func(ctx context.Context, engine db.Engine, dsn string) error

// NewTemplate returns a template built by build. name shows in errors and in
// the MySQL template database's name.
func NewTemplate(name string, build BuildFunc) *Template {
	return &Template{name: name, build: build}
}

// SeedTemplate returns a template of a database migrated with schemas and
// filled by seed.
func SeedTemplate(name string, seed func(ctx context.Context, d *db.DB) error, schemas ...db.Schema) *Template {
	return NewTemplate(name, func(ctx context.Context, engine db.Engine, dsn string) error {
		d, err := db.Open(ctx, db.Options{Driver: engine, DSN: dsn, MaxOpenConns: 8})
		if err != nil {
			return err
		}
		defer d.Close()
		if _, err := d.Migrate(ctx, schemas...); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		return seed(ctx, d)
	})
}

// Open returns a fresh copy: on MySQL when configured, else on SQLite.
func (tp *Template) Open(t testing.TB) *db.DB {
	t.Helper()
	if os.Getenv(EnvMySQLDSN) != "" {
		return tp.OpenMySQL(t)
	}
	return tp.OpenSQLite(t)
}

// OpenSQLite returns a fresh SQLite copy, closed when the test ends.
func (tp *Template) OpenSQLite(t testing.TB) *db.DB {
	t.Helper()
	return openCopy(t, db.SQLite, tp.SQLiteFile(t))
}

// OpenMySQL returns a fresh MySQL copy, dropped when the test ends; nil
// after skipping when MySQL is not configured.
func (tp *Template) OpenMySQL(t testing.TB) *db.DB {
	t.Helper()
	dsn := tp.MySQLDSN(t)
	if dsn == "" {
		return nil
	}
	return openCopy(t, db.MySQL, dsn)
}

func openCopy(t testing.TB, engine db.Engine, dsn string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), db.Options{Driver: engine, DSN: dsn, MaxOpenConns: 8})
	if err != nil {
		t.Fatalf("open %s copy: %v", engine, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// SQLiteFile writes a fresh copy into the test's temporary directory and
// returns its path.
func (tp *Template) SQLiteFile(t testing.TB) string {
	t.Helper()
	tp.sqliteOnce.Do(func() { tp.sqliteData, tp.sqliteErr = tp.buildSQLite() })
	if tp.sqliteErr != nil {
		t.Fatalf("template %s (sqlite): %v", tp.name, tp.sqliteErr)
	}
	path := filepath.Join(t.TempDir(), "test.db")
	if err := os.WriteFile(path, tp.sqliteData, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// buildSQLite builds the template in a scratch file and keeps a compact,
// self-contained image of it (VACUUM INTO folds the write-ahead log in).
func (tp *Template) buildSQLite() ([]byte, error) {
	dir, err := os.MkdirTemp("", "shianbao-template-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	src := filepath.Join(dir, "build.db")
	if err := tp.build(ctx, db.SQLite, src); err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, db.Options{Driver: db.SQLite, DSN: src})
	if err != nil {
		return nil, err
	}
	image := filepath.Join(dir, "image.db")
	err = d.Gorm(ctx).Exec("VACUUM INTO ?", image).Error
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("vacuum into image: %w", err)
	}
	return os.ReadFile(image)
}

// MySQLDSN creates a database copied from the template and returns its DSN;
// the copy is dropped in Cleanup. It returns "" after skipping when MySQL is
// not configured (or fails when services are required).
func (tp *Template) MySQLDSN(t testing.TB) string {
	t.Helper()
	dsn := NewMySQLDatabase(t)
	if dsn == "" {
		return ""
	}
	tp.mysqlOnce.Do(func() { tp.mysqlName, tp.mysqlErr = tp.buildMySQL() })
	if tp.mysqlErr != nil {
		t.Fatalf("template %s (mysql): %v", tp.name, tp.mysqlErr)
	}
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := copyMySQL(context.Background(), tp.mysqlName, cfg.DBName); err != nil {
		t.Fatalf("copy template %s: %v", tp.name, err)
	}
	return dsn
}

// templatePrefix names template databases; the creation time in the name
// lets a later run drop what a crashed run left behind.
const templatePrefix = "shianbao_test_tmpl_"

var (
	templatesMu sync.Mutex
	templates   []string
)

func (tp *Template) buildMySQL() (string, error) {
	admin, err := adminDB()
	if err != nil {
		return "", err
	}
	defer admin.Close()
	dropStaleTemplates(admin)
	name := fmt.Sprintf("%s%d_%s", templatePrefix, time.Now().Unix(), randomHex(4))
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return "", fmt.Errorf("create template database: %w", err)
	}
	templatesMu.Lock()
	templates = append(templates, name)
	templatesMu.Unlock()
	cfg, _ := mysqldrv.ParseDSN(os.Getenv(EnvMySQLDSN))
	cfg.DBName = name
	if err := tp.build(context.Background(), db.MySQL, cfg.FormatDSN()); err != nil {
		return "", err
	}
	return name, nil
}

// copyMySQL copies every table of src into the empty database dst: the
// same definitions (indexes, auto-increment) and the same rows.
func copyMySQL(ctx context.Context, src, dst string) error {
	admin, err := adminDB()
	if err != nil {
		return err
	}
	defer admin.Close()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'", src)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Rows go in table by table, not in the order foreign keys want.
	if _, err := conn.ExecContext(ctx, "SET SESSION foreign_key_checks = 0"); err != nil {
		return err
	}
	for _, tbl := range tables {
		from, to := quoteIdent(src)+"."+quoteIdent(tbl), quoteIdent(dst)+"."+quoteIdent(tbl)
		if _, err := conn.ExecContext(ctx, "CREATE TABLE "+to+" LIKE "+from); err != nil {
			return fmt.Errorf("copy table %s: %w", tbl, err)
		}
		if _, err := conn.ExecContext(ctx, "INSERT INTO "+to+" SELECT * FROM "+from); err != nil {
			return fmt.Errorf("copy rows of %s: %w", tbl, err)
		}
	}
	_, err = conn.ExecContext(ctx, "SET SESSION foreign_key_checks = 1")
	return err
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func adminDB() (*sql.DB, error) {
	cfg, err := mysqldrv.ParseDSN(os.Getenv(EnvMySQLDSN))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", EnvMySQLDSN, err)
	}
	cfg.DBName = ""
	return sql.Open("mysql", cfg.FormatDSN())
}

// dropStaleTemplates drops template databases older than a day: those of a
// test binary that was killed before DropTemplates ran.
func dropStaleTemplates(admin *sql.DB) {
	rows, err := admin.Query("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'shianbao\\_test\\_tmpl\\_%'")
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		stamp, _, _ := strings.Cut(strings.TrimPrefix(name, templatePrefix), "_")
		if sec, err := strconv.ParseInt(stamp, 10, 64); err == nil && time.Since(time.Unix(sec, 0)) > 24*time.Hour {
			stale = append(stale, name)
		}
	}
	rows.Close()
	for _, name := range stale {
		admin.Exec("DROP DATABASE IF EXISTS " + quoteIdent(name))
	}
}

// Main runs a package's tests and then drops the MySQL templates they
// built: `func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }`.
func Main(m *testing.M) int {
	code := m.Run()
	DropTemplates()
	return code
}

// DropTemplates drops every MySQL template this test binary built.
func DropTemplates() {
	templatesMu.Lock()
	names := templates
	templates = nil
	templatesMu.Unlock()
	if len(names) == 0 {
		return
	}
	admin, err := adminDB()
	if err != nil {
		return
	}
	defer admin.Close()
	for _, name := range names {
		admin.Exec("DROP DATABASE IF EXISTS " + quoteIdent(name))
	}
}

// Each runs fn as a subtest once per available engine ("sqlite", and
// "mysql" when configured), each with a fresh copy of the template.
func (tp *Template) Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, tp.OpenSQLite(t)) })
	t.Run("mysql", func(t *testing.T) {
		d := tp.OpenMySQL(t)
		if d == nil {
			return
		}
		fn(t, d)
	})
}
