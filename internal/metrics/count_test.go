package metrics_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/metrics"
)

var backlog = []metrics.Gauge{{Name: "test_rows", Help: "Rows by status.", Labels: []string{"status"}}}

// counter is a count that says how often it ran and can be made to fail.
type counter struct {
	runs atomic.Int64
	fail atomic.Bool
}

func (c *counter) read(ctx context.Context) ([]metrics.Reading, error) {
	n := c.runs.Add(1)
	if c.fail.Load() {
		return nil, errors.New("database away")
	}
	return []metrics.Reading{{Gauge: "test_rows", Labels: []string{"pending"}, Value: float64(n)}}, nil
}

func TestCountIsCached(t *testing.T) {
	s := metrics.New(nil)
	c := &counter{}
	s.Count("test", time.Hour, backlog, c.read)
	// A storm of scrapes at once makes one count.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := s.Registry().Gather(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := c.runs.Load(); got != 1 {
		t.Fatalf("%d counts for 20 scrapes within the ttl, want 1", got)
	}
	if n, err := seriesOf(s, "test_rows"); n != 1 || err != nil {
		t.Fatalf("test_rows series: %d, %v", n, err)
	}
}

func TestCountEveryScrape(t *testing.T) {
	s := metrics.New(nil)
	c := &counter{}
	s.Count("test", -1, backlog, c.read)
	for range 3 {
		if _, err := s.Registry().Gather(); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.runs.Load(); got != 3 {
		t.Fatalf("%d counts for 3 scrapes with a negative ttl", got)
	}
}

func TestCountFailureLeavesGaugesOut(t *testing.T) {
	s := metrics.New(nil)
	c := &counter{}
	c.fail.Store(true)
	s.Count("test", time.Hour, backlog, c.read)
	for range 2 {
		if n, err := seriesOf(s, "test_rows"); n != 0 || err != nil {
			t.Fatalf("after a failed count: %d series, %v", n, err)
		}
	}
	// The failure is remembered for the ttl: the database is asked once.
	if got := c.runs.Load(); got != 1 {
		t.Fatalf("%d counts, want 1", got)
	}
	mfs, err := s.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "shianbao_scrape_count_errors_total" {
			if v := mf.GetMetric()[0].GetCounter().GetValue(); v != 1 {
				t.Fatalf("count errors %v, want 1", v)
			}
			return
		}
	}
	t.Fatal("shianbao_scrape_count_errors_total not exposed")
}

func TestObserversMoveTheirMetrics(t *testing.T) {
	s := metrics.New(nil)
	s.KVCall("get", time.Millisecond, nil)
	s.KVCall("get", time.Millisecond, errors.New("down"))
	s.NotifySend("template", "", 10*time.Millisecond)
	s.NotifySend("template", "45009", 10*time.Millisecond)
	s.CallbackTurn("oa", "late")
	s.VisitSubmitted("onsite")
	s.ReminderLeader(true)
	s.ReminderDayDone(time.Unix(1_800_000_000, 0))
	for name, want := range map[string]float64{
		`shianbao_kv_errors_total{op="get"}`:                                    1,
		`shianbao_notify_send_errors_total{channel="template",errcode="45009"}`: 1,
		`shianbao_callback_turns_total{channel="oa",outcome="late"}`:            1,
		`shianbao_visits_submitted_total{mode="onsite"}`:                        1,
		`shianbao_reminder_leader`:                                              1,
		`shianbao_reminder_day_done_timestamp_seconds`:                          1_800_000_000,
	} {
		if got := value(t, s, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

// value reads one series (name{label="value",...}, labels in order).
func value(t *testing.T, s *metrics.Set, series string) float64 {
	t.Helper()
	mfs, err := s.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			if len(m.GetLabel()) > 0 {
				name += "{"
				for i, l := range m.GetLabel() {
					if i > 0 {
						name += ","
					}
					name += l.GetName() + `="` + l.GetValue() + `"`
				}
				name += "}"
			}
			if name != series {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("series %s not found", series)
	return 0
}

// seriesOf counts the series of a metric family.
func seriesOf(s *metrics.Set, name string) (int, error) {
	mfs, err := s.Registry().Gather()
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric()), err
		}
	}
	return 0, err
}
