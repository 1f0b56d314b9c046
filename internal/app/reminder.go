package app

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/reminder"
	"github.com/shianbao/shianbao/internal/web/h5"
)

var _ reminder.Links = h5.Links{}

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
func (s *Services) newReminders(sources ...reminder.Source) error {
	set, err := ReminderSettings(s.Config)
	if err != nil {
		return err
	}
	robots := s.Config.WeCom.Robots
	planner, err := reminder.NewPlanner(reminder.Deps{
		Supervision: s.Supervision, Registry: s.Registry, Contacts: s.Accounts, Links: s.links, LinkTTL: s.Config.Letter.LinkTTL,
		Groups:   func(short string) bool { _, ok := robots[short]; return ok },
		Sources:  sources,
		Settings: set,
	})
	if err != nil {
		return err
	}
	s.Reminders = &reminder.Scheduler{Planner: planner, Enqueuer: s.Notify, KV: s.KV, Clock: s.Clock, Log: s.Log}
	return nil
}

// remindNow is the simulator's clock jump: it plans the new day's
// reminders at once and sends what is due, so they can be watched
// arriving.
func (a *App) remindNow(ctx context.Context) error {
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
}

// DailyRemindersAt is when, after midnight China time, the service plans
// the day's reminders.
const DailyRemindersAt = reminder.DefaultAt
