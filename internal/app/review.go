package app

import (
	"context"
	"time"

	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/demo"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/review"
	"github.com/shianbao/shianbao/internal/supervision"
)

// ReviewRules carries the review thresholds from the configuration.
func ReviewRules(c config.Review) review.Rules {
	return review.Rules{SimilarBits: c.SimilarBits, MaxKmh: c.MaxKmh, MinApart: c.MinApart,
		BurstPerHour: c.BurstPerHour, RequireLocation: c.RequireLocation, RequirePhoto: c.RequirePhoto,
		PhotoSkew: c.PhotoSkew, SampleRate: c.SampleRate, SampleMinPerCadre: c.SampleMinPerCadre}
}

func (s *Services) newReview() {
	s.Review = review.New(s.DB, s.KV, s.Media, s.Clock, ReviewRules(s.Config.Review), s.Log)
}

// reviewWorker computes the flags of new visits, and of visits whose
// photos arrived since, a few seconds after they are stored; one instance
// at a time sweeps. Once a quarter has closed it draws that quarter's
// re-check sample, once.
func (a *App) reviewWorker() worker {
	return worker{name: "review", interval: 5 * time.Second, tick: func(ctx context.Context) error {
		for {
			n, err := a.Review.Sweep(ctx, 200)
			if err != nil {
				return err
			}
			if n < 200 {
				break
			}
		}
		closed := supervision.CycleFor(a.Supervision.Rules().Period(registry.GradeD), a.Clock.Now()).Prev()
		_, err := a.Review.DrawClosed(ctx, closed.Key)
		return err
	}}
}

// RecomputeFlags computes every visit's flags again (after a change of
// thresholds) and returns how many visits it went over.
func (s *Services) RecomputeFlags(ctx context.Context) (int, error) { return s.Review.Recompute(ctx) }

// DrawReviewSample draws the re-check sample of a cycle (its key, e.g.
// "2026Q4"; "" is this quarter) and returns the cycle's name and how many
// visits it added. The draw is reproducible: the same visits give the
// same sample.
func (s *Services) DrawReviewSample(ctx context.Context, cycleKey string) (string, int, error) {
	c := supervision.CycleFor(s.Supervision.Rules().Period(registry.GradeD), s.Clock.Now())
	if cycleKey != "" {
		var ok bool
		if c, ok = supervision.CycleByKey(cycleKey); !ok {
			return "", 0, errs.E(errs.Invalid, "没有这个督导周期：%s（例如 2026Q4、2026H2、2026）", cycleKey)
		}
	}
	// Flags first, so the sample includes every flagged visit known now.
	for {
		n, err := s.Review.Sweep(ctx, 500)
		if err != nil {
			return "", 0, err
		}
		if n == 0 {
			break
		}
	}
	n, err := s.Review.Draw(ctx, c.Key)
	return c.Label, n, err
}

// seedDemoReview flags the demo's doubtful visits at once, draws this
// quarter's re-check sample and records the re-check's finding on the
// visit that reuses another business's photo: 不属实, by 胡埭镇's office,
// so the 异常与抽查 page has a judged sample on the first start.
func (s *Services) seedDemoReview(ctx context.Context, sum *demo.Summary) error {
	if sum.Doubted == 0 {
		return nil
	}
	if _, err := s.Review.SweepVisits(ctx, sum.Doubtful); err != nil {
		return err
	}
	c := supervision.CycleFor(s.Supervision.Rules().Period(registry.GradeD), s.Clock.Now())
	if _, err := s.Review.Draw(ctx, c.Key); err != nil {
		return err
	}
	return s.Review.Judge(ctx, s.Supervision, sum.Doubted, review.False, demoDoubtNote, registry.Actor("user:hudai"))
}

// demoDoubtNote is the demo reviewer's reason.
const demoDoubtNote = "照片与另一主体督导记录中的照片为同一张；电话核实，当天未到该店现场。"
