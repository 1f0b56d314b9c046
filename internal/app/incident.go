package app

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/incident"
)

// IncidentSettings are the rules per kind of incident from the configuration.
func IncidentSettings(cfg config.Config) (incident.Settings, error) {
	set := incident.DefaultSettings()
	kinds := make([]string, 0, len(cfg.Incident.Kinds))
	for k := range cfg.Incident.Kinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		r, err := config.ParseIncidentRule(cfg.Incident.Kinds[k])
		if err != nil {
			return nil, fmt.Errorf("incident.kinds %s: %w", k, err)
		}
		if !incident.Kind(k).Valid() {
			return nil, fmt.Errorf("incident.kinds: unknown kind %q", k)
		}
		set[incident.Kind(k)] = incident.Rule{EscalateToDistrict: r.EscalateToDistrict, Accept: r.Accept, Start: r.Start, Close: r.Close}
	}
	return set, nil
}

// newIncidents builds the incidents (应急处置) on the outbox.
func (s *Services) newIncidents() error {
	set, err := IncidentSettings(s.Config)
	if err != nil {
		return err
	}
	robots := s.Config.WeCom.Robots
	s.Incidents, err = incident.NewService(incident.Deps{
		DB: s.DB, Registry: s.Registry, Accounts: s.Accounts, Outbox: s.Notify, Settings: set,
		Groups: func(short string) bool { _, ok := robots[short]; return ok }, Links: s.links, LinkTTL: s.Config.Letter.LinkTTL,
		BaseURL: s.Config.HTTP.BaseURL, Clock: s.Clock,
	})
	return err
}

// incidentWorkers are the incidents' background work: the sweep that
// escalates a step left past its deadline (one instance at a time, under
// its leader lock), every half minute so an overdue step is escalated
// within a minute; and the photos sent with incidents.
func (a *App) incidentWorkers() []worker {
	return []worker{{
		name:     "incident-escalation",
		interval: 30 * time.Second,
		tick: func(ctx context.Context) error {
			_, _, err := a.Incidents.EscalateDue(ctx, a.KV)
			return err
		},
	}, {
		name:     "incident-photos",
		interval: 5 * time.Second,
		tick: func(ctx context.Context) error {
			for range 50 {
				stored, failed, err := a.Incidents.FetchPhotos(ctx, a.WeChat, a.Media, 20)
				a.Metrics.PhotoFetches("incident", stored, failed)
				if err != nil || stored+failed == 0 {
					return err
				}
			}
			return nil
		},
	}}
}
