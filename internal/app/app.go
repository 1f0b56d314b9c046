// Package app is the one wiring root: it builds the whole service from its
// configuration and runs it. Open builds the stores and feature services
// without HTTP (every command of cmd/shianbao uses it); New serves them
// with the web server, the simulator and the background work. main and the
// end-to-end tests both use it, so the tests boot exactly what production
// runs (on :0, with a temporary database).
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/demo"
	"github.com/shianbao/shianbao/internal/draft"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/meeting"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/review"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/sim"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/console"
	"github.com/shianbao/shianbao/internal/wechat"
)

// Schemas lists every feature's migrations in dependency order.
func Schemas() []db.Schema {
	return []db.Schema{registry.Schema, audit.Schema, account.Schema, supervision.Schema, draft.Schema, notify.Schema, letter.Schema, card.Schema, selfcheck.Schema, review.Schema, incident.Schema, pledge.Schema, meeting.Schema}
}

// Options are what a caller (main, a test) supplies besides the config.
type Options struct {
	// Clock defaults to the real clock (one the simulator can move, when
	// it is on).
	Clock clock.Clock
	// LogOutput defaults to stderr.
	LogOutput io.Writer
	// WrapBot wraps the bot where the WeChat callbacks call it (metrics,
	// or a test holding a turn past the reply budget); nil leaves it be.
	// Only New serves callbacks, so Open ignores it.
	WrapBot func(wechat.Handler) wechat.Handler
	// MetricsCountTTL is how long a count made for /metrics is reused
	// (metrics.DefaultCountTTL when 0; negative: counted at every scrape,
	// for tests that look right after an event).
	MetricsCountTTL time.Duration
}

// App is the running service: the Services of Open, served over HTTP with
// the simulator and the background work.
type App struct {
	*Services
	// FakeAPI is the local WeChat API the simulator runs (nil when off).
	FakeAPI *sim.FakeAPI
	Web     *web.Server
	// SignIn is the console's sign-in, whose throttle tests watch.
	SignIn *console.SignIn
	// dashboard keeps the whole register's figures worked out ahead.
	dashboard *console.Dashboard

	httpServer *http.Server
	listener   net.Listener
	started    bool
	bg         *workers
	serveErr   chan error
	closeOnce  sync.Once
	closeErr   error

	// wrapBot is Options.WrapBot; drains wait for the callbacks' turns.
	wrapBot func(wechat.Handler) wechat.Handler
	drains  []func(context.Context) error
}

// New builds the service: it listens on cfg.HTTP.Addr, opens the Services
// (see Open) with the outbound clients pointing at the simulator's fake API
// when that is on, refuses demo passwords in a real deployment, seeds the
// demo district on an empty embedded database and builds the HTTP server.
// It does not serve yet.
func New(ctx context.Context, cfg config.Config, opts Options) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Listening first tells the app its own address: the outbound client
	// points at the local fake API and, with the simulator on, links in
	// messages point at this server, even on :0 or another port.
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTP.Addr, err)
	}
	if cfg.Simulator && cfg.HTTP.BaseURL == config.Default().HTTP.BaseURL {
		cfg.HTTP.BaseURL = publicURL(cfg.HTTP.Addr, ln.Addr().String())
	}
	apiBase, fake := fakeWeChat(cfg, ln)
	s, err := open(ctx, cfg, opts, apiBase)
	if err != nil {
		ln.Close()
		return nil, err
	}
	a := &App{Services: s, FakeAPI: fake, listener: ln, serveErr: make(chan error, 1), wrapBot: opts.WrapBot}
	a.countForMetrics(opts.MetricsCountTTL)
	if err := a.serve(ctx); err != nil {
		a.closeStores()
		return nil, err
	}
	return a, nil
}

// serve checks and seeds the database for serving and builds the HTTP
// server on the services.
func (a *App) serve(ctx context.Context) error {
	cfg := a.Config
	if err := a.checkDemoPasswords(ctx); err != nil {
		return err
	}
	if err := a.seedIfEmpty(ctx); err != nil {
		return err
	}
	// Validate has parsed both lists already.
	proxies, _ := cfg.HTTP.TrustedProxyNets()
	metricsAllow, _ := cfg.HTTP.MetricsAllowNets()
	ready := map[string]web.Checker{"database": a.DB, "kv": a.KV}
	if bucket, ok := a.Media.(web.Checker); ok {
		// A shared bucket is a dependency like the database; a local
		// directory is the machine's own disk.
		ready["media"] = bucket
	}
	var err error
	a.Web, err = web.New(web.Options{
		BodyLimit:      cfg.HTTP.BodyLimit,
		Log:            a.Log,
		Metrics:        a.Metrics.Registry(),
		Ready:          ready,
		TrustedProxies: proxies,
		MetricsAllow:   metricsAllow,
	})
	if err != nil {
		return fmt.Errorf("build web server: %w", err)
	}
	a.mountWeChat()
	if err := a.mountH5(); err != nil {
		return fmt.Errorf("H5 pages: %w", err)
	}
	if err := a.mountConsole(); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	if err := a.seedDemoUsers(ctx); err != nil {
		return fmt.Errorf("demo users: %w", err)
	}
	if err := a.mountSimulator(); err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	a.httpServer = &http.Server{
		Handler:           a.Web.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	return nil
}

// NewSupervision builds the supervision service with the shipped checklists
// (and their knowledge texts) and the configured rules.
func NewSupervision(cfg config.Config, d *db.DB, reg *registry.Service, c clock.Clock) (*supervision.Service, error) {
	lists, err := supervision.DefaultChecklists()
	if err != nil {
		return nil, fmt.Errorf("configs/checklists.yaml: %w", err)
	}
	return supervision.NewService(d, reg, lists, SupervisionRules(cfg), c), nil
}

// SupervisionRules carries the configured frequencies, modes and limits;
// config.Validate has already checked every value.
func SupervisionRules(cfg config.Config) supervision.Rules {
	r := supervision.DefaultRules()
	for g, p := range cfg.Supervision.Frequency {
		r.Frequency[registry.Grade(g)] = supervision.Period(p)
	}
	for g, list := range cfg.Supervision.CountingModes {
		var modes []supervision.Mode
		for _, m := range strings.Split(list, "|") {
			modes = append(modes, supervision.Mode(strings.TrimSpace(m)))
		}
		r.CountingModes[registry.Grade(g)] = modes
	}
	r.DeadlineDays, r.FarMeters = cfg.Supervision.DeadlineDays, cfg.Supervision.FarMeters
	return r
}

// RegistryRules carries the register's settings from the configuration.
func RegistryRules(cfg config.Config) registry.Rules {
	return registry.Rules{
		AllowHigherLevelCadre:  cfg.Register.AllowHigherLevelCadre,
		DistrictCode:           cfg.Register.DistrictCode,
		CityName:               cfg.Register.CityName,
		DistrictName:           cfg.Register.DistrictName,
		ImportMaxRows:          cfg.Import.MaxRows,
		ImportMaxUnzippedBytes: cfg.Import.MaxUnzippedBytes,
	}
}

// OpenDatabase opens the configured database and brings its schema up to
// date: SQLite (the embedded default) always migrates; MySQL migrates only
// when db.auto_migrate is on and otherwise refuses a stale schema, naming
// the command to run.
func OpenDatabase(ctx context.Context, cfg config.Config, log *slog.Logger) (*db.DB, error) {
	d, err := db.Open(ctx, db.Options{
		Driver:          db.Engine(cfg.DB.Driver),
		DSN:             cfg.DB.DSN,
		MaxOpenConns:    cfg.DB.MaxOpenConns,
		MaxIdleConns:    cfg.DB.MaxIdleConns,
		ConnMaxLifetime: cfg.DB.ConnMaxLifetime,
		Logger:          log,
	})
	if err != nil {
		return nil, err
	}
	if d.Engine() == db.SQLite || cfg.DB.AutoMigrate {
		applied, err := d.Migrate(ctx, Schemas()...)
		if err != nil {
			d.Close()
			return nil, err
		}
		if len(applied) > 0 && log != nil {
			log.Info("database migrated", "applied", len(applied))
		}
		return d, nil
	}
	if err := d.CheckCurrent(ctx, Schemas()...); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// OpenKV connects Redis when configured, else the in-process store.
func OpenKV(ctx context.Context, cfg config.Config) (kv.Store, error) {
	if cfg.Redis.Addr == "" {
		return kv.NewMemory(), nil
	}
	r, err := kv.NewRedis(kv.RedisOptions{
		Addrs:      strings.Split(cfg.Redis.Addr, ","),
		Password:   cfg.Redis.Password,
		DB:         cfg.Redis.DB,
		MasterName: cfg.Redis.MasterName,
	})
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.Ping(pctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("connect redis at %s: %w", cfg.Redis.Addr, err)
	}
	return kv.WithPrefix(r, cfg.Redis.KeyPrefix), nil
}

// seedIfEmpty fills an empty embedded database with the demo district and
// its businesses' recent self-check records, so a newcomer sees the
// product working on the first run.
func (s *Services) seedIfEmpty(ctx context.Context) error {
	if !s.Config.Demo.SeedOnEmpty || s.DB.Engine() != db.SQLite {
		return nil
	}
	empty, err := demo.IsEmpty(ctx, s.DB)
	if err != nil || !empty {
		return err
	}
	return s.SeedDemo(ctx)
}

// SeedDemo fills the register with the demo district and its businesses'
// recent self-check records. The embedded default does it on an empty
// database; tests do it on MySQL to get the same district on both engines.
func (s *Services) SeedDemo(ctx context.Context) error {
	start := time.Now()
	sum, err := demo.Seed(ctx, s.DB, s.Registry, demo.Options{Seed: s.Config.Demo.Seed, Clock: s.Clock, Review: true, Media: s.Media})
	if errs.Is(err, errs.Conflict) {
		// Another instance started on the same file seeded it between the
		// check above and this seed's write lock.
		s.Log.Info("demo district seeded by another instance")
		return nil
	}
	if err != nil {
		return fmt.Errorf("seed demo district: %w", err)
	}
	s.Log.Info("demo district seeded", "businesses", sum.Businesses, "cadres", sum.Cadres, "ms", time.Since(start).Milliseconds())
	if err := s.seedDemoReview(ctx, sum); err != nil {
		return fmt.Errorf("seed demo re-check: %w", err)
	}
	start = time.Now()
	// Its own stream, so the district stays what the seed made it.
	rnd := rand.New(rand.NewPCG(uint64(s.Config.Demo.Seed), demoSelfCheckStream))
	hist, err := s.SelfCheck.SeedDemo(ctx, rnd, selfcheck.DemoDays)
	if err != nil {
		return fmt.Errorf("seed demo self-check records: %w", err)
	}
	s.Log.Info("demo self-check records seeded", "businesses", hist.Businesses, "daily", hist.Daily, "weekly", hist.Weekly,
		"ms", time.Since(start).Milliseconds())
	letters, relocations, err := s.seedDemoLoops(ctx)
	if err != nil {
		return fmt.Errorf("seed demo letters and relocations: %w", err)
	}
	s.Log.Info("demo letters and relocations seeded", "letters", letters, "relocations", relocations)
	if _, err := s.Incidents.SeedDemo(ctx); err != nil {
		return fmt.Errorf("seed demo incidents: %w", err)
	}
	return s.seedDemoMeetings(ctx)
}

// demoSelfCheckStream picks the random stream of the demo's self-check
// history.
const demoSelfCheckStream = 0x5e1fc4ec

// Start serves on the listener New opened, in the background.
func (a *App) Start() error {
	if a.started {
		return nil
	}
	a.started = true
	a.startWorkers(append(append(append(a.workerList(), a.selfCheckWorkers()...), a.incidentWorkers()...), a.meetingWorker()))
	ln := a.listener
	go func() {
		if err := a.httpServer.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.serveErr <- err
		}
		close(a.serveErr)
	}()
	a.Log.Info("serving", "addr", ln.Addr().String(), "db", a.DB.Engine(), "simulator", a.Config.Simulator)
	if a.FakeAPI != nil {
		a.Log.Info("WeChat simulator: open " + a.publicURL() + "/dev/simulator")
		a.Log.Info("console: open " + a.publicURL() + "/console/ (demo users admin, hudai, lihu, viewer; password " + DemoPassword + ")")
	}
	return nil
}

// Addr is the address the server listens on (useful with :0).
func (a *App) Addr() string {
	if a.listener == nil {
		return ""
	}
	return a.listener.Addr().String()
}

// publicURL is where a person on this machine reaches the server.
func (a *App) publicURL() string { return publicURL(a.Config.HTTP.Addr, a.Addr()) }

// publicURL is where a person on this machine reaches a server configured
// to listen on addr and listening on listening.
func publicURL(addr, listening string) string {
	if strings.HasPrefix(addr, ":") || strings.HasPrefix(addr, "0.0.0.0:") {
		return "http://localhost:" + strings.TrimPrefix(strings.TrimPrefix(listening, "[::]:"), "0.0.0.0:")
	}
	return "http://" + loopback(listening)
}

// URL is the base URL of the listening server, for tests.
func (a *App) URL() string { return "http://" + loopback(a.Addr()) }

// Run starts the server and blocks until ctx is done (SIGTERM) or the
// server fails, then shuts down gracefully.
func (a *App) Run(ctx context.Context) error {
	if err := a.Start(); err != nil {
		a.Close()
		return err
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-a.serveErr:
	}
	if err := a.Close(); err != nil && serveErr == nil {
		serveErr = err
	}
	return serveErr
}

// Close stops accepting connections, lets in-flight requests finish, waits
// for chat turns still running past the reply budget (their answers go out
// as late replies), all within the shutdown timeout, then stops background
// work and closes the stores. Safe to call more than once.
func (a *App) Close() error {
	a.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), a.Config.HTTP.ShutdownTimeout)
		defer cancel()
		if a.started {
			if err := a.httpServer.Shutdown(ctx); err != nil {
				a.closeErr = fmt.Errorf("shutdown http: %w", err)
				a.httpServer.Close()
			}
		} else if a.listener != nil {
			a.listener.Close()
		}
		for _, drain := range a.drains {
			if err := drain(ctx); err != nil {
				a.Log.Warn("shutdown: chat turns dropped", "err", err.Error())
				if a.closeErr == nil {
					a.closeErr = fmt.Errorf("shutdown: %w", err)
				}
			}
		}
		a.stopWorkers(ctx)
		a.closeStores()
		a.Log.Info("stopped")
	})
	return a.closeErr
}

func (a *App) closeStores() {
	if a.listener != nil && !a.started {
		a.listener.Close()
	}
	a.Services.Close()
}
