// Package layers holds the check of the dependency rules written down in
// docs/ARCHITECTURE.md: which package may import which. It reads the import
// lines of every non-test Go file of the module (go/parser, imports only),
// so it needs no build and runs in milliseconds.
package layers

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/shianbao/shianbao"

// imports maps each package (its path inside the module, e.g.
// "internal/web/console") to what its non-test files import.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	out := map[string][]string{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "data") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		pkg := filepath.ToSlash(rel)
		for _, imp := range f.Imports {
			v, _ := strconv.Unquote(imp.Path.Value)
			if !slices.Contains(out[pkg], v) {
				out[pkg] = append(out[pkg], v)
			}
		}
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// under reports whether pkg is dir or inside it.
func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

func TestLayers(t *testing.T) {
	pkgs := imports(t)
	if len(pkgs) < 20 {
		t.Fatalf("found only %d packages; is the module root right?", len(pkgs))
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

// TestNoConsoleQueries: the scoped lists, counts and figures live in the
// read side (internal/query), not in console_queries.go files of the
// features, where the tables they join were named only in SQL strings.
func TestNoConsoleQueries(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() == "console_queries.go" {
			rel, _ := filepath.Rel(root, p)
			t.Errorf("%s: scoped lists and figures belong to internal/query, by-id reads and writes to the feature's own files", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRulesSeeViolations makes sure the check can fail: a made-up module
// that breaks each rule once is reported once per broken rule.
func TestRulesSeeViolations(t *testing.T) {
	pkgs := map[string][]string{
		"internal/web":         {"github.com/labstack/echo/v4"},
		"internal/web/console": {"github.com/labstack/echo/v4", module + "/internal/web", module + "/internal/web/listing", module + "/internal/web/api"},
		"internal/web/h5":      {module + "/internal/web/view", module + "/internal/db"},
		"internal/webhook":     {"github.com/labstack/echo/v4"},
		"internal/bot":         {"gorm.io/gorm", module + "/internal/web/console"},
		"internal/app":         {module + "/internal/web", module + "/internal/web/h5", module + "/internal/web/webtest", "github.com/redis/go-redis/v9"},
		"internal/dialog":      {module + "/internal/db", module + "/internal/chat"},
		"internal/supervision": {"gorm.io/gorm", "github.com/silenceper/wechat/v2/officialaccount"},
		"internal/query":       {"gorm.io/gorm", module + "/internal/db", module + "/internal/supervision"},
		"internal/notify":      {"github.com/prometheus/client_golang/prometheus"},
	}
	got := violations(pkgs)
	want := []string{"internal/webhook imports github.com/labstack/echo", "internal/bot imports gorm.io/gorm",
		"internal/bot imports internal/web/console", "internal/app imports github.com/redis/go-redis",
		"internal/dialog imports the database", "internal/dialog imports the chat transport", "internal/supervision imports github.com/silenceper",
		"internal/query imports internal/supervision",
		"internal/web/console imports internal/web/api", "internal/web/h5 imports the database",
		"internal/app imports internal/web/webtest", "internal/notify imports github.com/prometheus"}
	if len(got) != len(want) {
		t.Errorf("%d violations, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
			t.Errorf("not reported: %s", w)
		}
	}
}

// readSideMayImport are the module packages the read side may import: the
// stores and the leaves. What it needs of a feature's rules reaches it
// through an interface it declares (query.Rules).
var readSideMayImport = []string{"internal/db", "internal/kv", "internal/media", "internal/errs", "internal/clock", "internal/config", "internal/chat"}

// webShared are the parts of the web layer every audience may import.
var webShared = map[string]bool{"internal/web": true, "internal/web/listing": true, "internal/web/view": true}

// webTestSupport are the web layer's packages for tests.
var webTestSupport = map[string]bool{"internal/web/webtest": true, "internal/web/browsertest": true}

// violations lists every import that breaks a rule, one sentence each.
func violations(pkgs map[string][]string) []string {
	var out []string
	// Only these packages may import a third-party library that the rest of
	// the code reaches through them.
	only := []struct {
		lib     string
		allowed []string
		why     string
	}{
		{"github.com/silenceper/wechat", []string{"internal/wechat", "internal/sim"}, "the platform adapter (and the simulator's fake of it) own the SDK and its pitfalls"},
		{"github.com/labstack/echo", []string{"internal/web"}, "only the web layer speaks HTTP routing"},
		{"github.com/redis/go-redis", []string{"internal/kv"}, "kv is the one place that knows Redis"},
		{"github.com/prometheus/", []string{"internal/metrics", "internal/web"},
			"the features report to small observer interfaces they declare; metrics implements them (web keeps its HTTP metrics)"},
		{"gorm.io/", []string{"internal/db", "internal/account", "internal/audit", "internal/card", "internal/demo", "internal/draft",
			"internal/letter", "internal/notify", "internal/registry", "internal/selfcheck", "internal/supervision", "internal/review", "internal/query", "internal/incident",
			"internal/pledge"},
			"the database is touched by db and the feature packages that own tables (and the read side), never by the chat, the web or the wiring"},
	}
	for pkg, imps := range pkgs {
		for _, imp := range imps {
			for _, r := range only {
				if strings.HasPrefix(imp, r.lib) && !slices.ContainsFunc(r.allowed, func(dir string) bool { return under(pkg, dir) }) {
					out = append(out, fmt.Sprintf("%s imports %s: only %s may (%s)", pkg, imp, strings.Join(r.allowed, ", "), r.why))
				}
			}
			local, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			// The web layer is wired by app and nothing else; inside it an
			// audience (console, api, h5) uses the shared parts but never
			// another audience; the test support is for tests only.
			switch {
			case webTestSupport[local]:
				out = append(out, fmt.Sprintf("%s imports %s: the web's test support is for tests only", pkg, local))
			case under(local, "internal/web") && !under(pkg, "internal/web") && pkg != "internal/app":
				out = append(out, fmt.Sprintf("%s imports %s: only internal/app wires the web layer", pkg, local))
			case under(local, "internal/web") && under(pkg, "internal/web") && !webShared[local]:
				out = append(out, fmt.Sprintf("%s imports %s: an audience of the web does not import another (share through internal/web, web/listing or web/view)", pkg, local))
			}
			if under(pkg, "internal/web") && local == "internal/db" {
				out = append(out, fmt.Sprintf("%s imports the database: the web reads through internal/query and changes through the features", pkg))
			}
			if under(pkg, "internal/dialog") && local == "internal/db" {
				out = append(out, fmt.Sprintf("%s imports the database: the conversation engine keeps its state in kv", pkg))
			}
			if under(pkg, "internal/dialog") && local == "internal/chat" {
				out = append(out, fmt.Sprintf("%s imports the chat transport: the conversation engine speaks in internal/message's shapes", pkg))
			}
			if under(pkg, "internal/query") && !slices.Contains(readSideMayImport, local) {
				out = append(out, fmt.Sprintf("%s imports %s: the read side imports only stores and leaves (%s), never a feature service",
					pkg, local, strings.Join(readSideMayImport, ", ")))
			}
		}
	}
	slices.Sort(out)
	return out
}
