package db

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/errs"
)

// Schema is one feature package's ordered list of migrations. Each feature
// owns its tables, so versions are numbered per component; the app applies
// components in dependency order (registry before the features built on it).
type Schema struct {
	Component  string
	Migrations []Migration
}

// Migration is one versioned change. SQL holds statements separated by
// semicolons at line ends, written once for both engines with these
// placeholders: {{pk}} (auto-increment primary key), {{datetime}},
// {{opts}} (MySQL table options; nothing on SQLite). Func runs after SQL,
// in the same transaction where the engine allows it, for data changes.
type Migration struct {
	Version int
	Name    string
	SQL     string
	Func    func(tx *gorm.DB) error
}

type appliedMigration struct {
	Component string    `gorm:"primaryKey;size:64"`
	Version   int       `gorm:"primaryKey"`
	Name      string    `gorm:"size:200"`
	AppliedAt time.Time `gorm:"not null"`
}

func (appliedMigration) TableName() string { return "schema_migrations" }

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	component VARCHAR(64) NOT NULL,
	version INT NOT NULL,
	name VARCHAR(200) NOT NULL,
	applied_at {{datetime}} NOT NULL,
	PRIMARY KEY (component, version)
) {{opts}}`

// Pending lists the migrations not yet applied, as "component v: name".
func (d *DB) Pending(ctx context.Context, schemas ...Schema) ([]string, error) {
	if err := d.exec(ctx, d.gorm, migrationsTable); err != nil {
		return nil, fmt.Errorf("check migrations: %w", err)
	}
	done, err := d.applied(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range schemas {
		for _, m := range s.sorted() {
			if !done[key(s.Component, m.Version)] {
				out = append(out, fmt.Sprintf("%s %d: %s", s.Component, m.Version, m.Name))
			}
		}
	}
	return out, nil
}

// CheckCurrent returns an Unavailable error naming the command to run when
// any migration is pending: a stale schema must stop start-up rather than
// fail later on a missing column.
func (d *DB) CheckCurrent(ctx context.Context, schemas ...Schema) error {
	pending, err := d.Pending(ctx, schemas...)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return errs.E(errs.Unavailable,
			"database schema is out of date (%d migrations pending, first: %s); run `shianbao migrate` with the same configuration, then start again",
			len(pending), pending[0])
	}
	return nil
}

// Migrate applies every pending migration in order and returns what it
// applied. With several instances starting at once, a database-level lock
// (MySQL GET_LOCK) lets one migrate while the others wait; on SQLite each
// migration's write transaction is that lock, and a migration another
// process applied meanwhile is skipped.
func (d *DB) Migrate(ctx context.Context, schemas ...Schema) ([]string, error) {
	conn := d.gorm.WithContext(ctx)
	if d.engine == MySQL {
		// GET_LOCK is held by one connection, so pin one for the whole run.
		c, err := d.sql.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		defer c.Close()
		var got int
		if err := c.QueryRowContext(ctx, "SELECT GET_LOCK('shianbao_migrate', 120)").Scan(&got); err != nil || got != 1 {
			return nil, fmt.Errorf("migrate: could not take the migration lock (another instance migrating?): %v", err)
		}
		defer c.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK('shianbao_migrate')")
	}
	if err := d.exec(ctx, conn, migrationsTable); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	done, err := d.applied(ctx)
	if err != nil {
		return nil, err
	}
	var applied []string
	for _, s := range schemas {
		for _, m := range s.sorted() {
			if done[key(s.Component, m.Version)] {
				continue
			}
			ran, err := d.apply(ctx, s.Component, m)
			if err != nil {
				return applied, err
			}
			if ran {
				applied = append(applied, fmt.Sprintf("%s %d: %s", s.Component, m.Version, m.Name))
			}
		}
	}
	return applied, nil
}

// apply runs one migration unless it is recorded already, and reports
// whether it ran. SQLite runs DDL transactionally, so a failed migration
// leaves nothing behind, and its transactions are IMMEDIATE, so the check
// and the migration happen under one write lock: of two processes starting
// on a new file, the second finds the first's record. MySQL commits DDL
// implicitly, so each statement should be safe to re-run after a fix (IF
// NOT EXISTS).
func (d *DB) apply(ctx context.Context, component string, m Migration) (bool, error) {
	ran := false
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var recorded int64
		if err := tx.Model(&appliedMigration{}).Where("component = ? AND version = ?", component, m.Version).Count(&recorded).Error; err != nil {
			return fmt.Errorf("migrate %s %d: %w", component, m.Version, err)
		}
		if recorded > 0 {
			return nil
		}
		ran = true
		for _, stmt := range splitStatements(m.SQL) {
			if err := d.exec(ctx, tx, stmt); err != nil {
				return fmt.Errorf("migrate %s %d (%s): %w", component, m.Version, m.Name, err)
			}
		}
		if m.Func != nil {
			if err := m.Func(tx); err != nil {
				return fmt.Errorf("migrate %s %d (%s): %w", component, m.Version, m.Name, err)
			}
		}
		rec := appliedMigration{Component: component, Version: m.Version, Name: m.Name, AppliedAt: time.Now().UTC()}
		if err := tx.Create(&rec).Error; err != nil {
			return fmt.Errorf("migrate %s %d: record: %w", component, m.Version, err)
		}
		return nil
	})
	return ran && err == nil, err
}

func (d *DB) applied(ctx context.Context) (map[string]bool, error) {
	var rows []appliedMigration
	if err := d.gorm.WithContext(ctx).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	done := make(map[string]bool, len(rows))
	for _, r := range rows {
		done[key(r.Component, r.Version)] = true
	}
	return done, nil
}

func (d *DB) exec(_ context.Context, conn *gorm.DB, stmt string) error {
	return conn.Exec(d.Dialect(stmt)).Error
}

// Dialect expands the engine placeholders in a statement.
func (d *DB) Dialect(stmt string) string {
	if d.engine == MySQL {
		return mysqlDialect.Replace(stmt)
	}
	return sqliteDialect.Replace(stmt)
}

var (
	mysqlDialect = strings.NewReplacer(
		"{{pk}}", "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
		"{{datetime}}", "DATETIME(3)",
		"{{opts}}", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	)
	sqliteDialect = strings.NewReplacer(
		"{{pk}}", "INTEGER PRIMARY KEY AUTOINCREMENT",
		"{{datetime}}", "DATETIME",
		"{{opts}}", "",
	)
)

func (s Schema) sorted() []Migration {
	ms := append([]Migration(nil), s.Migrations...)
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms
}

func key(component string, version int) string { return fmt.Sprintf("%s/%d", component, version) }

func splitStatements(sql string) []string {
	var out []string
	for _, part := range strings.Split(sql, ";\n") {
		if p := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), ";")); p != "" {
			out = append(out, p)
		}
	}
	return out
}
