package main

import (
	"context"

	"github.com/shianbao/shianbao/internal/app"
)

func runServe(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("serve", e)
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"serve takes no arguments"}
	}
	cfg, err := fs.load(e)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, app.Options{LogOutput: e.stderr})
	if err != nil {
		return err
	}
	return a.Run(ctx)
}
