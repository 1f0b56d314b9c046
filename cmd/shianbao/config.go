package main

import (
	"context"
	"fmt"
)

func runConfig(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("config", e)
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"config takes no arguments"}
	}
	cfg, err := fs.load(e)
	if err != nil {
		return err
	}
	out, err := cfg.Dump()
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, string(out))
	return nil
}
