package app

import (
	"context"
	"time"

	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/metrics"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/reminder"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/wechat"
)

// The metrics set is every observer the features declare.
var (
	_ kv.Observer               = (*metrics.Set)(nil)
	_ notify.Observer           = (*metrics.Set)(nil)
	_ wechat.Observer           = (*metrics.Set)(nil)
	_ reminder.Observer         = (*metrics.Set)(nil)
	_ supervision.VisitObserver = (*metrics.Set)(nil)
)

// observeStore wraps the kv store so every call is counted and timed; it
// comes first, so every service is built on the wrapped store.
func (s *Services) observeStore() {
	s.Metrics = metrics.New(s.Log)
	s.KV = kv.Observed(s.KV, s.Metrics)
}

// observeServices points the features' observers at the metrics.
func (s *Services) observeServices() {
	s.Notify.Observe(s.Metrics)
	s.Supervision.Observe(s.Metrics)
	s.Reminders.Observer = s.Metrics
}

// countForMetrics adds the figures counted at scrape time: the database
// pool, the outbox's backlog and the photos waiting to be fetched, each
// one query reused for ttl (metrics.DefaultCountTTL when 0).
func (a *App) countForMetrics(ttl time.Duration) {
	m := a.Metrics
	m.DBPool(a.DB.SQL())
	m.Count("outbox", ttl, []metrics.Gauge{
		{Name: "shianbao_outbox_rows", Help: "Outbox rows not sent yet or given up, by status (pending, sending, failed, dead, unreachable) and kind.", Labels: []string{"status", "kind"}},
		{Name: "shianbao_outbox_oldest_due_seconds", Help: "How long the oldest due outbox row has waited past its next attempt (0 when none is due)."},
		{Name: "shianbao_notify_quiet_hours", Help: "1 during quiet hours, when nothing is sent and a backlog is expected."},
	}, func(ctx context.Context) ([]metrics.Reading, error) {
		b, err := a.Notify.Backlog(ctx)
		if err != nil {
			return nil, err
		}
		out := []metrics.Reading{
			{Gauge: "shianbao_outbox_oldest_due_seconds", Value: b.OldestDue.Seconds()},
			{Gauge: "shianbao_notify_quiet_hours", Value: boolValue(b.Quiet)},
		}
		for _, r := range b.Rows {
			out = append(out, metrics.Reading{Gauge: "shianbao_outbox_rows", Labels: []string{string(r.Status), r.Kind}, Value: float64(r.N)})
		}
		return out, nil
	})
	m.Count("dependencies", ttl, []metrics.Gauge{
		{Name: "shianbao_dependency_up", Help: "1 when the dependency (database, kv) answers a ping within 2 s, as /readyz asks.", Labels: []string{"dependency"}},
	}, func(ctx context.Context) ([]metrics.Reading, error) {
		var out []metrics.Reading
		for _, d := range []struct {
			name string
			ping func(context.Context) error
		}{{"database", a.DB.Ping}, {"kv", a.KV.Ping}} {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := d.ping(pctx)
			cancel()
			out = append(out, metrics.Reading{Gauge: "shianbao_dependency_up", Labels: []string{d.name}, Value: boolValue(err == nil)})
		}
		return out, nil
	})
	queues := map[string]supervision.PhotoQueue{
		"visit":     {DB: a.DB, Table: "photos", Now: a.Clock.Now},
		"selfcheck": {DB: a.DB, Table: selfcheck.Photo{}.TableName(), Now: a.Clock.Now},
		"incident":  {DB: a.DB, Table: incident.Photo{}.TableName(), Now: a.Clock.Now},
	}
	m.Count("photos", ttl, []metrics.Gauge{
		{Name: "shianbao_photo_fetches_pending", Help: "Photos received in chat and not yet fetched from the platform, by queue.", Labels: []string{"queue"}},
		{Name: "shianbao_photo_fetch_oldest_pending_seconds", Help: "How long the oldest pending photo has waited since it was received, by queue.", Labels: []string{"queue"}},
	}, func(ctx context.Context) ([]metrics.Reading, error) {
		var out []metrics.Reading
		for _, name := range metrics.PhotoQueues {
			b, err := queues[name].Backlog(ctx)
			if err != nil {
				return nil, err
			}
			out = append(out,
				metrics.Reading{Gauge: "shianbao_photo_fetches_pending", Labels: []string{name}, Value: float64(b.Pending)},
				metrics.Reading{Gauge: "shianbao_photo_fetch_oldest_pending_seconds", Labels: []string{name}, Value: b.Oldest.Seconds()})
		}
		return out, nil
	})
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
