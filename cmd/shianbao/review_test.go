package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestReviewCommands(t *testing.T) {
	vars := tempVars(t.TempDir())
	if code, _, stderr := cli(t, vars, "seed"); code != 0 {
		t.Fatalf("seed: %s", stderr)
	}
	code, out, stderr := cli(t, vars, "review", "recompute")
	if code != 0 || !strings.Contains(out, "已重新计算") {
		t.Fatalf("review recompute: exit %d\n%s\n%s", code, out, stderr)
	}
	drawn := regexp.MustCompile(`新抽中 (\d+) 条`)
	code, out, stderr = cli(t, vars, "review", "draw", "--cycle", "2026Q4")
	m := drawn.FindStringSubmatch(out)
	if code != 0 || m == nil || m[1] == "0" || !strings.Contains(out, "2026年第四季度") {
		t.Fatalf("review draw: exit %d\n%s\n%s", code, out, stderr)
	}
	// The sample is reproducible: a second draw adds nothing.
	if code, out, _ = cli(t, vars, "review", "draw", "--cycle", "2026Q4"); code != 0 || !strings.Contains(out, "新抽中 0 条") {
		t.Errorf("a second draw: exit %d\n%s", code, out)
	}
	if code, _, stderr = cli(t, vars, "review", "draw", "--cycle", "2026Q9"); code == 0 || !strings.Contains(stderr, "没有这个督导周期") {
		t.Errorf("an unknown cycle: exit %d\n%s", code, stderr)
	}
	if code, _, _ = cli(t, vars, "review"); code != 2 {
		t.Errorf("review without an action: exit %d, want 2", code)
	}
}
