package notify

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/kv"
)

// ClaimMode is how a dispatcher claims due messages.
type ClaimMode string

// Claim modes.
const (
	// ClaimAuto is ClaimSkipLocked on MySQL and ClaimLease elsewhere.
	ClaimAuto ClaimMode = ""
	// ClaimSkipLocked selects due rows FOR UPDATE SKIP LOCKED in a short
	// transaction (MySQL 8, MariaDB 10.6): concurrent dispatchers never wait
	// for one another.
	ClaimSkipLocked ClaimMode = "skip_locked"
	// ClaimLease takes due rows by a conditional update (still due, so
	// nobody else took them) and reads back what it got: portable, for
	// SQLite and for MySQL-compatible databases without SKIP LOCKED (TiDB).
	ClaimLease ClaimMode = "lease"
)

// Config is the dispatcher's settings.
type Config struct {
	// Templates gives the template message of each kind (Message.Kind); a
	// kind without one reaches people only by customer-service message
	// (inside the 48-hour window) and groups by robot.
	Templates map[string]Template
	// SubscribeTemplates gives the subscribe notification of each kind, for
	// messages enqueued for ChannelSubscribe.
	SubscribeTemplates map[string]Template
	// Fallback, when set, is the template of every kind without its own:
	// the simulator's fake API takes any template, so the embedded default
	// sets one; a real account leaves it nil.
	Fallback *Template
	// QuietStart and QuietEnd ("22:00", "07:30", China time) bound the quiet
	// hours; both empty turns them off.
	QuietStart, QuietEnd string
	// RatePerSecond limits each channel's sends across all instances; 0 or
	// absent is unlimited.
	RatePerSecond map[Channel]float64
	// MaxAttempts before a message is dead (default 8). Throttled attempts
	// do not count: the platform's quota says nothing about the message.
	MaxAttempts int
	// Lease is how long a claim owns its rows (default 30s). A send is cut
	// at half of it, and a dispatcher stops sending from a claim with less
	// than half left, so a slow dispatcher never races its successor.
	Lease time.Duration
	// Workers is the number of dispatch loops Run starts (default 4 on
	// MySQL). SQLite always gets one: it has a single writer anyway.
	Workers int
	// Batch is how many rows one DispatchOnce claims by default (50).
	Batch int
	// Claim chooses the claim statement (ClaimAuto by default).
	Claim ClaimMode
	// KeyPrefix starts every kv key of the rate limits ("notify:").
	KeyPrefix string
	// Idle is how long a Run loop sleeps when nothing is due (default 1s).
	Idle time.Duration
}

// Defaults.
const (
	defaultMaxAttempts = 8
	defaultLease       = 30 * time.Second
	defaultWorkers     = 4
	defaultBatch       = 50
	defaultIdle        = time.Second
	// customWindow is how long after a user's last message the platform
	// accepts customer-service messages.
	customWindow = 48 * time.Hour
)

// Service is the outbox: it enqueues notifications, dispatches them and
// records what became of them.
type Service struct {
	db    *db.DB
	dir   Directory
	send  Senders
	cfg   Config
	quiet quietHours
	rate  *limiter
	clock clock.Clock
	log   *slog.Logger
	// obs hears sends and outcomes (nil: nobody listens).
	obs Observer
}

// NewService returns the outbox service. Zero settings take their defaults;
// quiet hours that do not parse (config.Validate refuses them first) are
// logged and turned off.
func NewService(d *db.DB, store kv.Store, dir Directory, send Senders, cfg Config, c clock.Clock, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if c == nil {
		c = clock.Real{}
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = defaultMaxAttempts
	}
	if cfg.Lease <= 0 {
		cfg.Lease = defaultLease
	}
	if cfg.Workers <= 0 {
		cfg.Workers = defaultWorkers
	}
	if cfg.Batch <= 0 {
		cfg.Batch = defaultBatch
	}
	if cfg.Idle <= 0 {
		cfg.Idle = defaultIdle
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = "notify:"
	}
	if d.Engine() != db.MySQL {
		// SQLite has no SKIP LOCKED and one writer: one loop, lease claims.
		cfg.Workers, cfg.Claim = 1, ClaimLease
	} else if cfg.Claim == ClaimAuto {
		cfg.Claim = ClaimSkipLocked
	}
	q, err := parseQuiet(cfg.QuietStart, cfg.QuietEnd)
	if err != nil {
		log.Error("notify: quiet hours turned off", "err", err.Error())
	}
	return &Service{
		db: d, dir: dir, send: send, cfg: cfg, quiet: q,
		rate:  &limiter{store: store, prefix: cfg.KeyPrefix, rates: cfg.RatePerSecond},
		clock: c, log: log,
	}
}

// now is the injected clock's time in UTC, to the millisecond MySQL keeps.
func (s *Service) now() time.Time { return s.stamp(s.clock.Now()) }

// stamp is t as stored: UTC, whole milliseconds (MySQL's DATETIME(3) would
// round finer times, and a lease compared across engines must not move).
func (s *Service) stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// Run dispatches until ctx is done with Workers loops, each claiming a batch
// after another and sleeping about Idle when nothing is due. It returns
// nil when ctx ends; database failures are logged and retried.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(func() { s.loop(ctx) })
	}
	wg.Wait()
	return nil
}

func (s *Service) loop(ctx context.Context) {
	for ctx.Err() == nil {
		sent, retried, gaveUp, err := s.DispatchOnce(ctx, s.cfg.Batch)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("notify: dispatch failed", "err", err.Error())
		}
		if err == nil && sent+retried+gaveUp > 0 {
			continue
		}
		// Jitter keeps the loops of all instances from polling in step.
		t := time.NewTimer(s.cfg.Idle/2 + rand.N(s.cfg.Idle))
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
}
