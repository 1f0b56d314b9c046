package letter_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/demo/demotest"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/notify/notifytest"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// now is when the demo district is seeded and the tests start: late in
// 2026Q4, China time.
var now = time.Date(2026, 11, 28, 9, 0, 0, 0, clock.China)

// The outbox the app hands the service is notify's.
var _ letter.Enqueuer = (*notify.Service)(nil)

// links is a stand-in for web.Links.
type links struct{}

func (links) Letter(token string, reader registry.Actor, expires time.Time) string {
	return "https://sab.example/h5/letters/" + token + "?r=" + url.QueryEscape(string(reader)) + fmt.Sprintf("&e=%d", expires.Unix())
}

// district is the demo district with the services letters need.
type district struct {
	d        *db.DB
	clk      *clock.Offset
	reg      *registry.Service
	sup      *supervision.Service
	accounts *account.Service
	letters  *letter.Service
	out      notifytest.Outbox
}

func schemas() []db.Schema {
	return []db.Schema{registry.Schema, audit.Schema, account.Schema, supervision.Schema, letter.Schema, notifytest.Schema}
}

// demoDistrict is the demo district seeded once for this package's tests.
var demoDistrict = demotest.District("letter", now, schemas()...)

// newDistrict builds the services over d, a copy of demoDistrict.
func newDistrict(t *testing.T, d *db.DB) *district {
	t.Helper()
	w := &district{d: d, clk: clock.NewFixed(now), out: notifytest.Outbox{DB: d}}
	store := kv.NewMemory()
	t.Cleanup(func() { store.Close() })
	w.reg = registry.NewService(d, registry.Rules{}, w.clk)
	lists, err := supervision.DefaultChecklists()
	if err != nil {
		t.Fatal(err)
	}
	w.sup = supervision.NewService(d, w.reg, lists, supervision.DefaultRules(), w.clk)
	w.accounts = account.NewService(d, store, w.reg, w.clk, []byte("letter-test-secret-0123456789"))
	w.letters = letter.NewService(d, w.reg, w.sup, w.accounts, w.out, links{}, letter.Config{}, w.clk)
	w.sup.IssueLettersWith(w.letters)
	return w
}

// each runs fn on SQLite and, when configured, MySQL.
func each(t *testing.T, fn func(t *testing.T, w *district)) {
	t.Helper()
	demoDistrict.Each(t, func(t *testing.T, d *db.DB) { fn(t, newDistrict(t, d)) })
}

func sqlite(t *testing.T) *district {
	t.Helper()
	return newDistrict(t, demoDistrict.OpenSQLite(t))
}

// visitWithFindings finds a current visit with open rectifications, in
// 胡埭镇 unless town says otherwise.
func (w *district) visitWithFindings(t *testing.T) *supervision.VisitDetail {
	t.Helper()
	v, err := w.sup.Visit(context.Background(), demotest.VisitWithOpenFindings(t, w.d))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// visitWithout finds a current visit with no findings.
func (w *district) visitWithout(t *testing.T) int64 {
	t.Helper()
	var ids []int64
	err := w.d.Gorm(context.Background()).Raw(`
SELECT v.id FROM visits v WHERE v.is_current = ? AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.visit_id = v.id)
ORDER BY v.id LIMIT 1`, true).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		t.Fatalf("no visit without findings: %v", err)
	}
	return ids[0]
}

// bindContact makes the business's principal a bound contact as openid.
func (w *district) bindContact(t *testing.T, businessID int64, openid string) *account.Contact {
	return demotest.BindContact(t, w.accounts, businessID, openid)
}

// manager is an active manager of the office over a town ("胡埭镇").
func (w *district) manager(t *testing.T, town string) (*registry.Manager, *registry.Office) {
	return demotest.TownManager(t, w.reg, town)
}

// businessesIn lists up to n operating businesses under an office's region.
func (w *district) businessesIn(t *testing.T, o *registry.Office, n int) []registry.Business {
	return demotest.OperatingBusinessesIn(t, w.d, w.reg, o, n)
}

// TestMain drops the MySQL template of the demo district after the tests.
func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
