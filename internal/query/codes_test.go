package query_test

import (
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/errs"
)

// A town's manager lists the binding codes of the town's people with
// their names, finds none of another town's by id, and reads the
// usernames of the town's console users.
func TestBindingCodesInScope(t *testing.T) {
	e := newEnv(t)
	now := at.UTC()
	code := func(hash string, subject int64) {
		e.exec(t, `INSERT INTO binding_codes (kind, code_hash, role, subject_id, issued_by, created_at, expires_at)
 VALUES ('bind', ?, 'cadre', ?, 'user:admin', ?, ?)`, hash, subject, now, now.Add(24*time.Hour))
	}
	code("h1", e.town.Cadre)
	code("h2", e.other.Cadre)

	rows, total, err := e.q.BindingCodes(e.ctx, e.town.Path, 0, 0)
	if err != nil || total != 1 || len(rows) != 1 {
		t.Fatalf("the town's codes = %d of %d, %v", len(rows), total, err)
	}
	if rows[0].SubjectName != e.town.CadreName || rows[0].Role != "cadre" || rows[0].State(at) != "有效" || !rows[0].Revocable(at) {
		t.Errorf("the town's code = %+v", rows[0])
	}
	if rows[0].State(at.Add(25*time.Hour)) != "已过期" {
		t.Errorf("a day later the code is %s", rows[0].State(at.Add(25*time.Hour)))
	}
	if _, total, _ := e.q.BindingCodes(e.ctx, "", 10, 0); total != 2 {
		t.Errorf("an administrator's codes = %d, want 2", total)
	}
	others, _, _ := e.q.BindingCodes(e.ctx, e.other.Path, 10, 0)
	if _, err := e.q.BindingCodeInScope(e.ctx, others[0].ID, e.town.Path); !errs.Is(err, errs.NotFound) {
		t.Errorf("another town's code by id: %v, want NotFound", err)
	}
	if c, err := e.q.BindingCodeInScope(e.ctx, others[0].ID, e.other.Path); err != nil || c.SubjectName != e.other.CadreName {
		t.Errorf("own code by id = %+v, %v", c, err)
	}

	user := func(name string, region any) {
		e.exec(t, `INSERT INTO console_users (username, name, role, region_id, password_hash, created_at, password_changed_at)
 VALUES (?, ?, 'manager', ?, '', ?, ?)`, name, name, region, now, now)
	}
	user("zz-town", e.town.ID)
	user("aa-town", e.town.ID)
	user("zz-other", e.other.ID)
	user("zz-admin", nil)
	names, err := e.q.UsernamesInScope(e.ctx, e.town.Path)
	if err != nil || len(names) != 2 || names[0] != "aa-town" || names[1] != "zz-town" {
		t.Errorf("the town's users = %v, %v", names, err)
	}
	if names, _ := e.q.UsernamesInScope(e.ctx, ""); len(names) != 4 {
		t.Errorf("everyone = %v", names)
	}
}
