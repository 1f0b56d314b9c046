package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shianbao/shianbao/internal/meeting"
)

// newMeetings builds the meetings and training service: invitations and
// reminders through the outbox, QR codes through the WeChat client, the
// 集中督导's visits through supervision.
func (s *Services) newMeetings() error {
	svc, err := meeting.NewService(meeting.Deps{
		DB: s.DB, Registry: s.Registry, Accounts: s.Accounts, Visits: s.Supervision, Outbox: s.Notify, KV: s.KV,
		QR: s.WeChat, Links: s.links, Clock: s.Clock, Secret: []byte(s.Config.Security.SecretKey), Log: s.Log,
		Config: meeting.Config{LinkTTL: s.Config.Letter.LinkTTL},
	})
	if err != nil {
		return err
	}
	s.Meetings = svc
	return nil
}

// meetingWorker sends the meetings' reminders and absentee follow-ups.
// Each step is marked on its meeting in the transaction that enqueues it,
// so instances ticking together send it once.
func (a *App) meetingWorker() worker {
	return worker{name: "meetings", interval: time.Minute, tick: func(ctx context.Context) error {
		_, err := a.Meetings.Tick(ctx)
		return err
	}}
}

// demoMeetingStream picks the random stream of the demo's meetings.
const demoMeetingStream = 0x3ee71a9

// seedDemoMeetings gives the demo district its meetings: a past 干部培训,
// an upcoming 主体培训 and a past 集中督导 (meeting.SeedDemo).
func (s *Services) seedDemoMeetings(ctx context.Context) error {
	start := time.Now()
	rnd := rand.New(rand.NewPCG(uint64(s.Config.Demo.Seed), demoMeetingStream))
	sum, err := s.Meetings.SeedDemo(ctx, rnd, s.Supervision)
	if err != nil {
		return fmt.Errorf("seed demo meetings: %w", err)
	}
	s.Log.Info("demo meetings seeded", "meetings", sum.Meetings, "invited", sum.Invited, "checked_in", sum.CheckedIn,
		"quizzes", sum.Attempts, "visits", sum.Visits, "ms", time.Since(start).Milliseconds())
	return nil
}
