package app

import (
	"context"
	"sync"
	"time"

	"github.com/shianbao/shianbao/internal/web/console"
)

// worker is background work the app runs while it serves: fetching photo
// evidence now, reminders and pushes later. Each tick must be safe with
// several instances running (leases and locks in the database or kv).
type worker struct {
	name     string
	interval time.Duration
	tick     func(ctx context.Context) error
}

// workers runs the app's background work until stopped.
type workers struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (a *App) startWorkers(list []worker) {
	ctx, cancel := context.WithCancel(context.Background())
	a.bg = &workers{cancel: cancel}
	for _, w := range list {
		a.bg.wg.Add(1)
		go func(w worker) {
			defer a.bg.wg.Done()
			t := time.NewTicker(w.interval)
			defer t.Stop()
			for {
				if err := w.tick(ctx); err != nil && ctx.Err() == nil {
					a.Log.Warn("background work failed", "worker", w.name, "err", err.Error())
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}(w)
	}
}

// stopWorkers cancels the background work and waits for it, up to the
// deadline of ctx.
func (a *App) stopWorkers(ctx context.Context) {
	if a.bg == nil {
		return
	}
	a.bg.cancel()
	done := make(chan struct{})
	go func() { a.bg.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		a.Log.Warn("background work did not stop in time")
	}
}

// dashboardEvery is how often the whole register's figures are worked out
// again: a province's take tens of seconds of database time.
const dashboardEvery = 5 * time.Minute

// KeepDashboardFigures works the whole register's figures out again
// unless they are younger than dashboardEvery, keeping them in kv when
// they took at least slow (see console.Dashboard.KeepFigures).
func (a *App) KeepDashboardFigures(ctx context.Context, slow time.Duration) error {
	if a.dashboard == nil {
		return nil
	}
	return a.dashboard.KeepFigures(ctx, dashboardEvery, slow)
}

// workerList is the background work of this app.
func (a *App) workerList() []worker {
	list := a.baseWorkers()
	if a.FakeAPI != nil {
		list = append(list, a.simulatorMenus())
	}
	return list
}

// simulatorMenus pushes the menus to the simulator's fake API once it
// answers (its state lives in memory, so at every start), as an operator
// runs `shianbao menu` on the platform, and re-tags the bound users.
func (a *App) simulatorMenus() worker {
	var pushed bool
	return worker{name: "simulator-menus", interval: 5 * time.Second, tick: func(ctx context.Context) error {
		if pushed {
			return nil
		}
		menus, err := LoadMenus("")
		if err != nil {
			return err
		}
		if _, err := a.PushMenus(ctx, menus); err != nil {
			return err
		}
		pushed = true
		return nil
	}}
}

func (a *App) baseWorkers() []worker {
	return []worker{a.cardWorker(), a.reviewWorker(), {
		// The administrator's home page reads the whole register's
		// figures from kv; one instance at a time works them out again.
		name:     "dashboard-figures",
		interval: dashboardEvery,
		tick: func(ctx context.Context) error {
			return a.KeepDashboardFigures(ctx, console.DashboardSlow)
		},
	}, {
		// The scheduler runs its own cron until the app stops; only the
		// instance holding the leader lock plans.
		name:     "reminders",
		interval: time.Minute,
		tick:     a.Reminders.Run,
	}, {
		// Run keeps its own loops going until the app stops.
		name:     "notify",
		interval: time.Second,
		tick:     a.Notify.Run,
	}, {
		// Finished notifications older than the retention go, up to
		// 100,000 an hour (a city's daily reminders are fewer).
		name:     "outbox-prune",
		interval: time.Hour,
		tick: func(ctx context.Context) error {
			if a.Config.Notify.Retention <= 0 {
				return nil
			}
			n, err := a.Notify.Prune(ctx, a.Config.Notify.Retention, 100_000)
			if n > 0 {
				a.Log.Info("outbox pruned", "rows", n, "retention", a.Config.Notify.Retention.String())
			}
			return err
		},
	}, {
		// Binding and unbinding move the user's menu tag (menus by role).
		name:     "menu-tags",
		interval: 2 * time.Second,
		tick: func(ctx context.Context) error {
			for range 20 {
				n, err := a.SyncMenuTags(ctx, 50)
				if err != nil || n == 0 {
					return err
				}
			}
			return nil
		},
	}, {
		name:     "photos",
		interval: 3 * time.Second,
		tick: func(ctx context.Context) error {
			// Photo evidence is fetched after the report is stored, so a slow or
			// failing media download never blocks a cadre. A tick drains the
			// backlog in batches rather than waiting a tick per batch.
			for range 50 {
				stored, failed, err := a.Supervision.FetchPhotos(ctx, a.WeChat, a.Media, 20)
				a.Metrics.PhotoFetches("visit", stored, failed)
				if err != nil || stored+failed == 0 {
					return err
				}
			}
			return nil
		},
	}}
}
