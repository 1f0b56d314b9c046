package query_test

import (
	"testing"

	"github.com/shianbao/shianbao/internal/query"
)

// logged adds an audit entry about a record of scope (and of also), as a
// feature would have recorded it.
func (e *env) logged(t *testing.T, actor, action, scope, also string) {
	t.Helper()
	e.exec(t, `INSERT INTO audit_log (at, actor, action, subject_type, subject_id, detail, scope_path, also_scope_path)
 VALUES (?, ?, ?, 'business', 1, '', ?, ?)`, at.UTC(), actor, action, scope, also)
}

// A town's manager reads the entries about records of their town (also
// as the second scope) and those their town's console users made; an
// administrator reads all; neither a scope nor actors reads none.
func TestAuditEntriesInScope(t *testing.T) {
	e := newEnv(t)
	e.logged(t, "cadre:1", "q.test", e.town.Path+"9/", "")
	e.logged(t, "cadre:2", "q.test", e.other.Path, e.town.Path)
	e.logged(t, "user:hudai", "q.test", "", "")
	e.logged(t, "user:lihu", "q.test", e.other.Path, "")

	count := func(s query.AuditScope) int64 {
		t.Helper()
		es, total, err := e.q.AuditEntries(e.ctx, query.AuditFilter{Action: "q.test", Limit: 1}, s)
		if err != nil || (total > 0 && len(es) != 1) {
			t.Fatalf("audit entries of %+v: %d of %d, %v", s, len(es), total, err)
		}
		var walked int64
		err = e.q.EachAuditEntry(e.ctx, query.AuditFilter{Action: "q.test"}, s, func(es []query.AuditEntry) error {
			walked += int64(len(es))
			return nil
		})
		if err != nil || walked != total {
			t.Errorf("export of %+v walked %d of %d: %v", s, walked, total, err)
		}
		return total
	}
	if n := count(query.AuditScope{Path: e.town.Path}); n != 2 {
		t.Errorf("the town's entries = %d, want 2 (its own and the one it is second scope of)", n)
	}
	if n := count(query.AuditScope{Path: e.town.Path, Actors: []string{"user:hudai"}}); n != 3 {
		t.Errorf("the town's entries with its users' = %d, want 3", n)
	}
	if n := count(query.AuditScope{Actors: []string{"user:lihu"}}); n != 1 {
		t.Errorf("one actor's = %d, want 1", n)
	}
	if n := count(query.AuditScope{All: true}); n != 4 {
		t.Errorf("an administrator's = %d, want 4", n)
	}
	if n := count(query.AuditScope{}); n != 0 {
		t.Errorf("no scope and no actors = %d, want none", n)
	}
}
