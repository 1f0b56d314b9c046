package app

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web"
)

// LetterConfig is the prompt letters' settings from the configuration.
func LetterConfig(c config.Config) (letter.Config, error) {
	cfg := letter.DefaultConfig()
	cfg.NumberFormat = c.Letter.NumberFormat
	cfg.AckReminderDays = c.Letter.AckReminderDays
	cfg.LinkTTL = c.Letter.LinkTTL
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("letter settings: %w", err)
	}
	return cfg, nil
}

// newLettersAndCards builds the prompt-letter and knowledge-card services.
func (a *App) newLettersAndCards(links web.Links) error {
	cfg, err := LetterConfig(a.Config)
	if err != nil {
		return err
	}
	a.Letters = letter.NewService(a.DB, a.Registry, a.Supervision, a.Accounts, a.Notify, links, cfg, a.Clock)
	a.Supervision.IssueLettersWith(a.Letters)
	rules := a.Supervision.Rules()
	a.Cards = card.NewService(a.DB, a.Registry, a.Accounts, a.Notify, links, a.Clock,
		card.WithFrequency(func(g registry.Grade) string { return rules.Period(g).Label() + "至少督导1次" }),
		card.WithLinkTTL(a.Config.Letter.LinkTTL),
		card.WithViewKey([]byte(a.Config.Security.SecretKey)))
	return nil
}

// mountLettersAndCards serves the letter and card pages. Readers are
// identified by WeChat web authorisation through the outbound client — in
// development the simulator's fake API plays the platform.
func (a *App) mountLettersAndCards(links web.Links) error {
	access := web.NewH5Access(web.AccessOptions{Links: links, Accounts: a.Accounts, OAuth: a.WeChat, Clock: a.Clock, Log: a.Log})
	if err := a.Web.MountLetters(access, a.Letters, a.Media); err != nil {
		return err
	}
	return a.Web.MountCards(access, a.Cards)
}

// cardWorker reissues the knowledge card of every business whose cadre
// changed (handover, reassignment, import) and tells the business once.
func (a *App) cardWorker() worker {
	return worker{name: "cards", interval: time.Minute, tick: func(ctx context.Context) error {
		_, err := a.Cards.ReissueChanged(ctx)
		return err
	}}
}
