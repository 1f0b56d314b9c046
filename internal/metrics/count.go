package metrics

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultCountTTL is how long a count made at scrape time is reused: Prometheus
// scrapes every 15–60 s, so a few seconds keeps a storm of scrapes (several
// Prometheus servers, a dashboard's refresh, a curl loop) from loading the
// database while a normal scrape always sees a fresh count.
const DefaultCountTTL = 5 * time.Second

// countTimeout bounds one count, so a slow database cannot hold a scrape.
const countTimeout = 5 * time.Second

// Gauge is a gauge family a Count fills.
type Gauge struct {
	Name, Help string
	Labels     []string
}

// Reading is one value of a Count: the gauge it belongs to (by name) and its
// label values, in the gauge's order.
type Reading struct {
	Gauge  string
	Labels []string
	Value  float64
}

// Count adds gauges whose values read works out at scrape time (typically
// one grouped query), reusing its answer for ttl (DefaultCountTTL when 0;
// a negative ttl counts at every scrape). Concurrent scrapes wait for one
// count rather than each making its own. When read fails, the gauges are
// left out of that scrape (an alert on absent() sees it) and
// shianbao_scrape_count_errors_total{source} counts the failure.
func (s *Set) Count(source string, ttl time.Duration, gauges []Gauge, read func(ctx context.Context) ([]Reading, error)) {
	if ttl == 0 {
		ttl = DefaultCountTTL
	}
	c := &counted{set: s, source: source, ttl: ttl, read: read, descs: map[string]*prometheus.Desc{}}
	for _, g := range gauges {
		c.order = append(c.order, g.Name)
		c.descs[g.Name] = prometheus.NewDesc(g.Name, g.Help, g.Labels, nil)
	}
	s.countErrors.WithLabelValues(source)
	s.reg.MustRegister(c)
}

// counted is the collector of one Count.
type counted struct {
	set    *Set
	source string
	ttl    time.Duration
	read   func(ctx context.Context) ([]Reading, error)
	order  []string
	descs  map[string]*prometheus.Desc

	mu       sync.Mutex
	at       time.Time
	readings []Reading
	ok       bool
}

func (c *counted) Describe(ch chan<- *prometheus.Desc) {
	for _, name := range c.order {
		ch <- c.descs[name]
	}
}

func (c *counted) Collect(ch chan<- prometheus.Metric) {
	for _, r := range c.current() {
		desc := c.descs[r.Gauge]
		if desc == nil {
			ch <- prometheus.NewInvalidMetric(c.descs[c.order[0]], fmt.Errorf("count %s: no gauge %q", c.source, r.Gauge))
			continue
		}
		m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, r.Value, r.Labels...)
		if err != nil {
			// A reading that does not fit its gauge is a bug in read: say so
			// in the scrape rather than hide it.
			m = prometheus.NewInvalidMetric(c.descs[c.order[0]], err)
		}
		ch <- m
	}
}

// current returns the readings, counting anew when the last count is older
// than ttl. A failed count is remembered for ttl too, so a database in
// trouble is not asked again by every scrape.
func (c *counted) current() []Reading {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ttl > 0 && !c.at.IsZero() && time.Since(c.at) < c.ttl {
		if !c.ok {
			return nil
		}
		return c.readings
	}
	ctx, cancel := context.WithTimeout(context.Background(), countTimeout)
	defer cancel()
	readings, err := c.read(ctx)
	c.at = time.Now()
	if err != nil {
		c.set.countErrors.WithLabelValues(c.source).Inc()
		c.set.log.Warn("metrics: count failed", "source", c.source, "err", err.Error())
		c.readings, c.ok = nil, false
		return nil
	}
	c.readings, c.ok = readings, true
	return readings
}
