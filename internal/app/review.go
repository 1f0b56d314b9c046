package app

import (
	"context"
	"time"

	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/review"
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
// at a time sweeps.
func (a *App) reviewWorker() worker {
	return worker{name: "review", interval: 5 * time.Second, tick: func(ctx context.Context) error {
		for {
			n, err := a.Review.Sweep(ctx, 200)
			if err != nil || n < 200 {
				return err
			}
		}
	}}
}

// RecomputeFlags computes every visit's flags again (after a change of
// thresholds) and returns how many visits it went over.
func (s *Services) RecomputeFlags(ctx context.Context) (int, error) { return s.Review.Recompute(ctx) }
