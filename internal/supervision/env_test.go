package supervision_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// day returns a time in China.
func day(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, clock.China)
}

// registered is when the fixture's register was made: Q2 2026.
var registered = day(2026, 6, 15, 10, 0)

// env is a small register: one town (胡埭镇) with two villages, an
// office, four cadres (two village, one town, one county) and seven
// businesses, built at `registered` on a clock the test moves.
type env struct {
	d     *db.DB
	clk   *clock.Offset
	reg   *registry.Service
	svc   *supervision.Service
	lists *supervision.Checklists

	district, town, v1, v2 *registry.Region
	office                 *registry.Office
	c1, c2, c3, c4         *registry.Cadre // 马鞍村, 张舍村, town, county
	biz                    map[string]*registry.Business
}

// Businesses of the fixture, by name, with their grade, category,
// village (1 or 2) and cadre (1–4).
var fixture = []struct {
	name    string
	grade   registry.Grade
	cat     registry.Category
	village int
	cadre   int
}{
	{"马鞍面馆", registry.GradeD, registry.CategoryCatering, 1, 1},
	{"马鞍超市", registry.GradeD, registry.CategorySales, 1, 1},
	{"马鞍小吃", registry.GradeD, registry.CategoryCatering, 1, 1},
	{"张舍烧烤", registry.GradeD, registry.CategoryCatering, 2, 2},
	{"张舍副食店", registry.GradeD, registry.CategorySales, 2, 2},
	{"胡埭中学食堂", registry.GradeC, registry.CategoryCanteen, 1, 3},
	{"太湖食品有限公司", registry.GradeB, registry.CategoryProduction, 2, 4},
	{"无人包保小店", registry.GradeD, registry.CategorySales, 2, 0},
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{d: d, clk: clock.NewFixed(registered), biz: map[string]*registry.Business{}}
	e.reg = registry.NewService(d, registry.Rules{DistrictCode: "320211"}, e.clk)
	lists, err := supervision.DefaultChecklists()
	if err != nil {
		t.Fatal(err)
	}
	e.lists = lists
	e.svc = supervision.NewService(d, e.reg, lists, supervision.DefaultRules(), e.clk)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	city, err := e.reg.CreateRegion(ctx, nil, registry.LevelCity, "无锡市", "320200")
	must(err)
	e.district, err = e.reg.CreateRegion(ctx, &city.ID, registry.LevelDistrict, "滨湖区", "320211")
	must(err)
	e.town, err = e.reg.CreateRegion(ctx, &e.district.ID, registry.LevelTown, "胡埭镇", "")
	must(err)
	e.v1, err = e.reg.CreateRegion(ctx, &e.town.ID, registry.LevelVillage, "马鞍村", "")
	must(err)
	e.v2, err = e.reg.CreateRegion(ctx, &e.town.ID, registry.LevelVillage, "张舍村", "")
	must(err)
	e.office, err = e.reg.CreateOffice(ctx, registry.Office{RegionID: e.town.ID, Name: "胡埭镇食品安全委员会办公室", ShortName: "胡埭", Phone: "0510-85123456"})
	must(err)
	cadre := func(name string, level registry.CadreLevel, region int64, phone string) *registry.Cadre {
		c, err := e.reg.CreateCadre(ctx, registry.CadreInput{Name: name, Level: level, RegionID: region, WorkPhone: phone})
		must(err)
		return c
	}
	e.c1 = cadre("王建国", registry.CadreVillage, e.v1.ID, "13900000001")
	e.c2 = cadre("李秀英", registry.CadreVillage, e.v2.ID, "13900000002")
	e.c3 = cadre("张伟", registry.CadreTown, e.town.ID, "0510-85000003")
	e.c4 = cadre("陈刚", registry.CadreCounty, e.district.ID, "0510-85000004")
	cadres := []*registry.Cadre{nil, e.c1, e.c2, e.c3, e.c4}
	for i, f := range fixture {
		lat, lng := 31.56+float64(i)*0.01, 120.16
		region := e.v1.ID
		if f.village == 2 {
			region = e.v2.ID
		}
		prefix := "JY"
		if f.cat == registry.CategoryProduction {
			prefix = "SC"
		}
		b, err := e.reg.CreateBusiness(ctx, registry.BusinessInput{
			Name: f.name, LicenceNo: fmt.Sprintf("%s132021100%05d", prefix, i+1), Category: f.cat, Grade: f.grade,
			RegionID: region, Address: "胡埭镇" + f.name, Latitude: &lat, Longitude: &lng,
		}, "test", registry.SourceImport)
		must(err)
		if f.cadre > 0 {
			_, err = e.reg.Assign(ctx, b.ID, cadres[f.cadre].ID, "分工", "test")
			must(err)
		}
		e.biz[f.name] = b
	}
	return e
}

// each runs fn on SQLite and, when configured, MySQL, with a fresh env.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	dbtest.Each(t, func(t *testing.T, d *db.DB) { fn(t, newEnv(t, d)) }, registry.Schema, audit.Schema, supervision.Schema)
}

// at sets the clock.
func (e *env) at(t time.Time) { e.clk.Set(t) }

// read is the read side over the env's database, counting by svc's rules.
func (e *env) read(svc *supervision.Service) *query.Reader {
	return query.New(e.d).WithRules(svc.ReadRules(), e.clk)
}

var keys atomic.Int64

// report is a valid quick, all-OK, onsite report for a business by its cadre.
func (e *env) report(name string) supervision.VisitInput {
	b := e.biz[name]
	in := supervision.VisitInput{
		SubmissionKey: fmt.Sprintf("draft-%d", keys.Add(1)),
		BusinessID:    b.ID,
		CadreID:       e.cadreOf(name).ID,
		Mode:          supervision.ModeOnsite,
		Check:         supervision.CheckQuick,
		ContactName:   "店长",
		Source:        registry.SourceChat,
		Provenance:    []string{"msg-1", "msg-2"},
	}
	for _, it := range e.lists.Quick() {
		in.Items = append(in.Items, supervision.ItemResult{ItemID: it.ID, Result: supervision.ResultOK})
	}
	return in
}

func (e *env) cadreOf(name string) *registry.Cadre {
	for _, f := range fixture {
		if f.name == name {
			return []*registry.Cadre{nil, e.c1, e.c2, e.c3, e.c4}[f.cadre]
		}
	}
	return nil
}

// submit stores a report at time at, failing the test on error.
func (e *env) submit(t *testing.T, at time.Time, in supervision.VisitInput) *supervision.Visit {
	t.Helper()
	e.at(at)
	v, created, err := e.svc.Submit(context.Background(), in)
	if err != nil {
		t.Fatalf("submit %d at %v: %v", in.BusinessID, at, err)
	}
	if !created {
		t.Fatalf("submit %s: not created", in.SubmissionKey)
	}
	return v
}

// count counts rows of a table matching a condition.
func count(t *testing.T, d *db.DB, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	q := d.Gorm(context.Background()).Table(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// statements counts the SQL statements GORM runs on d from now on.
func statements(d *db.DB) *atomic.Int64 {
	var n atomic.Int64
	inc := func(*gorm.DB) { n.Add(1) }
	cb := d.Gorm(context.Background()).Callback()
	cb.Create().After("gorm:create").Register("test:count_create", inc)
	cb.Query().After("gorm:query").Register("test:count_query", inc)
	cb.Update().After("gorm:update").Register("test:count_update", inc)
	cb.Delete().After("gorm:delete").Register("test:count_delete", inc)
	cb.Row().After("gorm:row").Register("test:count_row", inc)
	cb.Raw().After("gorm:raw").Register("test:count_raw", inc)
	return &n
}
