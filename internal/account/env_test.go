package account_test

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
)

var secret = []byte("test-secret-0123456789abcdef")

// start is the fixed time every test begins at.
var start = time.Date(2026, 11, 28, 9, 0, 0, 0, clock.China)

// env is a small register — one town with one village, its office and
// manager, a village cadre and a noodle shop with its principal as contact —
// and the binding service over it.
type env struct {
	d        *db.DB
	store    kv.Store
	clk      *clock.Offset
	reg      *registry.Service
	svc      *account.Service
	village  *registry.Region
	cadre    *registry.Cadre
	office   *registry.Office
	manager  *registry.Manager
	business *registry.Business
	contact  *account.Contact
}

// each runs fn once per kv store (memory; Redis when configured) and
// database engine (SQLite; MySQL when configured), each time on a fresh
// database and under fresh kv keys.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	stores := []struct {
		name string
		open func(t *testing.T) kv.Store
	}{
		{"memory", func(t *testing.T) kv.Store {
			m := kv.NewMemory()
			t.Cleanup(func() { m.Close() })
			return m
		}},
		{"redis", openRedis},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			store := st.open(t)
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				fn(t, newEnv(t, d, store))
			}, registry.Schema, audit.Schema, account.Schema)
		})
	}
}

func openRedis(t *testing.T) kv.Store {
	t.Helper()
	addr := os.Getenv(dbtest.EnvRedisAddr)
	if addr == "" {
		if dbtest.RequireServices() {
			t.Fatalf("%s is not set but %s=1", dbtest.EnvRedisAddr, dbtest.EnvRequireServices)
		}
		t.Skipf("Redis not configured (%s)", dbtest.EnvRedisAddr)
	}
	r, err := kv.NewRedis(kv.RedisOptions{Addrs: strings.Split(addr, ",")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if err := r.Ping(context.Background()); err != nil {
		t.Fatalf("redis at %s: %v", addr, err)
	}
	return r
}

func newEnv(t *testing.T, d *db.DB, store kv.Store) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{d: d, store: store, clk: clock.NewFixed(start)}
	e.reg = registry.NewService(d, registry.Rules{}, e.clk)
	e.svc = account.NewService(d, store, e.reg, e.clk, secret, account.WithKeyPrefix("accounttest:"+rand.Text()+":"))
	region := func(parent *registry.Region, level registry.RegionLevel, name string) *registry.Region {
		t.Helper()
		var pid *int64
		if parent != nil {
			pid = &parent.ID
		}
		r, err := e.reg.CreateRegion(ctx, pid, level, name, "")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	city := region(nil, registry.LevelCity, "无锡市")
	district := region(city, registry.LevelDistrict, "滨湖区")
	town := region(district, registry.LevelTown, "胡埭镇")
	e.village = region(town, registry.LevelVillage, "马鞍村")
	var err error
	if e.cadre, err = e.reg.CreateCadre(ctx, registry.CadreInput{Name: "王某某", Post: "村委委员", Level: registry.CadreVillage,
		RegionID: e.village.ID, WorkPhone: "13912345678"}); err != nil {
		t.Fatal(err)
	}
	if e.office, err = e.reg.CreateOffice(ctx, registry.Office{RegionID: town.ID, Name: "胡埭镇食品安全委员会办公室", ShortName: "胡埭"}); err != nil {
		t.Fatal(err)
	}
	if e.manager, err = e.reg.CreateManager(ctx, registry.Manager{OfficeID: e.office.ID, Name: "李某某", Phone: "13700001111"}); err != nil {
		t.Fatal(err)
	}
	first := "92320211MA1X2Y3Q0"
	if e.business, err = e.reg.CreateBusiness(ctx, registry.BusinessInput{
		Name: "胡埭马鞍阿英面馆", CreditCode: first + string(registry.CreditCheckChar(first)), Category: registry.CategoryCatering,
		Grade: registry.GradeD, RegionID: e.village.ID, Address: "胡埭镇马鞍村1号", Principal: "张某某", PrincipalPhone: "13800001111",
	}, "test", registry.SourceConsole); err != nil {
		t.Fatal(err)
	}
	if e.contact, err = e.svc.EnsureContact(ctx, e.business.ID, account.ContactPrincipal); err != nil {
		t.Fatal(err)
	}
	return e
}

// user returns a fresh openid-like id.
func user() string { return "oTest" + rand.Text() }

// issue makes a binding code for role and subject, failing the test on error.
func (e *env) issue(t *testing.T, role account.Role, subjectID int64) (string, *account.BindingCode) {
	t.Helper()
	code, bc, err := e.svc.IssueCode(context.Background(), role, subjectID, "user:admin")
	if err != nil {
		t.Fatal(err)
	}
	return code, bc
}

// bind binds user u on the Official Account with code, failing on error.
func (e *env) bind(t *testing.T, u, code string) *account.Identity {
	t.Helper()
	id, err := e.svc.Bind(context.Background(), "oa", u, code)
	if err != nil {
		t.Fatalf("bind %s: %v", code, err)
	}
	return id
}

// auditOf lists the audit entries of one subject, newest first.
func (e *env) auditOf(t *testing.T, subjectType string, id int64) []query.AuditEntry {
	t.Helper()
	es, _, err := query.New(e.d).AuditEntries(context.Background(), query.AuditFilter{SubjectType: subjectType, SubjectID: id}, query.AuditScope{All: true})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// wantKind fails unless err is of kind and, when part is set, its message contains part.
func wantKind(t *testing.T, err error, kind errs.Kind, part string) {
	t.Helper()
	if !errs.Is(err, kind) {
		t.Fatalf("want %s, got %v", kind, err)
	}
	if msg := errs.MessageOf(err); part != "" && !strings.Contains(msg, part) {
		t.Fatalf("message %q does not say %q", msg, part)
	}
}

// wrongCode returns a well-formed code nobody issued.
func wrongCode() string {
	const alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	b := []byte(rand.Text()[:8])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
