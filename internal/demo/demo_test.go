package demo_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/benchtest"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/demo"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

var now = time.Date(2026, 11, 28, 9, 0, 0, 0, clock.China)

func newRegistry(d *db.DB) *registry.Service {
	return registry.NewService(d, registry.Rules{DistrictCode: "320211"}, clock.NewFixed(now))
}

func seed(t *testing.T, d *db.DB, opt demo.Options) *demo.Summary {
	t.Helper()
	opt.Clock = clock.NewFixed(now)
	start := time.Now()
	sum, err := demo.Seed(context.Background(), d, newRegistry(d), opt)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	t.Logf("%s: seeded %d businesses, %d cadres, %d regions in %v", d.Engine(), sum.Businesses, sum.Cadres, sum.Regions, time.Since(start).Round(time.Millisecond))
	return sum
}

// register is everything seeded, read back from the database.
type register struct {
	regions    map[int64]registry.Region
	businesses []registry.Business
	cadres     map[int64]registry.Cadre
	current    map[int64][]registry.Assignment // by business
	events     []registry.BusinessEvent
	offices    []registry.Office
	managers   []registry.Manager
}

func load(t *testing.T, d *db.DB) register {
	t.Helper()
	q := d.Gorm(context.Background())
	var (
		rs  []registry.Region
		cs  []registry.Cadre
		as  []registry.Assignment
		reg = register{regions: map[int64]registry.Region{}, cadres: map[int64]registry.Cadre{}, current: map[int64][]registry.Assignment{}}
	)
	for _, err := range []error{
		q.Find(&rs).Error, q.Order("id").Find(&reg.businesses).Error, q.Find(&cs).Error, q.Find(&as).Error,
		q.Find(&reg.events).Error, q.Find(&reg.offices).Error, q.Find(&reg.managers).Error,
	} {
		if err != nil {
			t.Fatalf("load: %v", err)
		}
	}
	for _, r := range rs {
		reg.regions[r.ID] = r
	}
	for _, c := range cs {
		reg.cadres[c.ID] = c
	}
	for _, a := range as {
		if a.EndedAt == nil {
			reg.current[a.BusinessID] = append(reg.current[a.BusinessID], a)
		}
	}
	return reg
}

func (r register) named(level registry.RegionLevel, name string) registry.Region {
	for _, x := range r.regions {
		if x.Level == level && x.Name == name {
			return x
		}
	}
	return registry.Region{}
}

func (r register) children(id int64) []registry.Region {
	var out []registry.Region
	for _, x := range r.regions {
		if x.ParentID != nil && *x.ParentID == id {
			out = append(out, x)
		}
	}
	return out
}

// townOf is the town a business's village lies in.
func (r register) townOf(b registry.Business) registry.Region {
	return r.regions[*r.regions[b.RegionID].ParentID]
}

// checkAssigned checks that every business not deregistered has exactly
// one current assignment, to a cadre the strict rules accept, based where
// its grade says: a D business's cadre in its village, C in its town, B in
// its district.
func checkAssigned(t *testing.T, d *db.DB, r register) {
	t.Helper()
	strict := registry.NewService(d, registry.Rules{}, nil)
	var rs []registry.Region
	for _, x := range r.regions {
		rs = append(rs, x)
	}
	tree := registry.NewRegionTree(rs)
	for _, b := range r.businesses {
		cur := r.current[b.ID]
		if b.Status == registry.StatusDeregistered {
			continue
		}
		if len(cur) != 1 {
			t.Fatalf("%s has %d current assignments", b.Name, len(cur))
		}
		c := r.cadres[cur[0].CadreID]
		if err := strict.CheckAssignable(b, c, tree); err != nil {
			t.Fatalf("%s (%s) packed by %s (%s): %v", b.Name, b.Grade, c.Name, c.Level, err)
		}
		var want int64
		switch b.Grade {
		case registry.GradeD:
			want = b.RegionID
		case registry.GradeC:
			want = r.townOf(b).ID
		case registry.GradeB:
			want = *r.townOf(b).ParentID
		default:
			want = c.RegionID
		}
		if c.RegionID != want {
			t.Fatalf("%s (%s) packed by %s based in %s", b.Name, b.Grade, c.Name, r.regions[c.RegionID].Name)
		}
	}
}

// checkCodes checks every credit code and licence number is valid and
// unique, and every phone number well formed.
func checkCodes(t *testing.T, r register) {
	t.Helper()
	codes, licences := map[string]bool{}, map[string]bool{}
	for _, b := range r.businesses {
		if b.CreditCode == nil {
			t.Fatalf("%s has no credit code", b.Name)
		}
		code := *b.CreditCode
		if why := registry.CheckCreditCode(code); why != "" {
			t.Fatalf("%s: %s: %s", b.Name, code, why)
		}
		if !slices.Contains([]string{"11", "12", "91", "92"}, code[:2]) {
			t.Fatalf("%s: credit code %s has an unexpected prefix", b.Name, code)
		}
		if codes[code] {
			t.Fatalf("credit code %s issued twice", code)
		}
		codes[code] = true
		if b.LicenceNo != nil {
			if why := registry.CheckLicenceNo(*b.LicenceNo); why != "" || licences[*b.LicenceNo] {
				t.Fatalf("%s: licence %s: %q or repeated", b.Name, *b.LicenceNo, why)
			}
			licences[*b.LicenceNo] = true
		}
		for _, p := range []string{b.PrincipalPhone, b.DirectorPhone, b.OfficerPhone} {
			if why := registry.CheckPhone(p); why != "" {
				t.Fatalf("%s: phone %s: %s", b.Name, p, why)
			}
		}
		if b.PrincipalPhone == "" || b.OfficerPhone == "" || b.Principal == "" || b.Officer == "" {
			t.Fatalf("%s lacks a principal or officer: %+v", b.Name, b)
		}
		if b.Grade != registry.GradeD && (b.Director == "" || b.DirectorPhone == "") {
			t.Fatalf("%s (%s) has no food-safety director", b.Name, b.Grade)
		}
		if b.Latitude == nil || b.Longitude == nil {
			t.Fatalf("%s has no location", b.Name)
		}
	}
	phones := map[string]bool{}
	for _, c := range r.cadres {
		if c.WorkPhone == "" || registry.CheckPhone(c.WorkPhone) != "" || phones[c.WorkPhone] {
			t.Fatalf("cadre %s: bad or repeated work phone %q", c.Name, c.WorkPhone)
		}
		phones[c.WorkPhone] = true
	}
	for _, m := range r.managers {
		if m.Phone == "" || registry.CheckPhone(m.Phone) != "" {
			t.Fatalf("manager %s: bad phone %q", m.Name, m.Phone)
		}
	}
	for _, o := range r.offices {
		if registry.CheckPhone(o.Phone) != "" || registry.CheckPhone(o.StationPhone) != "" || o.Address == "" {
			t.Fatalf("office %s: phone %q, station %q, address %q", o.Name, o.Phone, o.StationPhone, o.Address)
		}
	}
}

func TestDemoDistrict(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if empty, err := demo.IsEmpty(ctx, d); err != nil || !empty {
			t.Fatalf("fresh database: empty=%v, %v", empty, err)
		}
		sum := seed(t, d, demo.Options{Seed: 20261128})
		if empty, err := demo.IsEmpty(ctx, d); err != nil || empty {
			t.Fatalf("seeded database: empty=%v, %v", empty, err)
		}
		r := load(t, d)
		hudai, lihu := r.named(registry.LevelTown, "胡埭镇"), r.named(registry.LevelTown, "蠡湖街道")
		district := r.named(registry.LevelDistrict, "滨湖区")
		if hudai.ID == 0 || lihu.ID == 0 || district.ID == 0 || *hudai.ParentID != district.ID || district.Code != "320211" {
			t.Fatalf("region tree: 胡埭镇 %+v, 蠡湖街道 %+v, 滨湖区 %+v", hudai, lihu, district)
		}
		if city := r.regions[*district.ParentID]; city.Name != "无锡市" || city.Code != "320200" {
			t.Fatalf("city = %+v", city)
		}
		if n := len(r.children(hudai.ID)); n != 10 {
			t.Fatalf("胡埭镇 has %d villages, want 10", n)
		}
		if n := len(r.children(lihu.ID)); n < 8 || n > 12 {
			t.Fatalf("蠡湖街道 has %d communities, want 8–12", n)
		}

		t.Run("Businesses", func(t *testing.T) {
			grades := map[string]map[registry.Grade]int{}
			categories := map[registry.Category]int{}
			names := map[string]bool{}
			suspended := 0
			for _, b := range r.businesses {
				town := r.townOf(b)
				if grades[town.Name] == nil {
					grades[town.Name] = map[registry.Grade]int{}
				}
				grades[town.Name][b.Grade]++
				if town.ID == hudai.ID {
					categories[b.Category]++
				}
				if names[b.Name] {
					t.Errorf("name %s used twice", b.Name)
				}
				names[b.Name] = true
				prefix := "无锡市滨湖区" + town.Name
				if !strings.HasPrefix(b.Address, prefix) {
					t.Errorf("%s: address %q outside %s", b.Name, b.Address, prefix)
				}
				centre := map[string][2]float64{"胡埭镇": {31.56, 120.16}, "蠡湖街道": {31.53, 120.27}}[town.Name]
				if math.Abs(*b.Latitude-centre[0]) > 0.06 || math.Abs(*b.Longitude-centre[1]) > 0.07 {
					t.Errorf("%s at %.4f,%.4f, far from %s", b.Name, *b.Latitude, *b.Longitude, town.Name)
				}
				if b.Status == registry.StatusSuspended {
					suspended++
				}
			}
			h := grades["胡埭镇"]
			if h[registry.GradeC] != 23 || h[registry.GradeD] != 956 || len(h) != 2 {
				t.Errorf("胡埭镇 grades = %v, want 23 C and 956 D", h)
			}
			l := grades["蠡湖街道"]
			if total := l[registry.GradeB] + l[registry.GradeC] + l[registry.GradeD]; total != 1060 || l[registry.GradeB] == 0 || l[registry.GradeC] == 0 {
				t.Errorf("蠡湖街道 grades = %v, want 1,060 with some B and C", l)
			}
			if sum.Businesses != 2039 || sum.ByTown["胡埭镇"] != 979 || sum.ByTown["蠡湖街道"] != 1060 || sum.Assignments != 2039 {
				t.Errorf("summary = %+v", sum)
			}
			sales := categories[registry.CategoryCatering] + categories[registry.CategorySales]
			if sales < 979*3/4 || categories[registry.CategoryProduction] == 0 || categories[registry.CategoryCanteen] == 0 {
				t.Errorf("胡埭镇 categories = %v: want mostly catering and sales, some production and canteens", categories)
			}
			if suspended < 10 || suspended > 60 {
				t.Errorf("%d suspended of %d, want about 1–2 %%", suspended, len(r.businesses))
			}
			events := map[int64]int{}
			for _, e := range r.events {
				if e.Kind == registry.EventSuspended {
					events[e.BusinessID]++
				}
			}
			if len(events) != suspended {
				t.Errorf("%d suspension events for %d suspended businesses", len(events), suspended)
			}
			checkCodes(t, r)
		})

		t.Run("Assignments", func(t *testing.T) {
			checkAssigned(t, d, r)
			packs := map[int64]int{}
			for _, as := range r.current {
				packs[as[0].CadreID]++
			}
			levels := map[string]map[registry.CadreLevel]int{}
			for _, c := range r.cadres {
				n := packs[c.ID]
				if c.Level == registry.CadreVillage && (n < 1 || n > 20) {
					t.Errorf("village cadre %s packs %d businesses, want 1–20", c.Name, n)
				}
				if n == 0 {
					t.Errorf("%s cadre %s packs nothing", c.Level, c.Name)
				}
				town := "滨湖区"
				if reg := r.regions[c.RegionID]; reg.Level == registry.LevelTown {
					town = reg.Name
				} else if reg.Level == registry.LevelVillage {
					town = r.regions[*reg.ParentID].Name
				}
				if levels[town] == nil {
					levels[town] = map[registry.CadreLevel]int{}
				}
				levels[town][c.Level]++
			}
			h := levels["胡埭镇"]
			if h[registry.CadreTown] < 3 || h[registry.CadreTown] > 5 || h[registry.CadreVillage] < 80 || h[registry.CadreVillage] > 120 {
				t.Errorf("胡埭镇 cadres = %v, want 3–5 town and 80–120 village cadres", h)
			}
			if avg := 956.0 / float64(h[registry.CadreVillage]); avg < 5 || avg > 14 {
				t.Errorf("village cadres in 胡埭镇 pack %.1f businesses on average, want 5–14", avg)
			}
			if n := levels["滨湖区"][registry.CadreCounty]; n < 2 || n > 3 {
				t.Errorf("%d county cadres, want 2–3", n)
			}
		})

		t.Run("Offices", func(t *testing.T) {
			want := map[string]string{
				"胡埭镇食品安全委员会办公室": "胡埭", "蠡湖街道食品安全委员会办公室": "蠡湖", "滨湖区食品安全委员会办公室": "滨湖",
			}
			if len(r.offices) != len(want) {
				t.Fatalf("%d offices, want %d", len(r.offices), len(want))
			}
			per := map[int64]int{}
			for _, m := range r.managers {
				per[m.OfficeID]++
			}
			for _, o := range r.offices {
				if want[o.Name] != o.ShortName {
					t.Errorf("office %s (%s) not expected", o.Name, o.ShortName)
				}
				if !strings.HasPrefix(o.Phone, "0510-8") {
					t.Errorf("office %s phone %s", o.Name, o.Phone)
				}
				if n := per[o.ID]; n < 2 || n > 3 {
					t.Errorf("office %s has %d managers, want 2–3", o.Name, n)
				}
			}
		})

		t.Run("NotTwice", func(t *testing.T) {
			_, err := demo.Seed(ctx, d, newRegistry(d), demo.Options{Seed: 1})
			if !errs.Is(err, errs.Conflict) || errs.MessageOf(err) != "数据库中已有登记数据，未生成演示数据" {
				t.Fatalf("second seed: want Conflict, got %v", err)
			}
			if again := load(t, d); len(again.businesses) != len(r.businesses) || len(again.regions) != len(r.regions) {
				t.Fatalf("second seed wrote data")
			}
		})
	}, registry.Schema)
}

func TestSeedRefusesNonEmpty(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		reg := newRegistry(d)
		if _, err := reg.CreateRegion(ctx, nil, registry.LevelCity, "苏州市", "320500"); err != nil {
			t.Fatal(err)
		}
		if empty, err := demo.IsEmpty(ctx, d); err != nil || empty {
			t.Fatalf("with a region: empty=%v, %v", empty, err)
		}
		_, err := demo.Seed(ctx, d, reg, demo.Options{Seed: 7})
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("want Conflict, got %v", err)
		}
		r := load(t, d)
		if len(r.regions) != 1 || len(r.businesses) != 0 || len(r.cadres) != 0 || len(r.offices) != 0 {
			t.Fatalf("refused seed wrote %d regions, %d businesses, %d cadres, %d offices", len(r.regions)-1, len(r.businesses), len(r.cadres), len(r.offices))
		}
	}, registry.Schema)
}

// Two instances starting on one empty database at once must not both seed:
// SQLite queues the second transaction, which then finds data (Conflict);
// on MySQL the locking emptiness check makes one of them fail.
func TestSeedConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		errc := make(chan error, 2)
		for i := range 2 {
			go func() {
				_, err := demo.Seed(context.Background(), d, newRegistry(d), demo.Options{Seed: int64(i)})
				errc <- err
			}()
		}
		var failed []error
		for range 2 {
			if err := <-errc; err != nil {
				failed = append(failed, err)
			}
		}
		if len(failed) != 1 || !(errs.Is(failed[0], errs.Conflict) || errs.Is(failed[0], errs.Unavailable)) {
			t.Fatalf("want one seed to fail with Conflict or Unavailable, got %v", failed)
		}
		r := load(t, d)
		if len(r.businesses) != 2039 || len(r.regions) != 24 {
			t.Fatalf("%d businesses in %d regions after two concurrent seeds", len(r.businesses), len(r.regions))
		}
		t.Logf("the other seed: %v", failed[0])
	}, registry.Schema)
}

func TestSeedOptions(t *testing.T) {
	d := dbtest.OpenSQLite(t, registry.Schema)
	for _, scale := range []int{-1, demo.MaxScale + 1} {
		if _, err := demo.Seed(context.Background(), d, newRegistry(d), demo.Options{Scale: scale}); !errs.Is(err, errs.Invalid) {
			t.Errorf("scale %d: want Invalid, got %v", scale, err)
		}
	}
}

// fingerprint lists what a seed must reproduce: each business's name,
// codes, place and cadre, and each cadre's name and phone.
func fingerprint(t *testing.T, d *db.DB) []string {
	t.Helper()
	var rows []struct {
		Name, CreditCode, Address, CadreName, WorkPhone string
		LicenceNo                                       *string
		Latitude, Longitude                             float64
	}
	err := d.Gorm(context.Background()).Raw(`
SELECT b.name, b.credit_code, b.licence_no, b.address, b.latitude, b.longitude, c.name AS cadre_name, c.work_phone
FROM businesses b JOIN assignments a ON a.active_business_id = b.id JOIN cadres c ON c.id = a.cadre_id
ORDER BY b.id`).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%s|%s|%v|%s|%.6f,%.6f|%s|%s", r.Name, r.CreditCode, deref(r.LicenceNo), r.Address, r.Latitude, r.Longitude, r.CadreName, r.WorkPhone)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestDeterministic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fresh := func() *db.DB {
			if d.Engine() == db.MySQL {
				return dbtest.OpenMySQL(t, registry.Schema)
			}
			return dbtest.OpenSQLite(t, registry.Schema)
		}
		again, other := fresh(), fresh()
		seed(t, d, demo.Options{Seed: 42})
		seed(t, again, demo.Options{Seed: 42})
		seed(t, other, demo.Options{Seed: 43})
		a, b, c := fingerprint(t, d), fingerprint(t, again), fingerprint(t, other)
		if len(a) != 2039 {
			t.Fatalf("%d assigned businesses, want 2039", len(a))
		}
		if i := firstDiff(a, b); i >= 0 {
			t.Fatalf("same seed, different data at %d:\n%s\n%s", i, a[i], b[i])
		}
		same := 0
		for i := range a {
			if a[i] == c[i] {
				same++
			}
		}
		if same > 0 {
			t.Fatalf("seeds 42 and 43 gave %d identical businesses", same)
		}
		t.Logf("e.g. %s", a[0])
	}, registry.Schema)
}

func firstDiff(a, b []string) int {
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	return -1
}

func TestCityScale(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		var last [2]int
		calls := 0
		sum := seed(t, d, demo.Options{Seed: 5, Scale: 2000, Progress: func(stage string, done, total int) {
			if stage != "register" || done < last[0] || total != 2000 {
				t.Errorf("progress %s %d/%d after %d", stage, done, total, last[0])
			}
			last = [2]int{done, total}
			calls++
		}})
		if last != [2]int{2000, 2000} || calls < 3 {
			t.Errorf("last progress %v after %d calls, want 2000/2000", last, calls)
		}
		r := load(t, d)
		if len(r.businesses) != 2000 || sum.Businesses != 2000 || sum.Assignments != 2000 {
			t.Fatalf("%d businesses (summary %+v), want 2000", len(r.businesses), sum)
		}
		byTown := 0
		for _, n := range sum.ByTown {
			byTown += n
		}
		if byTown != 2000 || len(sum.ByTown) < 3 {
			t.Fatalf("by town %v", sum.ByTown)
		}
		checkAssigned(t, d, r)
		checkCodes(t, r)
		packs := map[int64]int{}
		d4 := 0
		for _, b := range r.businesses {
			packs[r.current[b.ID][0].CadreID]++
			if b.Grade == registry.GradeD {
				d4++
			}
		}
		if share := float64(d4) / 2000; share < 0.92 || share > 0.98 {
			t.Errorf("D share %.3f, want about 0.95", share)
		}
		for _, c := range r.cadres {
			if n := packs[c.ID]; n < 1 || n > 20 {
				t.Errorf("%s cadre %s packs %d", c.Level, c.Name, n)
			}
		}
		if ratio := 2000.0 / float64(len(r.cadres)); ratio < 7 || ratio > 13 {
			t.Errorf("%.1f businesses per cadre, want about 10", ratio)
		}
		if len(r.offices) < sum.Regions/20 || len(r.managers) < 2*len(r.offices) {
			t.Errorf("%d offices with %d managers for %d regions", len(r.offices), len(r.managers), sum.Regions)
		}
	}, registry.Schema)
}

// BenchmarkSeed measures `seed --scale N`, the register alone: an op is
// seeding SHIANBAO_BENCH_SEED_SCALE businesses (default 2,000) into a
// fresh database, MySQL when configured (SQLite otherwise).
// docs/BENCHMARKS.md keeps the figures of a city's 100,000:
//
//	SHIANBAO_BENCH_SEED_SCALE=100000 SHIANBAO_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/' \
//	  go test -run '^$' -bench 'Seed$' -benchtime 1x -benchmem ./internal/demo
func BenchmarkSeed(b *testing.B) {
	scale := benchtest.Int(b, "SHIANBAO_BENCH_SEED_SCALE", 2000)
	b.Run(fmt.Sprintf("%s/businesses=%d", benchEngine(), scale), func(b *testing.B) {
		b.ReportAllocs()
		var peaks benchtest.Peaks
		var sum *demo.Summary
		for range b.N {
			b.StopTimer()
			d := dbtest.Open(b, registry.Schema)
			mem := benchtest.WatchMemory()
			b.StartTimer()
			var err error
			sum, err = demo.Seed(context.Background(), d, newRegistry(d), demo.Options{Seed: 1, Scale: scale, Clock: clock.NewFixed(now)})
			b.StopTimer()
			peaks.Add(mem)
			if err != nil {
				b.Fatal(err)
			}
			if sum.Businesses != scale || sum.Assignments != scale {
				b.Fatalf("summary %+v, want %d businesses each with its assignment", sum, scale)
			}
		}
		b.ReportMetric(float64(scale*b.N)/b.Elapsed().Seconds(), "businesses/s")
		b.ReportMetric(float64(sum.Cadres), "cadres")
		b.ReportMetric(float64(sum.Regions), "regions")
		peaks.Report(b)
	})
}

// benchEngine names the engine dbtest.Open gives.
func benchEngine() db.Engine {
	if os.Getenv(dbtest.EnvMySQLDSN) != "" {
		return db.MySQL
	}
	return db.SQLite
}
