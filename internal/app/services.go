package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/bot"
	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/draft"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/metrics"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/reminder"
	"github.com/shianbao/shianbao/internal/review"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web/h5"
	"github.com/shianbao/shianbao/internal/wechat"
)

// Services are the stores and feature services without HTTP: what every
// command of cmd/shianbao works with, and what New serves. They are built
// once, here, in dependency order, so no service needs a pointer back to
// the app.
type Services struct {
	Config   config.Config
	Log      *slog.Logger
	Clock    clock.Clock
	DB       *db.DB
	KV       kv.Store
	Registry *registry.Service
	Accounts *account.Service
	// Supervision holds visits, rectifications and coverage.
	Supervision *supervision.Service
	// Query is the read side: scoped lists, counts, figures and exports.
	Query *query.Reader
	Media media.Store
	// WeChat is the outbound Official Account client; Notify sends
	// through it.
	WeChat *wechat.Client
	// Notify is the push outbox and its dispatcher.
	Notify *notify.Service
	// Reminders plans reminders, escalations and digests on a schedule.
	Reminders *reminder.Scheduler
	// Letters are supervision prompt letters; Cards the knowledge cards.
	Letters *letter.Service
	Cards   *card.Service
	// SelfCheck keeps the businesses' own records (日管控/周排查/月调度).
	SelfCheck *selfcheck.Service
	Bot       *bot.Bot
	// Pledges are the 承诺书 cadres and businesses sign.
	Pledges *pledge.Service
	// Review flags visits across each other for the reviewer.
	Review *review.Service
	// Incidents are the incidents reported in chat (应急处置).
	Incidents *incident.Service
	// Metrics are what /metrics serves; the services report to them.
	Metrics *metrics.Set

	// links sign the H5 links in messages and pages.
	links h5.Links
	// apiBase is where the outbound clients call the platform (the
	// simulator's fake API when New serves one).
	apiBase   string
	closeOnce sync.Once
}

// Open builds the services of cfg without HTTP or background work: it
// opens the database (migrating SQLite, checking a MySQL schema), connects
// the kv store and builds every feature service. The outbound WeChat
// client calls cfg.WeChat.APIBase — on the embedded default (simulator on,
// the real platform's base), the fake API of the service running on
// cfg.HTTP.Addr instead. Close releases the stores.
func Open(ctx context.Context, cfg config.Config, opts Options) (*Services, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return open(ctx, cfg, opts, simulatorAPI(cfg))
}

// open builds the services with the outbound clients calling apiBase.
func open(ctx context.Context, cfg config.Config, opts Options, apiBase string) (*Services, error) {
	s := &Services{Config: cfg, Clock: opts.Clock, apiBase: apiBase,
		links: h5.Links{BaseURL: cfg.HTTP.BaseURL, Secret: []byte(cfg.Security.SecretKey)}}
	if s.Clock == nil {
		s.Clock = clock.Real{}
		if cfg.Simulator {
			// The simulator moves time forward to show reminders.
			s.Clock = clock.NewOffset()
		}
	}
	out := opts.LogOutput
	if out == nil {
		out = os.Stderr
	}
	s.Log = NewLogger(cfg.Log, out)

	var err error
	if s.DB, err = OpenDatabase(ctx, cfg, s.Log); err != nil {
		return nil, err
	}
	if s.KV, err = OpenKV(ctx, cfg); err != nil {
		s.DB.Close()
		return nil, err
	}
	s.observeStore()
	if err := s.build(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// build creates the feature services on the open stores, each after what
// it needs: the WeChat client before the outbox that sends through it,
// the outbox before the features that enqueue.
func (s *Services) build() error {
	cfg := s.Config
	var err error
	s.Registry = registry.NewService(s.DB, RegistryRules(cfg), s.Clock)
	s.Accounts = account.NewService(s.DB, s.KV, s.Registry, s.Clock, []byte(cfg.Security.SecretKey), account.WithLogger(s.Log))
	if s.WeChat, err = wechat.NewClient(wechat.ClientOptions{
		AppID: cfg.WeChat.AppID, AppSecret: cfg.WeChat.AppSecret, APIBase: s.apiBase, KV: s.KV, Log: s.Log,
	}); err != nil {
		return err
	}
	s.Accounts.UseQRMaker(s.WeChat)
	s.Notify = newNotify(s)
	if s.Supervision, err = NewSupervision(cfg, s.DB, s.Registry, s.Clock); err != nil {
		return err
	}
	s.Query = s.newQuery()
	s.Supervision.NotifyFailedPhotosWith(s.Notify)
	if s.Media, err = OpenMedia(cfg); err != nil {
		return fmt.Errorf("media store: %w", err)
	}
	s.newReview()
	if err := s.newLettersAndCards(); err != nil {
		return err
	}
	if err := s.newSelfCheck(); err != nil {
		return fmt.Errorf("self-check records: %w", err)
	}
	if err := s.newIncidents(); err != nil {
		return fmt.Errorf("incidents: %w", err)
	}
	if err := s.newPledges(); err != nil {
		return fmt.Errorf("pledges: %w", err)
	}
	if err := s.newReminders(reminder.SourceFunc(s.Letters.Due), s.SelfCheck, reminder.SourceFunc(s.Pledges.Due)); err != nil {
		return fmt.Errorf("reminders: %w", err)
	}
	s.Bot = bot.New(bot.Deps{
		Accounts: s.Accounts, Registry: s.Registry, Supervision: s.Supervision, Query: s.Query, KV: s.KV,
		Letters: s.Letters, Cards: s.Cards, SelfCheck: s.SelfCheck, Incidents: s.Incidents, Pledges: s.Pledges,
		Drafts: draft.NewStore(s.DB, s.Clock), Links: s.links, Clock: s.Clock, Log: s.Log,
	})
	s.observeServices()
	return nil
}

// Close releases the kv store and the database. Safe to call more than
// once.
func (s *Services) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.KV != nil {
			err = s.KV.Close()
		}
		if s.DB != nil {
			if dbErr := s.DB.Close(); err == nil {
				err = dbErr
			}
		}
	})
	return err
}
