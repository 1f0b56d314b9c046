package review_test

import (
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/review"
)

// TestDrawClosedOnce: the worker's draw of a closed quarter happens once,
// whatever comes in later, and waits for no other instance's sweep.
func TestDrawClosedOnce(t *testing.T) {
	d := district.Open(t)
	ctx := t.Context()
	clk := clock.NewFixed(seededAt)
	var cycle string
	if err := d.Gorm(ctx).Raw(`SELECT cycle_key FROM visits GROUP BY cycle_key ORDER BY COUNT(*) DESC LIMIT 1`).Scan(&cycle).Error; err != nil || cycle == "" {
		t.Fatalf("a cycle with visits: %v", err)
	}
	store := kv.NewMemory()
	svc := review.New(d, store, nil, clk, review.DefaultRules(), nil)

	lock, err := kv.TryLock(ctx, store, "review:sweep", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.DrawClosed(ctx, cycle); err != nil || n != 0 {
		t.Errorf("a draw while another instance sweeps drew %d, %v", n, err)
	}
	lock.Release(ctx)
	n, err := svc.DrawClosed(ctx, cycle)
	if err != nil || n == 0 {
		t.Fatalf("the closed cycle's draw drew %d, %v", n, err)
	}
	var unsampled int64
	d.Gorm(ctx).Raw(`SELECT MIN(id) FROM visits WHERE cycle_key = ? AND id NOT IN (SELECT visit_id FROM review_samples)`, cycle).Scan(&unsampled)
	d.Gorm(ctx).Exec(`INSERT INTO visit_flags (visit_id, kind, other_visit_id, detail, created_at) VALUES (?, 'burst', 0, '同一干部一小时内现场督导9次', ?)`, unsampled, seededAt)
	if n, err := svc.DrawClosed(ctx, cycle); err != nil || n != 0 {
		t.Errorf("a second closed draw drew %d, %v; a cycle is drawn once", n, err)
	}
}
