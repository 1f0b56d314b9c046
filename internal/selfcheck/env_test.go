package selfcheck_test

import (
	"context"
	"fmt"
	"gorm.io/gorm"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
)

// at returns a time in China.
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, clock.China)
}

// start is a Wednesday late in 2026Q4.
var start = at(2026, 11, 25, 10, 0)

// env is a small register: one town with two villages, a cadre each and
// five businesses, some with bound contacts, on a clock the test moves.
type env struct {
	d        *db.DB
	clk      *clock.Offset
	store    kv.Store
	reg      *registry.Service
	accounts *account.Service
	svc      *selfcheck.Service
	out      *outbox

	town, v1, v2 *registry.Region
	c1, c2       *registry.Cadre
	biz          map[string]*registry.Business
	// contacts by business name and role, bound as "o-<id>".
	contacts map[string]map[account.ContactRole]*account.Contact
}

// The fixture's businesses: name, category, village, cadre, and which
// posts have a bound contact.
var fixture = []struct {
	name    string
	cat     registry.Category
	village int
	bound   []account.ContactRole
}{
	{"马鞍面馆", registry.CategoryCatering, 1, []account.ContactRole{account.ContactPrincipal}},
	{"马鞍超市", registry.CategorySales, 1, []account.ContactRole{account.ContactPrincipal, account.ContactOfficer}},
	{"胡埭中学食堂", registry.CategoryCanteen, 1, []account.ContactRole{account.ContactPrincipal, account.ContactDirector, account.ContactOfficer}},
	{"张舍烧烤", registry.CategoryCatering, 2, []account.ContactRole{account.ContactOfficer}},
	{"张舍副食店", registry.CategorySales, 2, nil},
}

// outbox records what is enqueued, by idempotency key like the real one.
type outbox struct {
	mu   sync.Mutex
	keys map[string]bool
	msgs []notify.Message
}

// EnqueueTx records msgs as if in the caller's transaction.
func (o *outbox) EnqueueTx(_ *gorm.DB, msgs ...notify.Message) (int, error) {
	return o.Enqueue(context.Background(), msgs...)
}

func (o *outbox) Enqueue(_ context.Context, msgs ...notify.Message) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, m := range msgs {
		if o.keys[m.Key()] {
			continue
		}
		o.keys[m.Key()] = true
		o.msgs = append(o.msgs, m)
		n++
	}
	return n, nil
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{d: d, clk: clock.NewFixed(start), store: kv.NewMemory(), out: &outbox{keys: map[string]bool{}},
		biz: map[string]*registry.Business{}, contacts: map[string]map[account.ContactRole]*account.Contact{}}
	t.Cleanup(func() { e.store.Close() })
	e.reg = registry.NewService(d, registry.Rules{DistrictCode: "320211"}, e.clk)
	e.accounts = account.NewService(d, e.store, e.reg, e.clk, []byte("selfcheck-test-secret-0123456789"))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	city, err := e.reg.CreateRegion(ctx, nil, registry.LevelCity, "无锡市", "320200")
	must(err)
	district, err := e.reg.CreateRegion(ctx, &city.ID, registry.LevelDistrict, "滨湖区", "320211")
	must(err)
	e.town, err = e.reg.CreateRegion(ctx, &district.ID, registry.LevelTown, "胡埭镇", "")
	must(err)
	e.v1, err = e.reg.CreateRegion(ctx, &e.town.ID, registry.LevelVillage, "马鞍村", "")
	must(err)
	e.v2, err = e.reg.CreateRegion(ctx, &e.town.ID, registry.LevelVillage, "张舍村", "")
	must(err)
	e.c1, err = e.reg.CreateCadre(ctx, registry.CadreInput{Name: "王建国", Level: registry.CadreVillage, RegionID: e.v1.ID, WorkPhone: "13900000001"})
	must(err)
	e.c2, err = e.reg.CreateCadre(ctx, registry.CadreInput{Name: "李秀英", Level: registry.CadreVillage, RegionID: e.v2.ID, WorkPhone: "13900000002"})
	must(err)
	for i, f := range fixture {
		region, cadre := e.v1.ID, e.c1.ID
		if f.village == 2 {
			region, cadre = e.v2.ID, e.c2.ID
		}
		b, err := e.reg.CreateBusiness(ctx, registry.BusinessInput{
			Name: f.name, LicenceNo: fmt.Sprintf("JY132021100%05d", i+1), Category: f.cat, Grade: registry.GradeD, RegionID: region,
			Principal: "张" + f.name[:3], PrincipalPhone: fmt.Sprintf("1380000%04d", i*10+1),
			Director: "李" + f.name[:3], DirectorPhone: fmt.Sprintf("1380000%04d", i*10+2),
			Officer: "王" + f.name[:3], OfficerPhone: fmt.Sprintf("1380000%04d", i*10+3),
		}, "test", registry.SourceImport)
		must(err)
		_, err = e.reg.Assign(ctx, b.ID, cadre, "分工", "test")
		must(err)
		e.biz[f.name] = b
		e.contacts[f.name] = map[account.ContactRole]*account.Contact{}
		for _, role := range f.bound {
			c, err := e.accounts.EnsureContact(ctx, b.ID, role)
			must(err)
			code, _, err := e.accounts.IssueCode(ctx, account.RoleContact, c.ID, "test")
			must(err)
			_, err = e.accounts.Bind(ctx, chat.ChannelOA, fmt.Sprintf("o-%d", c.ID), code)
			must(err)
			e.contacts[f.name][role] = c
		}
	}
	e.svc, err = selfcheck.NewService(selfcheck.Deps{DB: d, Registry: e.reg, Accounts: e.accounts, KV: e.store, Outbox: e.out, Clock: e.clk})
	must(err)
	return e
}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	dbtest.Each(t, func(t *testing.T, d *db.DB) { fn(t, newEnv(t, d)) },
		registry.Schema, audit.Schema, account.Schema, selfcheck.Schema)
}

func openEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, dbtest.OpenSQLite(t, registry.Schema, audit.Schema, account.Schema, selfcheck.Schema))
}

// contact is a bound contact of a business.
func (e *env) contact(t *testing.T, name string, role account.ContactRole) *account.Contact {
	t.Helper()
	c := e.contacts[name][role]
	if c == nil {
		t.Fatalf("%s has no bound %s", name, role)
	}
	return c
}

var keys sync.Mutex
var keyN int

func key() string {
	keys.Lock()
	defer keys.Unlock()
	keyN++
	return fmt.Sprintf("dlg-%d", keyN)
}

// daily records a day for a business by its first bound contact.
func (e *env) daily(t *testing.T, name string, day time.Time, problems ...selfcheck.Problem) *selfcheck.Saved {
	t.Helper()
	var c *account.Contact
	for _, f := range fixture {
		if f.name == name && len(f.bound) > 0 {
			c = e.contacts[name][f.bound[0]]
		}
	}
	s, err := e.svc.SubmitDaily(context.Background(), selfcheck.DailyInput{SubmissionKey: key(), ContactID: c.ID, Day: day, Problems: problems})
	if err != nil {
		t.Fatalf("daily %s %s: %v", name, day.Format("01-02"), err)
	}
	return s
}

func count(t *testing.T, d *db.DB, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := d.Gorm(context.Background()).Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
