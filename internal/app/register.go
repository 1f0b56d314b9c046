package app

import (
	"context"
	"io"

	"github.com/shianbao/shianbao/internal/demo"
	"github.com/shianbao/shianbao/internal/registry"
)

// ParseRegisterKind reads the register table a command names
// (businesses, cadres or assignments), before anything is opened.
func ParseRegisterKind(name string) (registry.Kind, error) { return registry.ParseKind(name) }

// ImportRegister reads a CSV or XLSX file of the register table kind, as
// `shianbao import` does: all or nothing, by the operator "import".
func (s *Services) ImportRegister(ctx context.Context, kind registry.Kind, filename string, r io.Reader, dryRun bool, progress func(done, total int)) (*registry.ImportReport, error) {
	return s.Registry.Import(ctx, kind, filename, r, registry.ImportOptions{DryRun: dryRun, Actor: "import", Progress: progress})
}

// ExportRegister writes the whole register table kind as csv or xlsx.
func (s *Services) ExportRegister(ctx context.Context, kind registry.Kind, format string, w io.Writer) error {
	return s.Registry.Export(ctx, kind, registry.Format(format), w, "")
}

// SeedOptions choose what `shianbao seed` generates.
type SeedOptions struct {
	// Seed makes the data; the same seed gives the same register.
	Seed int64
	// Scale 0 is the demo district; N > 0 a register of N businesses: a
	// city's up to demo.CityMaxScale, a province's above it.
	Scale int
	// Province draws a province's register whatever the scale.
	Province bool
	// Visits asks for about this many past visits (the planner benchmark).
	Visits int
	// Progress, when set, hears how far each step is.
	Progress func(stage string, done, total int)
}

// SeedRegister generates the demo district or a city-scale register into
// an empty register (unlike SeedDemo, without the businesses' self-check
// history).
func (s *Services) SeedRegister(ctx context.Context, o SeedOptions) (*demo.Summary, error) {
	return demo.Seed(ctx, s.DB, s.Registry, demo.Options{Seed: o.Seed, Scale: o.Scale, Province: o.Province, Visits: o.Visits, Progress: o.Progress})
}
