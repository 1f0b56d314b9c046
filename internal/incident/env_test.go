package incident_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/demo/demotest"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// night is 23:00 in China, inside the quiet hours (22:00–07:30).
var night = time.Date(2026, 12, 2, 23, 0, 0, 0, clock.China)

var district = demotest.District("incident", night.Add(-24*time.Hour), registry.Schema, audit.Schema, account.Schema,
	supervision.Schema, notify.Schema, incident.Schema)

// env is the demo district with the real outbox (quiet hours on, no
// dispatcher) and the incidents over it.
type env struct {
	d        *db.DB
	clk      *clock.Offset
	store    kv.Store
	reg      *registry.Service
	accounts *account.Service
	out      *notify.Service
	svc      *incident.Service
	// hudai and lihu are the two towns; district the district's region.
	hudai, lihu, district registry.Region
	// groups are the offices with a WeCom robot.
	groups map[string]bool
}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	district.Each(t, func(t *testing.T, d *db.DB) { fn(t, newEnv(t, d)) })
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	e := &env{d: d, clk: clock.NewFixed(night), store: kv.NewMemory(), groups: map[string]bool{"胡埭": true, "滨湖": true}}
	t.Cleanup(func() { e.store.Close() })
	e.reg = registry.NewService(d, registry.Rules{}, e.clk)
	e.accounts = account.NewService(d, e.store, e.reg, e.clk, []byte("incident-test-secret-0123456789"))
	e.out = notify.NewService(d, e.store, nil, notify.Senders{}, notify.Config{QuietStart: "22:00", QuietEnd: "07:30"}, e.clk, slog.New(slog.DiscardHandler))
	svc, err := incident.NewService(incident.Deps{DB: d, Registry: e.reg, Accounts: e.accounts, Outbox: e.out,
		Groups: func(short string) bool { return e.groups[short] }, BaseURL: "https://sab.example", Clock: e.clk})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	rs, err := e.reg.Regions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		switch r.Name {
		case "胡埭镇":
			e.hudai = r
		case "蠡湖街道":
			e.lihu = r
		case "滨湖区":
			e.district = r
		}
	}
	if e.hudai.ID == 0 || e.lihu.ID == 0 || e.district.ID == 0 {
		t.Fatal("demo district without 胡埭镇, 蠡湖街道 or 滨湖区")
	}
	return e
}

// business returns a business of the town.
func (e *env) business(t *testing.T, town registry.Region) registry.Business {
	t.Helper()
	bs := demotest.Businesses(t, e.d, query.BusinessFilter{RegionPath: town.Path, Limit: 1})
	if len(bs) == 0 {
		t.Fatalf("no business in %s", town.Name)
	}
	return bs[0]
}

// cadre returns a cadre of the town.
func (e *env) cadre(t *testing.T, town registry.Region) registry.Cadre {
	t.Helper()
	cs, _, err := e.reg.FindCadres(t.Context(), registry.CadreFilter{ScopePath: town.Path, Limit: 1})
	if err != nil || len(cs) == 0 {
		t.Fatalf("no cadre in %s: %v", town.Name, err)
	}
	return cs[0]
}

// office returns the office of a region with its managers.
func (e *env) office(t *testing.T, r registry.Region) (*registry.Office, []registry.Manager) {
	t.Helper()
	o, err := e.reg.OfficeFor(t.Context(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := e.reg.Managers(t.Context(), o.ID)
	if err != nil || len(ms) == 0 {
		t.Fatalf("office %s has no managers: %v", o.Name, err)
	}
	return o, ms
}

// outbox lists the outbox rows of kind.
func (e *env) outbox(t *testing.T, kind string) []notify.Notification {
	t.Helper()
	ns, _, err := e.out.List(context.Background(), notify.Filter{Kind: kind, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func countRows(t *testing.T, d *db.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := d.Gorm(t.Context()).Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
