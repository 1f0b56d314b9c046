package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/registry"
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

// TestProvinceDashboardNeverWorkedOutInARequest: with a province-sized
// tree (5,000 regions and more) the administrator's first page does not
// work the whole figures out while the browser waits: it says they are
// coming and starts the background work, whose figures the page then
// shows with their time.
func TestProvinceDashboardNeverWorkedOutInARequest(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	ctx := context.Background()
	err := a.DB.InTx(ctx, func(tx *gorm.DB) error {
		for i := range 5000 {
			if _, err := a.Registry.InsertRegionTx(tx, &a.District.ID, registry.LevelTown, fmt.Sprintf("新区镇%04d", i), ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := a.SignIn(t, a.Admin)
	if !strings.Contains(c.Body, `data-figure="pending"`) || strings.Contains(c.Body, `data-figure="coverage"`) {
		t.Fatalf("the first page should say the figures are coming:\n%s", webtest.PageText(c.Body))
	}
	// The background work holds the lock until it has kept the figures;
	// KeepFigures returns at once while it does.
	for range 600 {
		if c.Get("/console/"); !strings.Contains(c.Body, `data-figure="pending"`) {
			break
		}
		if err := a.KeepDashboardFigures(ctx, 0); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(c.Body, `data-figure="coverage"`) || !strings.Contains(c.Body, "统计于") {
		t.Fatalf("the kept figures never showed:\n%s", webtest.PageText(c.Body))
	}
	if m := a.SignIn(t, a.Hudai); !strings.Contains(m.Body, "实时统计") {
		t.Error("a town manager's figures must stay live")
	}
}
