package query_test

import (
	"context"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/demo/demotest"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// at is when the demo district was seeded: a Monday morning in China.
var at = time.Date(2026, 3, 2, 9, 0, 0, 0, clock.China)

// district is the demo district with every feature's tables, seeded once
// per test binary and copied per test (on MariaDB when configured).
var district = demotest.District("query", at, registry.Schema, notify.Schema, audit.Schema, account.Schema,
	supervision.Schema, letter.Schema)

// env is one copy of the demo district with the read side over it and
// two towns to tell apart: what the read side shows a user of one must
// leave out the other.
type env struct {
	ctx         context.Context
	d           *db.DB
	q           *query.Reader
	town, other town
}

// town is a town of the district with one cadre, one office and one
// business contact-to-be of it.
type town struct {
	ID         int64
	Path, Name string
	Cadre      int64
	CadreName  string
	Office     string
	Business   int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := district.Open(t)
	e := &env{ctx: context.Background(), d: d, q: query.New(d)}
	var towns []town
	err := d.Gorm(e.ctx).Raw(`SELECT r.id, r.path, r.name FROM regions r WHERE r.level = 'town'
 AND EXISTS (SELECT 1 FROM offices f WHERE f.region_id = r.id) ORDER BY r.id LIMIT 2`).Scan(&towns).Error
	if err != nil || len(towns) < 2 {
		t.Fatalf("two towns with offices: %v (%d)", err, len(towns))
	}
	for i := range towns {
		tw := &towns[i]
		row := struct {
			ID   int64
			Name string
		}{}
		if err := d.Gorm(e.ctx).Raw(`SELECT c.id, c.name FROM cadres c JOIN regions r ON r.id = c.region_id
 WHERE r.path LIKE ? ORDER BY c.id LIMIT 1`, tw.Path+"%").Scan(&row).Error; err != nil || row.ID == 0 {
			t.Fatalf("a cadre of %s: %v", tw.Name, err)
		}
		tw.Cadre, tw.CadreName = row.ID, row.Name
		if err := d.Gorm(e.ctx).Raw(`SELECT short_name FROM offices WHERE region_id = ?`, tw.ID).Scan(&tw.Office).Error; err != nil {
			t.Fatal(err)
		}
		if err := d.Gorm(e.ctx).Raw(`SELECT b.id FROM businesses b JOIN regions r ON r.id = b.region_id
 WHERE r.path LIKE ? ORDER BY b.id LIMIT 1`, tw.Path+"%").Scan(&tw.Business).Error; err != nil || tw.Business == 0 {
			t.Fatalf("a business of %s: %v", tw.Name, err)
		}
	}
	e.town, e.other = towns[0], towns[1]
	return e
}

// exec runs a statement that sets up a case, failing the test on error.
func (e *env) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if err := e.d.Gorm(e.ctx).Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
