package card_test

import (
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/demo/demotest"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/notify/notifytest"
	"github.com/shianbao/shianbao/internal/registry"
)

// now is when the demo district is seeded and the tests start: late in
// 2026Q4, China time.
var now = time.Date(2026, 11, 28, 9, 0, 0, 0, clock.China)

// The outbox the app hands the service is notify's.
var _ card.Enqueuer = (*notify.Service)(nil)

// links is a stand-in for web.Links.
type links struct{}

func (links) Card(businessID int64, reader registry.Actor, expires time.Time) string {
	return fmt.Sprintf("https://sab.example/h5/cards/%d?r=%s&e=%d", businessID, url.QueryEscape(string(reader)), expires.Unix())
}

func (links) PublicCard(code string) string { return "https://sab.example/c/" + code }

// district is the demo district with the services cards need.
type district struct {
	d        *db.DB
	clk      *clock.Offset
	reg      *registry.Service
	accounts *account.Service
	cards    *card.Service
	out      notifytest.Outbox
}

func schemas() []db.Schema {
	return []db.Schema{registry.Schema, audit.Schema, account.Schema, card.Schema, notifytest.Schema}
}

// demoDistrict is the demo district seeded once for this package's tests.
var demoDistrict = demotest.District("card", now, schemas()...)

// newDistrict builds the services over d, a copy of demoDistrict.
func newDistrict(t *testing.T, d *db.DB) *district {
	t.Helper()
	w := &district{d: d, clk: clock.NewFixed(now), out: notifytest.Outbox{DB: d}}
	store := kv.NewMemory()
	t.Cleanup(func() { store.Close() })
	w.reg = registry.NewService(d, registry.Rules{}, w.clk)
	w.accounts = account.NewService(d, store, w.reg, w.clk, []byte("card-test-secret-0123456789"))
	w.cards = card.NewService(d, w.reg, w.accounts, w.out, links{}, w.clk)
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
