package db

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// slowQuery is the threshold above which a statement is logged as slow.
const slowQuery = 500 * time.Millisecond

// gormLogger sends GORM's reports to slog without the SQL's bound values
// (they hold names and phone numbers). Not-found is normal control flow
// and not logged.
type gormLogger struct{ log *slog.Logger }

func newGormLogger(l *slog.Logger) logger.Interface {
	if l == nil {
		return logger.Discard
	}
	return gormLogger{log: l}
}

func (g gormLogger) LogMode(logger.LogLevel) logger.Interface { return g }
func (g gormLogger) Info(context.Context, string, ...any)     {}
func (g gormLogger) Warn(ctx context.Context, msg string, _ ...any) {
	g.log.WarnContext(ctx, "db", "msg", msg)
}
func (g gormLogger) Error(ctx context.Context, msg string, _ ...any) {
	g.log.ErrorContext(ctx, "db", "msg", msg)
}

// ParamsFilter makes GORM render SQL with placeholders, never values.
func (g gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

func (g gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound) && !errors.Is(err, context.Canceled) && ctx.Err() == nil:
		// A query cut short because its caller gave up (shutting down, a
		// closed request) is the caller's to report: SQLite says only
		// "interrupted", which is not a database failure.
		sql, _ := fc()
		g.log.ErrorContext(ctx, "db query failed", "sql", truncate(sql), "err", err.Error(), "ms", elapsed.Milliseconds())
	case elapsed > slowQuery:
		sql, rows := fc()
		g.log.WarnContext(ctx, "db slow query", "sql", truncate(sql), "rows", rows, "ms", elapsed.Milliseconds())
	}
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
