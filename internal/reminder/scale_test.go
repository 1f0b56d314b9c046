package reminder_test

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/configs"
	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/demo"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/reminder"
	"github.com/shianbao/shianbao/internal/supervision"
)

// TestPlannerScale measures the planner over a city: 100,000 businesses,
// ~10,000 cadres and ~1,000,000 past visits on MySQL, a week before the
// quarter ends, against a naive loop that asks about each business on its
// own. It is a measurement, not a check: the figures go to
// docs/BENCHMARKS.md.
//
//	SHIANBAO_BENCH_PLANNER=1 SHIANBAO_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/' \
//	  go test -run TestPlannerScale -v -timeout 30m ./internal/reminder
//
// SHIANBAO_BENCH_PLANNER_DSN names an already seeded database instead
// (`shianbao seed --scale 100000 --visits 1000000`), skipping the seeding.
func TestPlannerScale(t *testing.T) {
	if os.Getenv("SHIANBAO_BENCH_PLANNER") != "1" {
		t.Skip("set SHIANBAO_BENCH_PLANNER=1 (and a MySQL DSN) to measure the planner at city scale")
	}
	ctx := context.Background()
	at := weekBefore
	clk := clock.NewFixed(at)
	var d *db.DB
	if dsn := os.Getenv("SHIANBAO_BENCH_PLANNER_DSN"); dsn != "" {
		var err error
		if d, err = db.Open(ctx, db.Options{Driver: db.MySQL, DSN: dsn}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
	} else {
		if d = dbtest.OpenMySQL(t, schemas()...); d == nil {
			return
		}
		start := time.Now()
		sum, err := demo.Seed(ctx, d, registry.NewService(d, registry.Rules{}, clk),
			demo.Options{Seed: 1, Scale: 100_000, Visits: 1_000_000, Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seeded %d businesses, %d cadres in %s", sum.Businesses, sum.Cadres, time.Since(start).Round(time.Second))
	}
	reg := registry.NewService(d, registry.Rules{}, clk)
	data, err := configs.FS.ReadFile("checklists.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lists, err := supervision.LoadChecklists(data)
	if err != nil {
		t.Fatal(err)
	}
	sup := supervision.NewService(d, reg, lists, supervision.DefaultRules(), clk)
	store := kv.NewMemory()
	defer store.Close()
	accounts := account.NewService(d, store, reg, clk, []byte("reminder-bench-secret-0123456789"))
	p, err := reminder.NewPlanner(reminder.Deps{Supervision: sup, Registry: reg, Contacts: accounts, Links: links{},
		Groups: func(string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	var visits int64
	if err := d.Gorm(ctx).Table("visits").Count(&visits).Error; err != nil {
		t.Fatal(err)
	}

	// Peak memory of the planning alone: forget the seeding's.
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS(t)
	base := peakRSS(t)
	queries := statements(d)
	start := time.Now()
	ns, err := p.Notices(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	peak := peakRSS(t)
	cadres, listed := 0, 0
	for _, n := range ns {
		if n.Message.Kind == reminder.KindDue {
			cadres++
			listed += len(n.Businesses)
		}
	}
	t.Logf("planner: %d visits in the table; %d messages (%d cadre reminders listing %d businesses) in %s, %d queries; peak RSS %d MB (%d MB before planning)",
		visits, len(ns), cadres, listed, took.Round(time.Millisecond), queries.Load(), peak>>20, base>>20)

	// The naive way: one business at a time, asking whether it is covered
	// and who packs it, on an even sample, scaled up.
	var ids []int64
	if err := sup.States(ctx, at, func(s supervision.AssignmentState) error {
		ids = append(ids, s.BusinessID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	const sample = 2000
	step := max(1, len(ids)/sample)
	n := 0
	start = time.Now()
	for i := 0; i < len(ids); i += step {
		if _, _, err := sup.Covered(ctx, ids[i]); err != nil {
			t.Fatal(err)
		}
		if _, err := reg.CurrentAssignment(ctx, ids[i]); err != nil && !strings.Contains(err.Error(), "尚未分配") {
			t.Fatal(err)
		}
		n++
	}
	naive := time.Since(start)
	whole := time.Duration(float64(naive) / float64(n) * float64(len(ids)))
	t.Logf("naive loop: %d businesses in %s (%.2f ms each) → %s for all %d; planner is %.0f× faster",
		n, naive.Round(time.Millisecond), float64(naive.Microseconds())/1000/float64(n), whole.Round(time.Second), len(ids),
		float64(whole)/float64(took))
}

// peakRSS is the process's peak resident set (VmHWM) in bytes.
func peakRSS(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// resetPeakRSS starts VmHWM again from the current resident set (Linux 4.0+).
func resetPeakRSS(t *testing.T) {
	t.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Logf("cannot reset the peak RSS (%v): it includes the seeding", err)
	}
}
