package review_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/demo/demotest"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/review"
	"github.com/shianbao/shianbao/internal/supervision"
)

// seededAt is when the demo district of these tests was seeded.
var seededAt = time.Date(2026, 11, 20, 9, 0, 0, 0, clock.China)

var district = demotest.District("review", seededAt, registry.Schema, audit.Schema, supervision.Schema, review.Schema)

func TestJudgeTakesAVisitOffCoverageAndBack(t *testing.T) {
	d := district.Open(t)
	ctx := t.Context()
	clk := clock.NewFixed(seededAt)
	reg := registry.NewService(d, registry.Rules{}, clk)
	sup := supervision.NewService(d, reg, nil, supervision.DefaultRules(), clk)
	svc := review.New(d, kv.NewMemory(), nil, clk, review.DefaultRules(), nil)

	// A business covered this cycle by exactly one visit.
	var pick []struct{ BusinessID, VisitID int64 }
	if err := d.Gorm(ctx).Raw(`SELECT v.business_id, MIN(v.id) AS visit_id FROM visits v
		WHERE v.is_current = ? AND v.submitted_at >= ? GROUP BY v.business_id HAVING COUNT(*) = 1 ORDER BY v.business_id LIMIT 1`,
		true, time.Date(2026, 10, 1, 0, 0, 0, 0, clock.China).UTC()).Scan(&pick).Error; err != nil || len(pick) == 0 {
		t.Fatalf("a business visited once this quarter: %v", err)
	}
	biz, visit := pick[0].BusinessID, pick[0].VisitID
	covered := func() bool {
		t.Helper()
		ok, _, err := sup.Covered(ctx, biz)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !covered() {
		t.Skip("the demo's visit does not count for its grade this cycle")
	}
	reviewer := registry.Actor("user:hudai")
	if err := svc.Judge(ctx, sup, visit, review.False, "", reviewer); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("不属实 without a reason: %v, want Invalid", err)
	}
	if err := svc.Judge(ctx, sup, visit, review.False, "照片为网络图片", reviewer); err != nil {
		t.Fatal(err)
	}
	if covered() {
		t.Error("a visit judged 不属实 still covers its business")
	}
	j, ok, err := svc.JudgementOf(ctx, visit)
	if err != nil || !ok || j.Outcome != review.False || j.Note != "照片为网络图片" {
		t.Errorf("JudgementOf = %+v, %v, %v", j, ok, err)
	}
	if err := svc.Judge(ctx, sup, visit, review.Confirmed, "复核后确认", reviewer); err != nil {
		t.Fatal(err)
	}
	if !covered() {
		t.Error("a visit judged 属实 after 不属实 does not cover its business again")
	}
	var actions []string
	if err := d.Gorm(ctx).Raw(`SELECT action FROM audit_log WHERE action IN ('visit.uncount', 'visit.count') ORDER BY id`).
		Scan(&actions).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(actions, []string{"visit.uncount", "visit.count"}) {
		t.Errorf("audited %v", actions)
	}
	if err := svc.Judge(ctx, sup, 999999999, review.Confirmed, "", reviewer); errs.KindOf(err) != errs.NotFound {
		t.Errorf("judging an unknown visit: %v, want NotFound", err)
	}
}

func TestDrawIsReproducible(t *testing.T) {
	d := district.Open(t)
	ctx := t.Context()
	clk := clock.NewFixed(seededAt)
	var cycle string
	if err := d.Gorm(ctx).Raw(`SELECT cycle_key FROM visits GROUP BY cycle_key ORDER BY COUNT(*) DESC LIMIT 1`).Scan(&cycle).Error; err != nil || cycle == "" {
		t.Fatalf("a cycle with visits: %v", err)
	}
	var cadres, visits int
	d.Gorm(ctx).Raw(`SELECT COUNT(DISTINCT cadre_id), COUNT(*) FROM visits WHERE cycle_key = ? AND is_current = ?`, cycle, true).Row().Scan(&cadres, &visits)

	drawn := func() []int64 {
		var ids []int64
		d.Gorm(ctx).Raw(`SELECT visit_id FROM review_samples WHERE cycle_key = ? ORDER BY visit_id`, cycle).Scan(&ids)
		return ids
	}
	svc := review.New(d, kv.NewMemory(), nil, clk, review.DefaultRules(), nil)
	n, err := svc.Draw(ctx, cycle)
	if err != nil {
		t.Fatal(err)
	}
	first := drawn()
	if n != len(first) || n < cadres || n >= visits {
		t.Fatalf("drew %d of %d visits by %d cadres: want at least one per cadre and far from all", n, visits, cadres)
	}
	// Drawing again adds nothing; drawing afresh draws the same visits.
	if n, err := svc.Draw(ctx, cycle); err != nil || n != 0 {
		t.Errorf("a second draw added %d, %v", n, err)
	}
	d.Gorm(ctx).Exec(`DELETE FROM review_samples`)
	if _, err := review.New(d, kv.NewMemory(), nil, clk, review.DefaultRules(), nil).Draw(ctx, cycle); err != nil {
		t.Fatal(err)
	}
	if again := drawn(); !slices.Equal(again, first) {
		t.Errorf("a fresh draw of %s picked other visits:\n%v\n%v", cycle, first, again)
	}
	// A flagged visit is always drawn.
	var unsampled int64
	d.Gorm(ctx).Raw(`SELECT MIN(id) FROM visits WHERE cycle_key = ? AND id NOT IN (SELECT visit_id FROM review_samples)`, cycle).Scan(&unsampled)
	d.Gorm(ctx).Exec(`INSERT INTO visit_flags (visit_id, kind, other_visit_id, detail, created_at) VALUES (?, 'burst', 0, '同一干部一小时内现场督导9次', ?)`, unsampled, seededAt)
	if n, err := svc.Draw(ctx, cycle); err != nil || n != 1 {
		t.Errorf("after a flag the draw added %d, %v; want the flagged visit", n, err)
	}
	var reason string
	d.Gorm(ctx).Raw(`SELECT reason FROM review_samples WHERE visit_id = ?`, unsampled).Scan(&reason)
	if reason != review.SampledFlagged {
		t.Errorf("the flagged visit was drawn as %q", reason)
	}
}

func TestOutcomeWords(t *testing.T) {
	for _, o := range review.Outcomes {
		if got, ok := review.ParseOutcome(o.Label()); !ok || got != o {
			t.Errorf("ParseOutcome(%s) = %s, %v", o.Label(), got, ok)
		}
		if strings.ContainsAny(o.Label(), "abcdefghijklmnopqrstuvwxyz") {
			t.Errorf("%s's label is not Chinese: %s", o, o.Label())
		}
	}
	if _, ok := review.ParseOutcome("maybe"); ok {
		t.Error("ParseOutcome accepted maybe")
	}
}
