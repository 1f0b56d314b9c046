package meeting_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/meeting"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// at returns a time in China.
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, clock.China)
}

// start is a Wednesday morning late in 2026Q4; the meetings of the tests
// are two days later at 09:00.
var (
	start     = at(2026, 11, 25, 10, 0)
	meetingAt = at(2026, 11, 27, 9, 0)
)

// env is a small register: 胡埭镇 with its office, two villages with a
// cadre each, a town cadre, and four businesses (two with bound
// contacts), on a clock the test moves.
type env struct {
	d        *db.DB
	clk      *clock.Offset
	store    kv.Store
	reg      *registry.Service
	accounts *account.Service
	visits   *supervision.Service
	svc      *meeting.Service
	out      *outbox

	town, v1, v2, other *registry.Region
	c1, c2, c3, c9      *registry.Cadre
	biz                 map[string]*registry.Business
	// openid of each bound person: "cadre-<id>", "contact-<business>".
	openid map[string]string
}

// outbox records what is enqueued, by idempotency key like the real one.
type outbox struct {
	mu   sync.Mutex
	keys map[string]bool
	msgs []notify.Message
}

func (o *outbox) EnqueueTx(_ *gorm.DB, msgs ...notify.Message) (int, error) {
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

// kinds counts the messages enqueued by kind and recipient kind.
func (o *outbox) count(kind string, to notify.RecipientKind) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, m := range o.msgs {
		if m.Kind == kind && m.To.Kind == to {
			n++
		}
	}
	return n
}

var fixture = []struct {
	name    string
	cat     registry.Category
	village int
	bound   bool
}{
	{"马鞍面馆", registry.CategoryCatering, 1, true},
	{"马鞍超市", registry.CategorySales, 1, false},
	{"张舍烧烤", registry.CategoryCatering, 2, true},
	{"张舍副食店", registry.CategorySales, 2, false},
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{d: d, clk: clock.NewFixed(start), store: kv.NewMemory(), out: &outbox{keys: map[string]bool{}},
		biz: map[string]*registry.Business{}, openid: map[string]string{}}
	t.Cleanup(func() { e.store.Close() })
	e.reg = registry.NewService(d, registry.Rules{DistrictCode: "320211"}, e.clk)
	e.accounts = account.NewService(d, e.store, e.reg, e.clk, []byte("meeting-test-secret-0123456789ab"))
	lists, err := supervision.DefaultChecklists()
	must(t, err)
	e.visits = supervision.NewService(d, e.reg, lists, supervision.DefaultRules(), e.clk)
	city, err := e.reg.CreateRegion(ctx, nil, registry.LevelCity, "无锡市", "320200")
	must(t, err)
	district, err := e.reg.CreateRegion(ctx, &city.ID, registry.LevelDistrict, "滨湖区", "320211")
	must(t, err)
	e.town, err = e.reg.CreateRegion(ctx, &district.ID, registry.LevelTown, "胡埭镇", "")
	must(t, err)
	e.other, err = e.reg.CreateRegion(ctx, &district.ID, registry.LevelTown, "蠡湖街道", "")
	must(t, err)
	e.v1, err = e.reg.CreateRegion(ctx, &e.town.ID, registry.LevelVillage, "马鞍村", "")
	must(t, err)
	e.v2, err = e.reg.CreateRegion(ctx, &e.town.ID, registry.LevelVillage, "张舍村", "")
	must(t, err)
	_, err = e.reg.CreateOffice(ctx, registry.Office{RegionID: e.town.ID, Name: "胡埭镇食品安全委员会办公室", ShortName: "胡埭", Phone: "0510-85123456"})
	must(t, err)
	cadre := func(name string, level registry.CadreLevel, region int64, phone string) *registry.Cadre {
		c, err := e.reg.CreateCadre(ctx, registry.CadreInput{Name: name, Level: level, RegionID: region, WorkPhone: phone})
		must(t, err)
		e.bind(t, account.RoleCadre, c.ID, fmt.Sprintf("cadre-%d", c.ID))
		return c
	}
	e.c1 = cadre("王建国", registry.CadreVillage, e.v1.ID, "13900000001")
	e.c2 = cadre("李秀英", registry.CadreVillage, e.v2.ID, "13900000002")
	e.c3 = cadre("张伟", registry.CadreTown, e.town.ID, "13900000003")
	e.c9 = cadre("赵蠡湖", registry.CadreVillage, e.other.ID, "13900000009")
	for i, f := range fixture {
		region, c := e.v1.ID, e.c1.ID
		if f.village == 2 {
			region, c = e.v2.ID, e.c2.ID
		}
		b, err := e.reg.CreateBusiness(ctx, registry.BusinessInput{
			Name: f.name, LicenceNo: fmt.Sprintf("JY132021100%05d", i+1), Category: f.cat, Grade: registry.GradeD, RegionID: region,
			Principal: "张" + f.name[:3], PrincipalPhone: fmt.Sprintf("1380000%04d", i*10+1),
		}, "test", registry.SourceImport)
		must(t, err)
		_, err = e.reg.Assign(ctx, b.ID, c, "分工", "test")
		must(t, err)
		e.biz[f.name] = b
		if f.bound {
			ct, err := e.accounts.EnsureContact(ctx, b.ID, account.ContactPrincipal)
			must(t, err)
			e.bind(t, account.RoleContact, ct.ID, "contact-"+f.name)
		}
	}
	e.svc, err = meeting.NewService(meeting.Deps{DB: d, Registry: e.reg, Accounts: e.accounts, Visits: e.visits,
		Outbox: e.out, KV: e.store, Clock: e.clk, Secret: []byte("meeting-test-secret")})
	must(t, err)
	return e
}

func (e *env) bind(t *testing.T, role account.Role, id int64, openid string) {
	t.Helper()
	code, _, err := e.accounts.IssueCode(context.Background(), role, id, "test")
	must(t, err)
	_, err = e.accounts.Bind(context.Background(), chat.ChannelOA, openid, code)
	must(t, err)
	if role == account.RoleCadre {
		e.openid[fmt.Sprintf("cadre-%d", id)] = openid
	} else {
		e.openid[openid] = openid
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var schemas = []db.Schema{registry.Schema, audit.Schema, account.Schema, supervision.Schema, meeting.Schema}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	dbtest.Each(t, func(t *testing.T, d *db.DB) { fn(t, newEnv(t, d)) }, schemas...)
}

func openEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, dbtest.OpenSQLite(t, schemas...))
}

func f64(v float64) *float64 { return &v }

// training creates a 干部培训 of 胡埭镇's cadres at meetingAt, two hours
// long, at a venue with coordinates, carrying the cadres' quiz.
func (e *env) training(t *testing.T) *meeting.Meeting {
	t.Helper()
	m, err := e.svc.Create(context.Background(), e.town.Path, meeting.Input{
		Kind: meeting.KindCadreTraining, Title: "包保干部轮训", StartsAt: meetingAt, EndsAt: meetingAt.Add(2 * time.Hour),
		Place: "胡埭镇政府三楼会议室", Latitude: f64(31.5900), Longitude: f64(120.1600), RegionID: e.town.ID,
		Agenda: "关键控制点；督导流程；工作纪律", Materials: []meeting.Material{{Title: "督导要点", URL: "https://example.org/a.pdf"}},
		QuizID: "cadre_key_points", Rule: meeting.Rule{CadresOf: e.town.ID},
	}, "user:hudai")
	must(t, err)
	return m
}
