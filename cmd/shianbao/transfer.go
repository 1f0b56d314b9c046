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
	kind, err := app.ParseRegisterKind(rest[0])
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
	s, err := app.Open(ctx, cfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		return err
	}
	defer s.Close()
	p := newProgress(e.stderr)
	rep, err := s.ImportRegister(ctx, kind, filepath.Base(rest[1]), f, *dryRun,
		func(done, total int) { p.update("导入 "+rest[0], done, total) })
	p.finish()
	if rep != nil {
		fmt.Fprintln(e.stdout, rep.Summary())
		for _, re := range rep.Errors {
			fmt.Fprintln(e.stdout, re.String())
		}
		if note := rep.MoreErrorsNote(); note != "" {
			fmt.Fprintln(e.stdout, note)
		}
	}
	if err != nil && errs.Is(err, errs.Invalid) && rep != nil && len(rep.Errors) > 0 {
		return fmt.Errorf("%s", errs.MessageOf(err))
	}
	return err
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
	kind, err := app.ParseRegisterKind(rest[0])
	if err != nil {
		return usageError{err.Error()}
	}
	f := *format
	if f != "csv" && f != "xlsx" {
		return usageError{fmt.Sprintf("--format must be csv or xlsx, got %q", *format)}
	}
	if f == "xlsx" && *out == "" {
		return usageError{"xlsx export needs -o FILE"}
	}
	s, err := fs.open(ctx, e)
	if err != nil {
		return err
	}
	defer s.Close()
	if *out == "" {
		bw := bufio.NewWriterSize(e.stdout, 64<<10)
		if err := s.ExportRegister(ctx, kind, f, bw); err != nil {
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
	if err := s.ExportRegister(ctx, kind, f, tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), *out)
}
