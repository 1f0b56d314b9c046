package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/shianbao/shianbao/internal/app"
)

func runSeed(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("seed", e)
	scale := fs.Int("scale", 0, "generate a register of N businesses instead of the demo district: a city's up to 200000, a province's (江苏省, 13 cities) above")
	province := fs.Bool("province", false, "with --scale: a province's register of 13 cities whatever the scale")
	seed := fs.Int64("seed", 0, "random seed (default: demo.seed from the configuration)")
	visits := fs.Int("visits", 0, "with --scale: generate about N past visits (for the planner benchmark; default: a realistic history)")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"seed takes no arguments"}
	}
	if *province && *scale == 0 {
		return usageError{"--province needs --scale"}
	}
	if *scale < 0 {
		return usageError{"--scale must not be negative"}
	}
	cfg, err := fs.load(e)
	if err != nil {
		return err
	}
	if *seed == 0 {
		*seed = cfg.Demo.Seed
	}
	s, err := app.Open(ctx, cfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		return err
	}
	defer s.Close()
	p := newProgress(e.stderr)
	start := time.Now()
	sum, err := s.SeedRegister(ctx, app.SeedOptions{Seed: *seed, Scale: *scale, Province: *province, Visits: *visits, Progress: p.update})
	p.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "seeded in %.1fs: %d regions, %d offices, %d managers, %d cadres, %d businesses, %d assignments\n",
		time.Since(start).Seconds(), sum.Regions, sum.Offices, sum.Managers, sum.Cadres, sum.Businesses, sum.Assignments)
	towns := make([]string, 0, len(sum.ByTown))
	for t := range sum.ByTown {
		towns = append(towns, t)
	}
	sort.Strings(towns)
	if len(towns) <= 20 {
		for _, t := range towns {
			fmt.Fprintf(e.stdout, "  %s: %d businesses\n", t, sum.ByTown[t])
		}
	}
	return nil
}
