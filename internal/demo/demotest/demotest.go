// Package demotest gives feature tests the demo district without seeding it
// in every test: it is seeded once per test binary into a template and
// copied for each test (see dbtest.Template).
package demotest

import (
	"context"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/demo"
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
