package app

import (
	"context"
	"time"

	"github.com/shianbao/shianbao/internal/selfcheck"
)

// newSelfCheck builds the business's own records (日管控/周排查/月调度)
// with the shipped risk list; it needs the letters, so it comes after them.
func (s *Services) newSelfCheck() error {
	svc, err := selfcheck.NewService(selfcheck.Deps{
		DB: s.DB, Registry: s.Registry, Accounts: s.Accounts, Visits: s.Supervision, Letters: s.Letters,
		Links: s.links, KV: s.KV, Outbox: s.Notify, Clock: s.Clock, LinkTTL: s.Config.Letter.LinkTTL,
	})
	if err != nil {
		return err
	}
	s.SelfCheck = svc
	return nil
}

// selfCheckWorkers are the self-check's background work: the daily
// reminders at each business's own time (the planner's once-a-day run
// cannot reach 16:00), and the photos sent with records.
func (a *App) selfCheckWorkers() []worker {
	return []worker{{
		name:     "selfcheck-reminders",
		interval: time.Minute,
		tick: func(ctx context.Context) error {
			_, err := a.SelfCheck.RemindTick(ctx)
			return err
		},
	}, {
		name:     "selfcheck-photos",
		interval: 5 * time.Second,
		tick: func(ctx context.Context) error {
			for range 50 {
				stored, failed, err := a.SelfCheck.FetchPhotos(ctx, a.WeChat, a.Media, 20)
				a.Metrics.PhotoFetches("selfcheck", stored, failed)
				if err != nil || stored+failed == 0 {
					return err
				}
			}
			return nil
		},
	}}
}
