package app

import (
	"context"

	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/db"
)

// Migrate applies the pending migrations of every feature to the
// configured database and lists what it applied (also when one fails).
// Unlike Open it does not need the schema to be current first.
func Migrate(ctx context.Context, cfg config.Config) ([]string, error) {
	d, err := openForMigrations(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Migrate(ctx, Schemas()...)
}

// PendingMigrations lists the migrations Migrate would apply.
func PendingMigrations(ctx context.Context, cfg config.Config) ([]string, error) {
	d, err := openForMigrations(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Pending(ctx, Schemas()...)
}

func openForMigrations(ctx context.Context, cfg config.Config) (*db.DB, error) {
	return db.Open(ctx, db.Options{Driver: db.Engine(cfg.DB.Driver), DSN: cfg.DB.DSN, MaxOpenConns: 2})
}
