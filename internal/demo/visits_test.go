package demo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/benchtest"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/demo"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

func supervisionOf(t testing.TB, d *db.DB) *supervision.Service {
	t.Helper()
	lists, err := supervision.DefaultChecklists()
	if err != nil {
		t.Fatal(err)
	}
	return supervision.NewService(d, newRegistry(d), lists, supervision.DefaultRules(), clock.NewFixed(now))
}

// readerOf is the read side over d, counting coverage by svc's rules at now.
func readerOf(svc *supervision.Service, d *db.DB) *query.Reader {
	return query.New(d).WithRules(svc.ReadRules(), clock.NewFixed(now))
}

func TestSeedVisits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		seed(t, d, demo.Options{Seed: 20261128})
		svc := supervisionOf(t, d)
		rd := readerOf(svc, d)
		q := d.Gorm(ctx)
		var towns []registry.Region
		if err := q.Where("level = ?", registry.LevelTown).Order("id").Find(&towns).Error; err != nil {
			t.Fatal(err)
		}
		var total, visits, current int64
		q.Table("businesses").Where("status = ?", registry.StatusOperating).Count(&total)
		q.Table("visits").Count(&visits)
		q.Table("visits").Where("is_current = ?", true).Count(&current)
		t.Logf("%s: %d visits (%d current) for %d operating businesses", d.Engine(), visits, current, total)

		t.Run("Progress", func(t *testing.T) {
			for _, town := range towns {
				p, err := rd.Progress(ctx, town.Path)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s %s: %d/%d covered (%.1f %%)", town.Name, p.Cycle, p.Total.Covered, p.Total.Due, p.Total.Percent)
				if p.Total.Percent < 25 || p.Total.Percent > 55 {
					t.Errorf("%s: %.1f %% covered", town.Name, p.Total.Percent)
				}
				lo, hi := 100.0, 0.0
				for _, v := range p.ByVillage {
					lo, hi = min(lo, v.Percent), max(hi, v.Percent)
				}
				if hi-lo < 10 {
					t.Errorf("%s: villages between %.1f and %.1f %%: too even", town.Name, lo, hi)
				}
			}
		})
		t.Run("Overdue", func(t *testing.T) {
			n := 0
			for _, town := range towns {
				items, err := rd.Overdue(ctx, town.Path)
				if err != nil {
					t.Fatal(err)
				}
				n += len(items)
				for _, it := range items {
					if it.CadreName == "" || it.DaysOverdue < 1 {
						t.Fatalf("overdue %+v", it)
					}
				}
			}
			if share := float64(n) / float64(total); share < 0.02 || share > 0.07 {
				t.Errorf("%d overdue of %d", n, total)
			}
		})
		t.Run("Rectifications", func(t *testing.T) {
			today := clock.Date(now).UTC()
			var open, late, done, extended int64
			q.Table("rectifications").Where("status = ?", supervision.StatusOpen).Count(&open)
			q.Table("rectifications").Where("status = ? AND deadline < ?", supervision.StatusOpen, today).Count(&late)
			q.Table("rectifications").Where("status = ?", supervision.StatusRectified).Count(&done)
			q.Table("rectification_events").Where("kind = ?", supervision.EventExtended).Count(&extended)
			t.Logf("rectifications: %d open (%d past deadline), %d rectified, %d extended", open, late, done, extended)
			if open == 0 || late == 0 || done == 0 || extended == 0 || late >= open {
				t.Fatal("want open rectifications, some past deadline, rectified and extended ones")
			}
			var c registry.Cadre
			if err := q.Raw(`SELECT c.* FROM cadres c JOIN assignments a ON a.cadre_id = c.id
				JOIN rectifications r ON r.business_id = a.active_business_id WHERE r.status = ? ORDER BY c.id LIMIT 1`, supervision.StatusOpen).Scan(&c).Error; err != nil {
				t.Fatal(err)
			}
			if rs, err := svc.OpenRectifications(ctx, c.ID); err != nil || len(rs) == 0 {
				t.Fatalf("open rectifications of %s: %v %v", c.Name, rs, err)
			}
		})
		t.Run("Consistent", func(t *testing.T) {
			var bad int64
			checks := map[string]string{
				"future":          "SELECT COUNT(*) FROM visits WHERE submitted_at > ? OR created_at > ?",
				"before register": "SELECT COUNT(*) FROM visits v JOIN businesses b ON b.id = v.business_id WHERE v.submitted_at < b.created_at AND ? = ?",
				"not assigned":    "SELECT COUNT(*) FROM visits v LEFT JOIN assignments a ON a.active_business_id = v.business_id AND a.cadre_id = v.cadre_id WHERE a.id IS NULL AND ? = ?",
				"no items":        "SELECT COUNT(*) FROM visits v WHERE NOT EXISTS (SELECT 1 FROM visit_items i WHERE i.visit_id = v.id) AND ? = ?",
				"issue without finding": `SELECT COUNT(*) FROM visit_items i WHERE i.result = 'issue' AND NOT EXISTS
					(SELECT 1 FROM findings f WHERE f.visit_id = i.visit_id AND f.item_id = i.item_id) AND ? = ?`,
				"finding without rectification": "SELECT COUNT(*) FROM findings f LEFT JOIN rectifications r ON r.finding_id = f.id WHERE r.id IS NULL AND ? = ?",
				"event in future":               "SELECT COUNT(*) FROM rectification_events WHERE created_at > ? AND ? = ?",
				"superseded without revision": `SELECT COUNT(*) FROM visits v WHERE v.is_current = FALSE AND NOT EXISTS
					(SELECT 1 FROM visits r WHERE r.supersedes_id = v.id AND r.is_current = TRUE AND r.revision = 2) AND ? = ?`,
				"cycle key": "SELECT COUNT(*) FROM visits WHERE cycle_key = '' AND ? = ?",
			}
			for name, sql := range checks {
				args := []any{now.UTC(), now.UTC()}
				if name == "event in future" {
					args = []any{now.UTC(), 1, 1}
				}
				if err := q.Raw(sql, args...).Scan(&bad).Error; err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if bad != 0 {
					t.Errorf("%s: %d rows", name, bad)
				}
			}
			var revisions int64
			q.Table("visits").Where("revision = 2").Count(&revisions)
			if revisions == 0 {
				t.Error("no corrected visits")
			}
		})
		t.Run("LooksReal", func(t *testing.T) {
			// Visits and follow-ups happen in office hours on working days.
			var visits []supervision.Visit
			if err := q.Select("id, mode, submitted_at").Find(&visits).Error; err != nil {
				t.Fatal(err)
			}
			for _, v := range visits {
				at := v.SubmittedAt.In(clock.China)
				hm := at.Hour()*60 + at.Minute()
				if wd := at.Weekday(); wd == time.Saturday || wd == time.Sunday || hm < 8*60+30 || hm >= 17*60+30 || (hm >= 12*60 && hm < 13*60+30) {
					t.Fatalf("visit %d at %s (%s)", v.ID, at.Format("2006-01-02 15:04"), at.Weekday())
				}
				// The modes a cadre picks in chat: no 集中汇报.
				if v.Mode == supervision.ModeReport {
					t.Fatalf("visit %d in mode %s", v.ID, v.Mode.Label())
				}
			}
			var events []supervision.RectificationEvent
			if err := q.Order("rectification_id, id").Find(&events).Error; err != nil {
				t.Fatal(err)
			}
			loops := 0
			for i, e := range events {
				at := e.CreatedAt.In(clock.China)
				if wd := at.Weekday(); wd == time.Saturday || wd == time.Sunday {
					t.Errorf("%s of rectification %d on a %s", e.Kind, e.RectificationID, wd)
				}
				// A full loop: the business's feedback, then the cadre's 复查.
				if e.Kind == supervision.EventFeedback && i+1 < len(events) && events[i+1].RectificationID == e.RectificationID &&
					events[i+1].Kind == supervision.EventRectified && events[i+1].CreatedAt.After(e.CreatedAt) {
					loops++
				}
			}
			t.Logf("%d visits in office hours, %d rectifications with the whole loop", len(visits), loops)
			if loops < 5 {
				t.Errorf("%d rectifications with feedback then 复查, want a handful", loops)
			}
		})
		t.Run("Tasks", func(t *testing.T) {
			var c registry.Cadre
			q.Where("level = ?", registry.CadreVillage).Order("id").First(&c)
			tasks, err := svc.Tasks(ctx, c.ID)
			if err != nil || len(tasks) == 0 {
				t.Fatalf("tasks %v %v", tasks, err)
			}
		})
	}, registry.Schema, audit.Schema, supervision.Schema)
}

// TestSeedVisitsDeterministic: the same seed gives the same history (on
// a small city, to stay quick).
func TestSeedVisitsDeterministic(t *testing.T) {
	digest := func(seedNo int64) string {
		d := dbtest.OpenSQLite(t, registry.Schema, audit.Schema, supervision.Schema)
		seed(t, d, demo.Options{Seed: seedNo, Scale: 400})
		var rows []struct {
			BusinessID  int64
			SubmittedAt time.Time
			Mode        string
			ContactName string
			DistanceM   *float64
			Items       int
			Findings    int
		}
		d.Gorm(context.Background()).Raw(`SELECT v.business_id, v.submitted_at, v.mode, v.contact_name, v.distance_m,
			(SELECT COUNT(*) FROM visit_items i WHERE i.visit_id = v.id) AS items,
			(SELECT COUNT(*) FROM findings f WHERE f.visit_id = v.id) AS findings
			FROM visits v ORDER BY v.id`).Scan(&rows)
		h := sha256.New()
		for _, r := range rows {
			dist := -1.0
			if r.DistanceM != nil {
				dist = *r.DistanceM
			}
			fmt.Fprintf(h, "%d %s %s %s %.0f %d %d\n", r.BusinessID, r.SubmittedAt.UTC().Format(time.RFC3339Nano), r.Mode, r.ContactName, dist, r.Items, r.Findings)
		}
		return fmt.Sprintf("%d:%s", len(rows), hex.EncodeToString(h.Sum(nil))[:16])
	}
	a, b, c := digest(42), digest(42), digest(43)
	if a != b || a == c {
		t.Fatalf("seed 42: %s and %s; seed 43: %s", a, b, c)
	}
}

// BenchmarkSeedVisits measures `seed --scale N` with the supervision
// history: an op is seeding SHIANBAO_BENCH_SEED_SCALE businesses (default
// 2,000) and their visits (SHIANBAO_BENCH_VISITS of them when set, as
// `seed --visits`) into a fresh database, MySQL when configured (SQLite
// otherwise); visits/s is the rate of the visits step alone.
// docs/BENCHMARKS.md keeps the figures of a city:
//
//	SHIANBAO_BENCH_SEED_SCALE=100000 [SHIANBAO_BENCH_VISITS=1000000] SHIANBAO_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/' \
//	  go test -run '^$' -bench SeedVisits -benchtime 1x -timeout 30m ./internal/demo
func BenchmarkSeedVisits(b *testing.B) {
	scale := benchtest.Int(b, "SHIANBAO_BENCH_SEED_SCALE", 2000)
	want := benchtest.Int(b, "SHIANBAO_BENCH_VISITS", 0)
	ctx := context.Background()
	b.Run(fmt.Sprintf("%s/businesses=%d", benchEngine(), scale), func(b *testing.B) {
		var visitsTook time.Duration
		var visits, items, findings int64
		for range b.N {
			b.StopTimer()
			d := dbtest.Open(b, registry.Schema, audit.Schema, supervision.Schema)
			var visitsFrom time.Time
			b.StartTimer()
			sum, err := demo.Seed(ctx, d, newRegistry(d), demo.Options{Seed: 1, Scale: scale, Visits: want, Clock: clock.NewFixed(now),
				Progress: func(stage string, done, total int) {
					if stage == "visits" && visitsFrom.IsZero() {
						visitsFrom = time.Now()
					}
				}})
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if visitsFrom.IsZero() {
				b.Fatal("the seeding had no visits step")
			}
			visitsTook += time.Since(visitsFrom)
			q := d.Gorm(ctx)
			q.Table("visits").Count(&visits)
			q.Table("visit_items").Count(&items)
			q.Table("findings").Count(&findings)
			if sum.Businesses != scale || visits < int64(scale) || items < visits || int64(want) > visits*11/10 {
				b.Fatalf("%d businesses, %d visits, %d items (asked for %d visits)", sum.Businesses, visits, items, want)
			}
		}
		b.ReportMetric(float64(visits)*float64(b.N)/visitsTook.Seconds(), "visits/s")
		b.ReportMetric(float64(visits), "visits")
		b.ReportMetric(float64(items), "items")
		b.ReportMetric(float64(findings), "findings")
	})
}

// BenchmarkVisitQueries measures what the chat's questions cost over a
// seeded history (SHIANBAO_BENCH_SEED_SCALE businesses, default 2,000, and
// SHIANBAO_BENCH_VISITS visits when set; MySQL when configured), seeded
// once before the clock starts:
//
//	SHIANBAO_BENCH_SEED_SCALE=100000 SHIANBAO_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/' \
//	  go test -run '^$' -bench VisitQueries -timeout 30m ./internal/demo
func BenchmarkVisitQueries(b *testing.B) {
	scale := benchtest.Int(b, "SHIANBAO_BENCH_SEED_SCALE", 2000)
	ctx := context.Background()
	d := dbtest.Open(b, registry.Schema, audit.Schema, supervision.Schema)
	if _, err := demo.Seed(ctx, d, newRegistry(d), demo.Options{Seed: 1, Scale: scale,
		Visits: benchtest.Int(b, "SHIANBAO_BENCH_VISITS", 0), Clock: clock.NewFixed(now)}); err != nil {
		b.Fatal(err)
	}
	svc := supervisionOf(b, d)
	rd := readerOf(svc, d)
	q := d.Gorm(ctx)
	var city, town registry.Region
	q.Where("level = ?", registry.LevelCity).First(&city)
	q.Where("level = ?", registry.LevelTown).Order("id").First(&town)
	var cadre int64
	q.Raw("SELECT cadre_id FROM assignments WHERE active_business_id IS NOT NULL ORDER BY id LIMIT 1").Scan(&cadre)
	if city.ID == 0 || town.ID == 0 || cadre == 0 {
		b.Fatalf("city %d, town %d, cadre %d: the seeded register lacks one", city.ID, town.ID, cadre)
	}
	for _, m := range []struct {
		name string
		run  func() (int, error)
	}{
		{"Progress(city)", func() (int, error) { p, err := rd.Progress(ctx, city.Path); return p.Total.Due, err }},
		{"Progress(town)", func() (int, error) { p, err := rd.Progress(ctx, town.Path); return p.Total.Due, err }},
		{"Overdue(city)", func() (int, error) { o, err := rd.Overdue(ctx, city.Path); return len(o), err }},
		{"Overdue(town)", func() (int, error) { o, err := rd.Overdue(ctx, town.Path); return len(o), err }},
		{"Tasks(cadre)", func() (int, error) { ts, err := svc.Tasks(ctx, cadre); return len(ts), err }},
		{"RecentVisits(cadre)", func() (int, error) { vs, err := svc.RecentVisits(ctx, cadre, 10); return len(vs), err }},
		{"OpenRectifications(cadre)", func() (int, error) { rs, err := svc.OpenRectifications(ctx, cadre); return len(rs), err }},
	} {
		b.Run(fmt.Sprintf("%s/businesses=%d/%s", d.Engine(), scale, m.name), func(b *testing.B) {
			var n int
			for b.Loop() {
				var err error
				if n, err = m.run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "rows")
		})
	}
}
