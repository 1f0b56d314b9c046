package main

import (
	"context"
	"fmt"

	"github.com/shianbao/shianbao/internal/app"
)

func runMigrate(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("migrate", e)
	status := fs.Bool("status", false, "list pending migrations without applying them")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"migrate takes no arguments"}
	}
	cfg, err := fs.load(e)
	if err != nil {
		return err
	}
	if *status {
		pending, err := app.PendingMigrations(ctx, cfg)
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			fmt.Fprintln(e.stdout, "schema is up to date")
		}
		for _, p := range pending {
			fmt.Fprintln(e.stdout, "pending:", p)
		}
		return nil
	}
	applied, err := app.Migrate(ctx, cfg)
	for _, a := range applied {
		fmt.Fprintln(e.stdout, "applied:", a)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(e.stdout, "schema is up to date")
	}
	return nil
}
