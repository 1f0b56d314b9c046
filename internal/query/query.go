// Package query is the read side: the lists, counts, figures and export
// rows the console, the API, the chat and the reminders show, each joining
// across features and limited to a user's region scope. It reads any table
// and writes none; the features keep their own tables, writes, rules and
// by-id reads. It imports only stores and leaves, so its rows are its own
// types (plain strings where a feature has an enum), and what it needs of
// the supervision rules reaches it through Rules.
package query

import (
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// Reader runs the read side's queries.
type Reader struct {
	db    *db.DB
	rules Rules
	now   func() time.Time
}

// New returns a Reader over d. Without WithRules it lists and counts
// everything but coverage (businesses, visits, progress, overdue).
func New(d *db.DB) *Reader { return &Reader{db: d} }

// WithRules returns a copy of r that counts coverage by rules at c's time.
func (r *Reader) WithRules(rules Rules, c clock.Clock) *Reader {
	cp := *r
	cp.rules, cp.now = rules, c.Now
	return &cp
}

// A scope path is a Region.Path ("/1/3/"), or "" for everything (an
// administrator). Paths are made of ids and slashes only, so the prefix
// needs no LIKE escaping.

// subtree is the region-scope condition, the one place it is written: the
// region path column pathColumn lies in the subtree scopePath. Compose it
// into subqueries with subtreeArg as its argument.
func subtree(pathColumn string) string { return pathColumn + " LIKE ?" }

// subtreeArg is subtree's argument for scopePath.
func subtreeArg(scopePath string) string { return scopePath + "%" }

// regionIn is a condition on a region id column: the region lies in the
// subtree (argument subtreeArg). A subquery, so counts need no join.
func regionIn(regionColumn string) string {
	return regionColumn + " IN (SELECT id FROM regions WHERE " + subtree("path") + ")"
}

// pageLimit bounds a page size: def when n is not positive, at most max.
func pageLimit(n, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(n, most)
}

// exportBatch is how many rows an export reads at a time, so memory stays
// flat however large the register.
const exportBatch = 1000

// likeArg is a LIKE argument matching s anywhere, its wildcards escaped.
func likeArg(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// checkScope accepts "" (everything) or a region path ("/1/2/7/"): digits
// and slashes only, so it needs no LIKE escaping.
func checkScope(path string) error {
	if path == "" {
		return nil
	}
	if len(path) < 3 || path[0] != '/' || path[len(path)-1] != '/' || strings.Trim(path, "/0123456789") != "" || strings.Contains(path, "//") {
		return errs.E(errs.Invalid, msgBadScope)
	}
	return nil
}
