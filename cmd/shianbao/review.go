package main

import (
	"context"
	"fmt"
	"time"
)

// runReview is `shianbao review draw [--cycle 2026Q4]` (draw a cycle's
// re-check sample, reproducibly) and `shianbao review recompute` (compute
// every visit's flags again, after a change of the review.* thresholds).
// The running service sweeps new visits by itself; these are for offices
// and operators.
func runReview(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || (args[0] != "draw" && args[0] != "recompute") {
		return usageError{"review takes one action: review draw [--cycle 2026Q4] | review recompute"}
	}
	action := args[0]
	fs := newFlagSet("review "+action, e)
	cycle := ""
	if action == "draw" {
		fs.StringVar(&cycle, "cycle", "", "the cycle to draw, e.g. 2026Q4, 2026H2 or 2026 (default: this quarter)")
	}
	rest, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"review " + action + " takes no arguments"}
	}
	s, err := fs.open(ctx, e)
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	if action == "recompute" {
		n, err := s.RecomputeFlags(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "已重新计算 %d 条督导记录的异常提示（%.1f 秒）\n", n, time.Since(start).Seconds())
		return nil
	}
	label, n, err := s.DrawReviewSample(ctx, cycle)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s抽查：新抽中 %d 条督导记录（含全部有异常提示的记录；同样的记录总是抽出同样的样本）\n", label, n)
	return nil
}
