package app

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/registry"
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
func (s *Services) newLettersAndCards() error {
	cfg, err := LetterConfig(s.Config)
	if err != nil {
		return err
	}
	s.Letters = letter.NewService(s.DB, s.Registry, s.Supervision, s.Accounts, s.Notify, s.links, cfg, s.Clock)
	// A visit that asks for a letter is stored with it in one transaction.
	s.Supervision.IssueLettersWith(s.Letters)
	rules := s.Supervision.Rules()
	s.Cards = card.NewService(s.DB, s.Registry, s.Accounts, s.Notify, s.links, s.Clock,
		card.WithFrequency(func(g registry.Grade) string { return rules.Period(g).Label() }),
		card.WithLinkTTL(s.Config.Letter.LinkTTL),
		card.WithViewKey([]byte(s.Config.Security.SecretKey)))
	return nil
}

// cardWorker reissues the knowledge card of every business whose cadre
// changed (handover, reassignment, import) and tells the business once.
func (a *App) cardWorker() worker {
	return worker{name: "cards", interval: time.Minute, tick: func(ctx context.Context) error {
		_, err := a.Cards.ReissueChanged(ctx)
		return err
	}}
}
