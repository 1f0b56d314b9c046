package reminder_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/benchtest"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/demo"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/reminder"
	"github.com/shianbao/shianbao/internal/supervision"
)

// BenchmarkPlanner measures planning a day's reminders a week before the
// quarter ends, and compares it with a naive loop that asks about each
// business on its own. By default it plans over the demo district (about
// 2,000 businesses; MySQL when configured). At city scale it plans over
//
//   - SHIANBAO_BENCH_PLANNER_DSN, a MySQL database seeded beforehand with
//     `shianbao seed --scale 100000 --visits 1000000`, or
//   - SHIANBAO_BENCH_PLANNER_SCALE businesses (with SHIANBAO_BENCH_VISITS,
//     default ten per business) seeded into a fresh database first.
//
// -benchtime 1x times one cold plan, as the reminder scheduler makes it:
//
//	SHIANBAO_BENCH_PLANNER_SCALE=100000 SHIANBAO_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/' \
//	  go test -run '^$' -bench Planner -benchtime 1x -timeout 30m ./internal/reminder
func BenchmarkPlanner(b *testing.B) {
	ctx := context.Background()
	d := plannerDB(b)
	w := newDistrict(b, d)
	var visits int64
	if err := d.Gorm(ctx).Table("visits").Count(&visits).Error; err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d visits in the table", d.Engine(), visits)

	queries := statements(d)
	mem := benchtest.WatchMemory()
	var ns []reminder.Notice
	for b.Loop() {
		var err error
		if ns, err = w.planner.Notices(ctx, weekBefore); err != nil {
			b.Fatal(err)
		}
	}
	mem.Report(b)
	took := b.Elapsed() / time.Duration(b.N)
	cadres, listed := 0, 0
	for _, n := range ns {
		if n.Message.Kind == reminder.KindDue {
			cadres++
			listed += len(n.Businesses)
		}
	}
	if cadres == 0 || listed == 0 {
		b.Fatalf("%d messages, none reminding a cadre of a business due", len(ns))
	}
	b.ReportMetric(float64(queries.Load())/float64(b.N), "queries/op")
	b.ReportMetric(float64(len(ns)), "messages")
	b.ReportMetric(float64(cadres), "cadre-reminders")
	b.ReportMetric(float64(listed), "businesses-listed")

	// The naive way: one business at a time, asking whether it is covered
	// and who packs it, on an even sample, scaled up.
	var ids []int64
	if err := w.sup.States(ctx, weekBefore, func(s supervision.AssignmentState) error {
		ids = append(ids, s.BusinessID)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	const sample = 2000
	step := max(1, len(ids)/sample)
	n := 0
	start := time.Now()
	for i := 0; i < len(ids); i += step {
		if _, _, err := w.sup.Covered(ctx, ids[i]); err != nil {
			b.Fatal(err)
		}
		if _, err := w.reg.CurrentAssignment(ctx, ids[i]); err != nil && !strings.Contains(err.Error(), "尚未分配") {
			b.Fatal(err)
		}
		n++
	}
	each := time.Since(start) / time.Duration(n)
	whole := each * time.Duration(len(ids))
	b.ReportMetric(float64(each.Microseconds())/1000, "naive-ms/business")
	b.ReportMetric(whole.Seconds(), "naive-s")
	b.ReportMetric(float64(whole)/float64(took), "x-faster-than-naive")
}

// plannerDB is the database BenchmarkPlanner plans over (see there).
func plannerDB(b *testing.B) *db.DB {
	b.Helper()
	ctx := context.Background()
	if dsn := os.Getenv("SHIANBAO_BENCH_PLANNER_DSN"); dsn != "" {
		d, err := db.Open(ctx, db.Options{Driver: db.MySQL, DSN: dsn})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { d.Close() })
		return d
	}
	scale := benchtest.Int(b, "SHIANBAO_BENCH_PLANNER_SCALE", 0)
	if scale == 0 {
		return demoDistrict.Open(b)
	}
	d := dbtest.Open(b, schemas()...)
	clk := clock.NewFixed(weekBefore)
	start := time.Now()
	sum, err := demo.Seed(ctx, d, registry.NewService(d, registry.Rules{}, clk),
		demo.Options{Seed: 1, Scale: scale, Visits: benchtest.Int(b, "SHIANBAO_BENCH_VISITS", 10*scale), Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d businesses, %d cadres in %s", sum.Businesses, sum.Cadres, time.Since(start).Round(time.Second))
	return d
}
