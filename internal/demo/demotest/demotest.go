// Package demotest gives feature tests the demo district without seeding it
// in every test: it is seeded once per test binary into a template and
// copied for each test (see dbtest.Template).
package demotest

import (
	"context"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/demo"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
)

// District returns the template of the demo district generated from seed 1
// on a clock fixed at at, in a database migrated with schemas. Call it once
// per package (a package-level variable): each call is a template of its
// own, seeded on first use.
func District(name string, at time.Time, schemas ...db.Schema) *dbtest.Template {
	return dbtest.SeedTemplate(name, func(ctx context.Context, d *db.DB) error {
		clk := clock.NewFixed(at)
		_, err := demo.Seed(ctx, d, registry.NewService(d, registry.Rules{}, clk), demo.Options{Seed: 1, Clock: clk})
		return err
	}, schemas...)
}

// Businesses lists the businesses f selects through the read side, in its
// order, each read in full from the register: what a test needs to pick
// one to work with.
func Businesses(t testing.TB, d *db.DB, f query.BusinessFilter) []registry.Business {
	t.Helper()
	ctx := context.Background()
	lines, _, err := query.New(d).Businesses(ctx, f)
	if err != nil {
		t.Fatalf("businesses %+v: %v", f, err)
	}
	reg := registry.NewService(d, registry.Rules{}, nil)
	out := make([]registry.Business, len(lines))
	for i, l := range lines {
		b, err := reg.Business(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = *b
	}
	return out
}
