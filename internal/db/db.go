// Package db opens the relational database (MySQL/MariaDB in production,
// SQLite without cgo for the embedded default), applies versioned
// migrations, runs transactions and translates driver errors into the
// service's error kinds in one place.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/errs"
)

// Engine names a supported database engine.
type Engine string

// The supported engines.
const (
	SQLite Engine = "sqlite"
	MySQL  Engine = "mysql"
)

// Options says which database to open and how to pool connections.
type Options struct {
	Driver          Engine
	DSN             string
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	// Logger receives slow-query and error reports; nil means silent.
	Logger *slog.Logger
}

// DB is an open database with the engine it runs on.
type DB struct {
	gorm   *gorm.DB
	sql    *sql.DB
	engine Engine
}

// Open connects and checks the connection. For SQLite it creates the
// directory of the file when needed.
func Open(ctx context.Context, o Options) (*DB, error) {
	var dialector gorm.Dialector
	switch o.Driver {
	case SQLite:
		dsn, err := sqliteDSN(o.DSN)
		if err != nil {
			return nil, err
		}
		dialector = sqlite.Open(dsn)
	case MySQL:
		dsn, err := mysqlDSN(o.DSN)
		if err != nil {
			return nil, err
		}
		dialector = mysql.New(mysql.Config{DSN: dsn, DefaultStringSize: 255})
	default:
		return nil, fmt.Errorf("open database: unknown driver %q", o.Driver)
	}
	g, err := gorm.Open(dialector, &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		PrepareStmt:            false,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		Logger:                 newGormLogger(o.Logger),
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	maxOpen := o.MaxOpenConns
	if maxOpen <= 0 {
		maxOpen = 10
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	if o.MaxIdleConns > 0 {
		sqlDB.SetMaxIdleConns(o.MaxIdleConns)
	}
	if o.ConnMaxLifetime > 0 {
		sqlDB.SetConnMaxLifetime(o.ConnMaxLifetime)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open database: cannot reach %s: %w", o.Driver, err)
	}
	return &DB{gorm: g, sql: sqlDB, engine: o.Driver}, nil
}

// sqliteDSN adds the pragmas the embedded default relies on: WAL so readers
// never wait for the writer, a busy timeout, enforced foreign keys, and
// IMMEDIATE transactions so two writers queue instead of failing when a
// read lock would have to be upgraded.
func sqliteDSN(dsn string) (string, error) {
	path, query, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	if path != ":memory:" && path != "" {
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return "", fmt.Errorf("open database: create directory for %s: %w", path, err)
			}
		}
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Errorf("open database: bad SQLite DSN options: %w", err)
	}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(15000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode(), nil
}

// mysqlDSN makes the settings the code depends on explicit whatever the
// operator wrote: times in UTC, parsed into time.Time, and utf8mb4 so any
// Chinese name (and emoji in chat) is stored intact.
func mysqlDSN(dsn string) (string, error) {
	c, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("open database: bad MySQL DSN: %w", err)
	}
	c.ParseTime = true
	// Interpolating parameters client-side (escaped for utf8mb4) saves the
	// prepare and close round trips of every parameterised query.
	c.InterpolateParams = true
	c.Loc = time.UTC
	if c.Collation == "" || !strings.HasPrefix(c.Collation, "utf8mb4") {
		c.Collation = "utf8mb4_unicode_ci"
	}
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	c.Params["time_zone"] = "'+00:00'"
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	return c.FormatDSN(), nil
}

// Engine reports which engine this database runs on.
func (d *DB) Engine() Engine { return d.engine }

// Gorm returns the connection bound to ctx, for reads and single writes.
func (d *DB) Gorm(ctx context.Context) *gorm.DB { return d.gorm.WithContext(ctx) }

// SQL returns the underlying pool (for metrics and health checks).
func (d *DB) SQL() *sql.DB { return d.sql }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.sql.PingContext(ctx); err != nil {
		return errs.Wrap(errs.Unavailable, err, "数据库暂时不可用")
	}
	return nil
}

// Close closes the pool.
func (d *DB) Close() error { return d.sql.Close() }

// InTx runs fn in one transaction: a business change and the outbox rows it
// causes commit together or not at all. The error fn returns is returned
// translated.
func (d *DB) InTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	err := d.gorm.WithContext(ctx).Transaction(fn)
	return Translate(err)
}

// Translate maps driver and GORM errors to error kinds. Errors that already
// carry a kind pass through unchanged.
func Translate(err error) error {
	if err == nil {
		return nil
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound), errors.Is(err, sql.ErrNoRows):
		return errs.Wrap(errs.NotFound, err, "")
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return errs.Wrap(errs.Conflict, err, "")
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return errs.Wrap(errs.Conflict, err, "关联的数据不存在或仍被引用。")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return errs.Wrap(errs.Unavailable, err, "")
	}
	var me *mysqldrv.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1062:
			return errs.Wrap(errs.Conflict, err, "")
		case 1451, 1452:
			return errs.Wrap(errs.Conflict, err, "关联的数据不存在或仍被引用。")
		case 1205, 1213:
			return errs.Wrap(errs.Unavailable, err, "")
		}
	}
	if strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return errs.Wrap(errs.Conflict, err, "")
	}
	if strings.Contains(err.Error(), "database is locked") || errors.Is(err, mysqldrv.ErrInvalidConn) {
		return errs.Wrap(errs.Unavailable, err, "")
	}
	return err
}

// NotFoundAs translates err and, when it means "no such row", gives it the
// user-facing message (e.g. "主体不存在"). Other errors pass through translated.
func NotFoundAs(err error, message string) error {
	err = Translate(err)
	if errs.Is(err, errs.NotFound) {
		return errs.Wrap(errs.NotFound, err, message)
	}
	return err
}
