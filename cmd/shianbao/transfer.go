package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

func runImport(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("import", e)
	dryRun := fs.Bool("dry-run", false, "check the file and report what would change, writing nothing")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return usageError{"usage: shianbao import businesses|cadres|assignments FILE [--dry-run]"}
	}
	kind, err := registry.ParseKind(rest[0])
	if err != nil {
		return usageError{err.Error()}
	}
	cfg, err := fs.load(e)
	if err != nil {
		return err
	}
	f, err := os.Open(rest[1])
	if err != nil {
		return fmt.Errorf("open %s: %w", rest[1], err)
	}
	defer f.Close()
	d, err := app.OpenDatabase(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	reg := registry.NewService(d, app.RegistryRules(cfg), nil)
	p := newProgress(e.stderr)
	rep, err := reg.Import(ctx, kind, filepath.Base(rest[1]), f, registry.ImportOptions{
		DryRun: *dryRun, Actor: "import",
		Progress: func(done, total int) { p.update("导入 "+rest[0], done, total) },
	})
	p.finish()
	if rep != nil {
		printReport(e.stdout, rep)
	}
	if err != nil && errs.Is(err, errs.Invalid) && rep != nil && len(rep.Errors) > 0 {
		return fmt.Errorf("%s", errs.MessageOf(err))
	}
	return err
}

func printReport(w io.Writer, r *registry.ImportReport) {
	fmt.Fprintln(w, r.Summary())
	for _, re := range r.Errors {
		fmt.Fprintln(w, re.String())
	}
	if note := r.MoreErrorsNote(); note != "" {
		fmt.Fprintln(w, note)
	}
}

func runExport(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("export", e)
	format := fs.String("format", "csv", "csv or xlsx")
	out := fs.String("o", "", "output file (default: standard output, CSV only)")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"usage: shianbao export businesses|cadres|assignments [--format csv|xlsx] [-o FILE]"}
	}
	kind, err := registry.ParseKind(rest[0])
	if err != nil {
		return usageError{err.Error()}
	}
	f := registry.Format(*format)
	if f != "csv" && f != "xlsx" {
		return usageError{fmt.Sprintf("--format must be csv or xlsx, got %q", *format)}
	}
	if f == "xlsx" && *out == "" {
		return usageError{"xlsx export needs -o FILE"}
	}
	cfg, err := fs.load(e)
	if err != nil {
		return err
	}
	d, err := app.OpenDatabase(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	reg := registry.NewService(d, app.RegistryRules(cfg), nil)
	if *out == "" {
		bw := bufio.NewWriterSize(e.stdout, 64<<10)
		if err := reg.Export(ctx, kind, f, bw, ""); err != nil {
			return err
		}
		return bw.Flush()
	}
	// Write to a temporary file and rename, so a failed export never leaves
	// a truncated file where the operator expects a complete one.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".shianbao-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := reg.Export(ctx, kind, f, tmp, ""); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), *out)
}
