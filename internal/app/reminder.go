package app

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/reminder"
	"github.com/shianbao/shianbao/internal/web"
)

var _ reminder.Links = web.Links{}

// ReminderSettings are the planner's settings from the configuration.
func ReminderSettings(cfg config.Config) (reminder.Settings, error) {
	rc := cfg.Reminder
	stages, err := rc.ReminderStages()
	if err != nil {
		return reminder.Settings{}, fmt.Errorf("reminder.stages: %w", err)
	}
	return reminder.Settings{Stages: stages, EscalateAfter: rc.EscalateAfterDays, CatchUp: rc.CatchUpDays,
		EscalateToGroup: rc.EscalateToGroup}, nil
}

// newReminders builds the reminder planner and its scheduler. Other
// features add their reminders as planner sources.
func (a *App) newReminders(links web.Links, sources ...reminder.Source) error {
	set, err := ReminderSettings(a.Config)
	if err != nil {
		return err
	}
	planner, err := reminder.NewPlanner(reminder.Deps{
		Supervision: a.Supervision, Registry: a.Registry, Contacts: a.Accounts, Links: links, LinkTTL: a.Config.Letter.LinkTTL,
		Groups:   func(short string) bool { _, ok := a.Config.WeCom.Robots[short]; return ok },
		Sources:  sources,
		Settings: set,
	})
	if err != nil {
		return err
	}
	a.Reminders = &reminder.Scheduler{Planner: planner, Enqueuer: a.Notify, KV: a.KV, Clock: a.Clock, Log: a.Log}
	// The simulator's clock jump plans the new day's reminders at once and
	// sends what is due, so they can be watched arriving.
	a.onClockJump = append(a.onClockJump, func(ctx context.Context) error {
		// The background scheduler may hold the leader lock for a moment.
		for tries := 0; ; tries++ {
			res, err := a.Reminders.RunOnce(ctx, a.Clock.Now())
			if err != nil {
				return err
			}
			if !res.Skipped || tries == 100 {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		for range 20 {
			sent, retried, gaveUp, err := a.Notify.DispatchOnce(ctx, 200)
			if err != nil || sent+retried+gaveUp == 0 {
				return err
			}
		}
		return nil
	})
	return nil
}
