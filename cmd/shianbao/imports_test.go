package main

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// module is the import path prefix of this repository's packages.
const module = "github.com/shianbao/shianbao/"

// TestCommandsImportOnlyTheWiringRoot keeps app the one wiring root: the
// commands reach the features only through it, so none of them opens a
// database or builds a service by hand again. Tests may import more.
func TestCommandsImportOnlyTheWiringRoot(t *testing.T) {
	allowed := []string{"internal/app", "internal/config", "internal/errs", "internal/clock"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			rel, ours := strings.CutPrefix(path, module)
			if ours && !slices.Contains(allowed, rel) {
				t.Errorf("%s imports %s; commands use app (and only config, errs, clock besides): add what the command needs to internal/app", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no command files found")
	}
}
