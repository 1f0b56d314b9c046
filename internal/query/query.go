// Package query is the read side: the lists, counts, figures and export
// rows the console, the API and the reminders show, each joining across
// features and limited to a user's region scope. It reads any table and
// writes none; the features keep their own tables, writes, rules and
// by-id reads. It imports only stores and leaves, so its rows are its own
// types (plain strings where a feature has an enum).
package query

import (
	"github.com/shianbao/shianbao/internal/db"
)

// Reader runs the read side's queries.
type Reader struct {
	db *db.DB
}

// New returns a Reader over d.
func New(d *db.DB) *Reader { return &Reader{db: d} }

// A scope path is a Region.Path ("/1/3/"), or "" for everything (an
// administrator). Paths are made of ids and slashes only, so the prefix
// needs no LIKE escaping.

// subtree is the region-scope condition, the one place it is written: the
// region path column pathColumn lies in the subtree scopePath. Compose it
// into subqueries with subtreeArg as its argument.
func subtree(pathColumn string) string { return pathColumn + " LIKE ?" }

// subtreeArg is subtree's argument for scopePath.
func subtreeArg(scopePath string) string { return scopePath + "%" }

// pageLimit bounds a page size: def when n is not positive, at most max.
func pageLimit(n, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(n, most)
}
