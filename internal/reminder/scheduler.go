package reminder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/kv"
)

// Scheduler defaults.
const (
	// DefaultAt is when the day's reminders go out: after the 07:30 end of
	// quiet hours, at the start of the working day.
	DefaultAt = 8*time.Hour + 30*time.Minute
	// DefaultSpec checks every quarter of an hour (China time) whether the
	// day's run is done; a check that finds it done costs one kv read.
	DefaultSpec = "*/15 * * * *"
	// DefaultLeaderTTL is the leader's lease; it is renewed while a run
	// lasts, so it only bounds how long a crashed leader blocks the others.
	DefaultLeaderTTL = time.Minute
	// enqueueBatch is how many messages go to the outbox per call.
	enqueueBatch = 500
	// doneTTL keeps the record of the last day run for a week.
	doneTTL = 7 * 24 * time.Hour
)

// Scheduler runs the planner once a day under a leader lock and enqueues
// what it returns.
//
// It is one cron job rather than one per kind: every quarter of an hour
// it asks whether today's run (due at At, China time) is done, and if not,
// the instance that takes the leader lock plans everything due today —
// stage reminders, overdue notices, escalations, the weekly digest on
// Mondays, the monthly one on the 1st, rectifications and other sources —
// and enqueues it. A record in kv of the last day run saves repeating the
// work; correctness does not depend on it, because every message has an
// idempotency key and every stage stays due for days. So with several
// instances only one plans at a time, a restart in the middle of a run
// is finished by the next check (the half already enqueued is not sent
// again), and an instance that was down on the day catches up when it
// comes back.
type Scheduler struct {
	Planner  *Planner
	Enqueuer Enqueuer
	KV       kv.Store
	// Clock decides "now"; the simulator's can jump. Defaults to the real clock.
	Clock clock.Clock
	Log   *slog.Logger
	// At is the time of day the day's run is due; DefaultAt when zero.
	At time.Duration
	// Spec is the cron schedule of checks, in China time; DefaultSpec when empty.
	Spec string
	// LeaderTTL is the leader lease; DefaultLeaderTTL when zero.
	LeaderTTL time.Duration
	// KeyPrefix starts the kv keys (leader lock, last day run); "reminder:" when empty.
	KeyPrefix string
	// Observer hears the leader lease, plans and days done; nil: nobody.
	Observer Observer
}

// Result says what a run did.
type Result struct {
	// Skipped is true when another instance held the leader lock, or
	// (for a scheduled check) the day's run was already done.
	Skipped bool
	// Planned counts the messages due; Enqueued those newly queued (the
	// rest were already in the outbox).
	Planned, Enqueued int
}

// Run checks on the cron schedule until ctx is done, starting with a
// check at once (a restarted instance catches up without waiting). It
// returns nil when ctx ends, or an error for a bad schedule.
func (s *Scheduler) Run(ctx context.Context) error {
	c := cron.New(cron.WithLocation(clock.China), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	check := func() {
		if _, err := s.Check(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("reminders: run failed; the next check retries", "err", err.Error())
		}
	}
	if _, err := c.AddFunc(s.spec(), check); err != nil {
		return fmt.Errorf("reminder schedule %q: %w", s.spec(), err)
	}
	c.Start()
	go check()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

// Check runs the day's plan if it is due and not yet done: before At it
// (re)runs the previous day's, which is a no-op unless that run was cut
// short.
func (s *Scheduler) Check(ctx context.Context) (Result, error) {
	now := s.now().In(clock.China)
	today := clock.Date(now)
	at := now
	if now.Before(today.Add(s.at())) {
		today = today.AddDate(0, 0, -1)
		at = today.Add(s.at())
	}
	slot := today.Format("2006-01-02")
	if done, err := s.KV.Get(ctx, s.key("done")); err == nil && done == slot {
		s.dayDone(slot)
		return Result{Skipped: true}, nil
	}
	return s.run(ctx, at, slot)
}

// RunOnce plans and enqueues everything due at at now, whatever the time
// of day and whether the day's run is done: for tests, the CLI and the
// simulator's clock jump. Another instance planning at the same moment
// makes it return Skipped.
func (s *Scheduler) RunOnce(ctx context.Context, at time.Time) (Result, error) {
	return s.run(ctx, at, "")
}

func (s *Scheduler) run(ctx context.Context, at time.Time, slot string) (Result, error) {
	ttl := s.ttl()
	lock, err := kv.TryLock(ctx, s.KV, s.key("leader"), ttl)
	if errors.Is(err, kv.ErrLocked) {
		return Result{Skipped: true}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("reminders: %w", err)
	}
	s.leader(true)
	defer s.leader(false)
	runCtx, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if err := lock.Extend(runCtx, ttl); err != nil {
					cancel(fmt.Errorf("leader lease lost: %w", err))
					return
				}
			}
		}
	}()
	defer func() {
		close(stop)
		wg.Wait()
		cancel(nil)
		if err := lock.Release(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, kv.ErrLockLost) {
			s.log().Warn("reminders: could not release the leader lock", "err", err.Error())
		}
	}()

	if slot != "" {
		// Another instance may have finished the day while this one waited.
		if done, err := s.KV.Get(runCtx, s.key("done")); err == nil && done == slot {
			s.dayDone(slot)
			return Result{Skipped: true}, nil
		}
	}
	start := time.Now()
	msgs, err := s.Planner.Plan(runCtx, at)
	var partial *SourceError
	if err != nil && !errors.As(err, &partial) {
		return Result{}, cause(runCtx, err)
	}
	res := Result{Planned: len(msgs)}
	s.planned(msgs)
	for len(msgs) > 0 {
		chunk := msgs[:min(enqueueBatch, len(msgs))]
		msgs = msgs[len(chunk):]
		n, err := s.Enqueuer.Enqueue(runCtx, chunk...)
		res.Enqueued += n
		s.enqueued(n)
		if err != nil {
			return res, fmt.Errorf("reminders: enqueue: %w", cause(runCtx, err))
		}
	}
	if partial != nil {
		// The day is not done: the next check asks the failed sources again.
		return res, partial
	}
	if slot != "" {
		if err := s.KV.Set(runCtx, s.key("done"), slot, doneTTL); err != nil {
			// Harmless: the next check plans again and enqueues nothing new.
			s.log().Warn("reminders: could not record the day's run", "err", err.Error())
		}
		s.dayDone(slot)
	}
	s.log().Info("reminders planned", "at", at.In(clock.China).Format(time.DateTime), "planned", res.Planned,
		"enqueued", res.Enqueued, "took", time.Since(start).Round(time.Millisecond).String())
	return res, nil
}

// cause prefers the reason the run was cancelled (a lost lease) to the
// bare context error it surfaced as.
func cause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
		return fmt.Errorf("%w (%w)", err, c)
	}
	return err
}

func (s *Scheduler) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}

func (s *Scheduler) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Scheduler) at() time.Duration {
	if s.At <= 0 {
		return DefaultAt
	}
	return s.At
}

func (s *Scheduler) spec() string {
	if s.Spec == "" {
		return DefaultSpec
	}
	return s.Spec
}

func (s *Scheduler) ttl() time.Duration {
	if s.LeaderTTL <= 0 {
		return DefaultLeaderTTL
	}
	return s.LeaderTTL
}

func (s *Scheduler) key(name string) string {
	p := s.KeyPrefix
	if p == "" {
		p = "reminder:"
	}
	return p + name
}
