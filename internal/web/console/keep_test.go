package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/web/webtest"
)

// TestDashboardFiguresKeptAhead: once the background work has kept the
// whole register's figures, the administrator's home page shows them with
// the time they were worked out, and a town manager's stays live.
func TestDashboardFiguresKeptAhead(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	ctx := context.Background()
	// A threshold of 0 keeps whatever was worked out: the demo district's
	// figures are quick, and whether they pass the real threshold depends
	// on the machine.
	if err := a.KeepDashboardFigures(ctx, 0); err != nil {
		t.Fatal(err)
	}
	c := a.SignIn(t, a.Admin)
	if !strings.Contains(c.Body, "由后台定时统计") || !strings.Contains(c.Body, "统计于") {
		t.Fatalf("the administrator's page does not say its figures were kept:\n%s", webtest.PageText(c.Body))
	}
	if !strings.Contains(c.Body, "按镇(街道)") {
		t.Error("a city-rooted register's figures go by town")
	}
	if m := a.SignIn(t, a.Hudai); strings.Contains(m.Body, "统计于") || !strings.Contains(m.Body, "实时统计") {
		t.Error("a town manager's figures must stay live")
	}
}
