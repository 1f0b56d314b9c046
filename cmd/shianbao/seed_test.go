package main

import (
	"strings"
	"testing"
)

// TestSeedProvince: `seed --scale N --province` draws a province's register
// on the command line (internal/demo checks what it holds), with plain
// progress lines when stderr is not a terminal; --province alone is a
// usage error.
func TestSeedProvince(t *testing.T) {
	vars := tempVars(t.TempDir())
	if code, _, stderr := cli(t, vars, "seed", "--province"); code != 2 || !strings.Contains(stderr, "--province needs --scale") {
		t.Fatalf("--province alone: exit %d\n%s", code, stderr)
	}
	code, out, stderr := cli(t, vars, "seed", "--scale", "300", "--province")
	if code != 0 {
		t.Fatalf("seed: exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "300 businesses, 300 assignments") || !strings.Contains(stderr, "register: 300/300") {
		t.Fatalf("summary or progress missing:\n%s\n%s", out, stderr)
	}
}
