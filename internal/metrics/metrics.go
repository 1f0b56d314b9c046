// Package metrics holds the figures operators watch, as Prometheus metrics:
// the outbox and its sends, the WeChat callbacks' turns and refusals, the kv
// store's calls, the reminder leader and its plans, visits submitted and
// photo fetches. It is the one package that knows Prometheus besides the
// web layer's HTTP metrics and the wiring.
//
// The feature packages do not import it. Each declares the small observer
// interface it calls at its events, with plain strings and durations; Set
// implements every one of them, and internal/app hands it over. So a
// feature's tests need no registry, and a metric's name, help and buckets
// live in one file where the dashboard's author can read them all.
//
// Every label takes values from a fixed set in the code (channels,
// outcomes, operations, modes, reasons, kinds, the platform's error codes):
// never a user id, an openid, a path or free text.
package metrics

import (
	"database/sql"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Label values known in advance are exported at zero from the start, so a
// rate over them works before the first event and the dashboard never shows
// "no data" for a quiet instance.
var (
	kvOps          = []string{"get", "set", "setnx", "delete", "incr", "ttl", "compare_and_delete", "compare_and_expire", "batch", "ping"}
	sendChannels   = []string{"template", "subscribe", "custom", "robot"}
	notifyOutcomes = []string{"sent", "retried", "throttled", "deferred", "unreachable", "dead"}
	turnChannels   = []string{"oa", "wecom"}
	turnOutcomes   = []string{"answered", "late", "deduplicated"}
	refusals       = []string{"signature", "timestamp", "replay", "plaintext", "no_aes_key", "malformed", "too_large", "method", "internal", "other"}
	visitModes     = []string{"onsite", "online", "centralized", "report"}
)

// Set is the service's metrics and the registry /metrics serves.
type Set struct {
	reg *prometheus.Registry
	log *slog.Logger

	kvDuration   *prometheus.HistogramVec
	kvErrors     *prometheus.CounterVec
	sendDuration *prometheus.HistogramVec
	sendErrors   *prometheus.CounterVec
	outcomes     *prometheus.CounterVec
	turns        *prometheus.CounterVec
	refused      *prometheus.CounterVec
	lateFailed   *prometheus.CounterVec
	leader       prometheus.Gauge
	dayDone      prometheus.Gauge
	planned      *prometheus.CounterVec
	enqueued     prometheus.Counter
	visits       *prometheus.CounterVec
	photos       *prometheus.CounterVec
	countErrors  *prometheus.CounterVec
}

// New returns the metrics on a registry of their own, with the Go runtime's
// and the process's. log hears about counts that fail at scrape time.
func New(log *slog.Logger) *Set {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Set{reg: prometheus.NewRegistry(), log: log}
	s.kvDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "shianbao_kv_duration_seconds", Help: "kv store calls (Redis or in-process) by operation.",
		Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .025, .05, .1, .25, 1},
	}, []string{"op"})
	s.kvErrors = counterVec("shianbao_kv_errors_total", "kv store calls that failed, by operation (a missing key is not a failure).", "op")
	s.sendDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "shianbao_notify_send_duration_seconds", Help: "Outbox sends to the platform by channel, successful or not.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"channel"})
	s.sendErrors = counterVec("shianbao_notify_send_errors_total",
		`Outbox sends that failed, by channel and the platform's errcode ("0": no answer from the platform).`, "channel", "errcode")
	s.outcomes = counterVec("shianbao_notify_outcomes_total",
		"What dispatch attempts came to: sent, retried, throttled, deferred (rate limit), unreachable or dead (gave up).", "outcome")
	s.turns = counterVec("shianbao_callback_turns_total",
		"Chat messages from the callbacks by channel and outcome: answered in the reply, late (answered by a later message), deduplicated (a platform retry).", "channel", "outcome")
	s.refused = counterVec("shianbao_callback_refusals_total", "Callback requests refused, by channel and reason.", "channel", "reason")
	s.lateFailed = counterVec("shianbao_callback_late_reply_errors_total", "Late replies that could not be sent, by channel.", "channel")
	s.leader = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "shianbao_reminder_leader", Help: "1 while this instance holds the reminder leader lease (during a planning run).",
	})
	s.dayDone = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "shianbao_reminder_day_done_timestamp_seconds",
		Help: "When the last day's reminder run that is known done was due (Unix seconds); every instance learns it from kv.",
	})
	s.planned = counterVec("shianbao_reminders_planned_total", "Messages the reminder planner found due, by kind.", "kind")
	s.enqueued = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "shianbao_reminders_enqueued_total", Help: "Planned messages newly put in the outbox (the rest were there already).",
	})
	s.visits = counterVec("shianbao_visits_submitted_total", "Supervision visits stored, by mode.", "mode")
	s.photos = counterVec("shianbao_photo_fetches_total",
		"Photo downloads from the platform by queue (visit, selfcheck) and result: stored, or failed (retried later, given up after 8).", "queue", "result")
	s.countErrors = counterVec("shianbao_scrape_count_errors_total", "Counts made at scrape time that failed, by source.", "source")

	for _, op := range kvOps {
		s.kvDuration.WithLabelValues(op)
		s.kvErrors.WithLabelValues(op)
	}
	for _, ch := range sendChannels {
		s.sendDuration.WithLabelValues(ch)
	}
	for _, o := range notifyOutcomes {
		s.outcomes.WithLabelValues(o)
	}
	for _, ch := range turnChannels {
		s.lateFailed.WithLabelValues(ch)
		for _, o := range turnOutcomes {
			s.turns.WithLabelValues(ch, o)
		}
		for _, r := range refusals {
			s.refused.WithLabelValues(ch, r)
		}
	}
	for _, m := range visitModes {
		s.visits.WithLabelValues(m)
	}
	for _, q := range PhotoQueues {
		for _, r := range []string{"stored", "failed"} {
			s.photos.WithLabelValues(q, r)
		}
	}
	s.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		s.kvDuration, s.kvErrors, s.sendDuration, s.sendErrors, s.outcomes, s.turns, s.refused, s.lateFailed,
		s.leader, s.dayDone, s.planned, s.enqueued, s.visits, s.photos, s.countErrors,
	)
	return s
}

func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

// Registry is what /metrics serves; the web layer adds its HTTP metrics and
// the wiring the database pool's.
func (s *Set) Registry() *prometheus.Registry { return s.reg }

// KVCall records one kv store call (kv.Observer).
func (s *Set) KVCall(op string, took time.Duration, err error) {
	s.kvDuration.WithLabelValues(op).Observe(took.Seconds())
	if err != nil {
		s.kvErrors.WithLabelValues(op).Inc()
	}
}

// NotifySend records one call to the platform (notify.Observer); errcode is
// empty when the platform accepted the message.
func (s *Set) NotifySend(channel, errcode string, took time.Duration) {
	s.sendDuration.WithLabelValues(channel).Observe(took.Seconds())
	if errcode != "" {
		s.sendErrors.WithLabelValues(channel, errcode).Inc()
	}
}

// NotifyOutcome records what one dispatch attempt came to (notify.Observer).
func (s *Set) NotifyOutcome(outcome string) { s.outcomes.WithLabelValues(outcome).Inc() }

// CallbackTurn records a chat message's outcome (wechat.Observer).
func (s *Set) CallbackTurn(channel, outcome string) { s.turns.WithLabelValues(channel, outcome).Inc() }

// CallbackRefused records a refused callback request (wechat.Observer).
func (s *Set) CallbackRefused(channel, reason string) {
	s.refused.WithLabelValues(channel, reason).Inc()
}

// LateReplyFailed records a late reply that could not be sent
// (wechat.Observer).
func (s *Set) LateReplyFailed(channel string) { s.lateFailed.WithLabelValues(channel).Inc() }

// ReminderLeader records taking (true) or giving up (false) the reminder
// leader lease (reminder.Observer).
func (s *Set) ReminderLeader(held bool) {
	if held {
		s.leader.Set(1)
		return
	}
	s.leader.Set(0)
}

// RemindersPlanned records n messages of kind found due (reminder.Observer).
func (s *Set) RemindersPlanned(kind string, n int) { s.planned.WithLabelValues(kind).Add(float64(n)) }

// RemindersEnqueued records n planned messages newly queued
// (reminder.Observer).
func (s *Set) RemindersEnqueued(n int) { s.enqueued.Add(float64(n)) }

// ReminderDayDone records that the run due at due is done
// (reminder.Observer).
func (s *Set) ReminderDayDone(due time.Time) { s.dayDone.Set(float64(due.Unix())) }

// VisitSubmitted records a stored visit (supervision.VisitObserver).
func (s *Set) VisitSubmitted(mode string) { s.visits.WithLabelValues(mode).Inc() }

// PhotoQueues name the photo queues: the visits' evidence, the
// businesses' own records and the incidents' photos.
var PhotoQueues = []string{"visit", "selfcheck", "incident"}

// PhotoFetches records a photo worker's batch on queue: stored photos and
// failed attempts.
func (s *Set) PhotoFetches(queue string, stored, failed int) {
	s.photos.WithLabelValues(queue, "stored").Add(float64(stored))
	s.photos.WithLabelValues(queue, "failed").Add(float64(failed))
}

// DBPool adds the database connection pool's figures (open, in use, idle,
// waits) under the shianbao namespace.
func (s *Set) DBPool(db *sql.DB) {
	s.reg.MustRegister(collectors.NewDBStatsCollector(db, "shianbao"))
}
