package app_test

import (
	"context"
	"io"
	"testing"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/review"
)

// TestDemoHasSomethingToReview: on the first start the demo district holds
// a visit of each kind a reviewer should look at, flagged already, this
// quarter's sample, and one visit judged 不属实 that no longer counts.
func TestDemoHasSomethingToReview(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, err := app.New(ctx, apptest.Config(t), app.Options{LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	g := a.DB.Gorm(ctx)
	var kinds []string
	if err := g.Raw("SELECT DISTINCT kind FROM visit_flags").Scan(&kinds).Error; err != nil {
		t.Fatal(err)
	}
	for _, k := range []review.Kind{review.DuplicatePhoto, review.SimilarPhoto, review.FarFromSite, review.ImpossibleTravel, review.Burst} {
		found := false
		for _, have := range kinds {
			found = found || have == string(k)
		}
		if !found {
			t.Errorf("the demo has no %s (%s) visit; flagged kinds: %v", k.Label(), k, kinds)
		}
	}
	var judged []struct {
		VisitID int64
		Counted bool
	}
	if err := g.Raw(`SELECT r.visit_id, v.counted FROM visit_reviews r JOIN visits v ON v.id = r.visit_id WHERE r.outcome = ?`,
		string(review.False)).Scan(&judged).Error; err != nil {
		t.Fatal(err)
	}
	if len(judged) != 1 || judged[0].Counted {
		t.Fatalf("judged 不属实: %+v, want one visit that does not count", judged)
	}
	var sampled []string
	if err := g.Raw("SELECT reason FROM review_samples WHERE visit_id = ?", judged[0].VisitID).Scan(&sampled).Error; err != nil {
		t.Fatal(err)
	}
	if len(sampled) != 1 || sampled[0] != review.SampledFlagged {
		t.Errorf("the judged visit's sample: %v, want drawn for its flags", sampled)
	}
	var random int64
	if err := g.Raw("SELECT COUNT(*) FROM review_samples WHERE reason = ?", review.SampledAtRandom).Scan(&random).Error; err != nil || random == 0 {
		t.Errorf("no visit drawn at random: %d, %v", random, err)
	}
}
