package notify_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/sim"
)

// reminders enqueues one reminder each to n bound cadres (ids from first).
func (e *env) reminders(t *testing.T, first, n int) []notify.Message {
	t.Helper()
	msgs := make([]notify.Message, n)
	for i := range n {
		id := first + i
		msgs[i] = reminder(e.bind(int64(id), "o-cadre-"+strconv.Itoa(id), nil), id)
	}
	e.enqueue(t, msgs...)
	return msgs
}

// wantDeliveredOnce checks every notification was sent and reached its
// user exactly once, counted by client_msg_id at the fake API.
func (e *env) wantDeliveredOnce(t testing.TB, want int) {
	t.Helper()
	delivered := e.delivered()
	sent := 0
	for _, n := range e.all(t) {
		if n.Status != notify.StatusSent {
			continue
		}
		sent++
		if got := delivered[n.ClientMsgID()]; got != 1 {
			t.Errorf("%s delivered %d times", n.ClientMsgID(), got)
		}
	}
	if sent != want || len(delivered) != want {
		t.Errorf("%d sent, %d client_msg_ids delivered; want %d", sent, len(delivered), want)
	}
}

func TestDispatcherKilledMidBatch(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		t.Run("AfterClaiming", func(t *testing.T) {
			e.reminders(t, 1, 10)
			// A dispatcher claims ten, sends five and dies before recording any.
			claimed, err := e.service(nil).ClaimForTest(t.Context(), 10)
			if err != nil || len(claimed) != 10 {
				t.Fatalf("claim: %d, %v", len(claimed), err)
			}
			send := senders(e.client, e.robot, e.robots).Template
			for _, n := range claimed[:5] {
				data := notify.TemplateDataForTest(templates[n.Kind], &n)
				if _, err := send(t.Context(), "o-cadre-"+strconv.FormatInt(n.To.ID, 10), templates[n.Kind].ID, n.URL, data, n.ClientMsgID()); err != nil {
					t.Fatal(err)
				}
			}
			// Its lease holds: nobody else touches them.
			if sent, retried, gaveUp := e.dispatch(t, nil); sent+retried+gaveUp != 0 {
				t.Fatalf("rows taken while leased: %d %d %d", sent, retried, gaveUp)
			}
			e.clk.Advance(31 * time.Second)
			if sent, _, _ := e.dispatch(t, nil); sent != 10 {
				t.Fatalf("after the lease: sent %d, want 10", sent)
			}
			e.wantDeliveredOnce(t, 10)
			if dups := len(e.fake.CallsTo("/message/template/send")) - 10; dups != 5 {
				t.Errorf("%d repeats reached the platform, want the 5 sent before the crash", dups)
			}
		})
		t.Run("CutShortMidSend", func(t *testing.T) {
			e.reminders(t, 11, 10)
			// This dispatcher's process ends right after the platform accepted
			// its third send, before the send returns.
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			sends := senders(e.client, e.robot, e.robots)
			real, calls := sends.Template, 0
			sends.Template = func(ctx context.Context, to, tpl, url string, data map[string]string, id string) (int64, error) {
				msgID, err := real(ctx, to, tpl, url, data, id)
				if calls++; calls == 3 {
					cancel()
					return 0, ctx.Err()
				}
				return msgID, err
			}
			dying := notify.NewService(e.d, e.store, e.dir, sends, e.cfg, e.clk, nil)
			sent, _, _, err := dying.DispatchOnce(ctx, 10)
			if err != nil || sent != 2 {
				t.Fatalf("dying dispatcher: sent %d, %v", sent, err)
			}
			// The seven it never tried are free at once; the third waits for its lease.
			if sent, _, _ := e.dispatch(t, nil); sent != 7 {
				t.Fatalf("right after: sent %d, want 7", sent)
			}
			e.clk.Advance(31 * time.Second)
			if sent, _, _ := e.dispatch(t, nil); sent != 1 {
				t.Fatalf("after the lease: sent %d, want 1", sent)
			}
			e.wantDeliveredOnce(t, 20)
		})
	})
}

func TestFlakyPlatform(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.reconfigure(func(c *notify.Config) { c.QuietStart, c.QuietEnd, c.MaxAttempts = "", "", 30 })
		e.reminders(t, 1, 40)
		for i := range 3 {
			openid := "o-gone-" + strconv.Itoa(i)
			e.fake.SetUser(openid, false)
			e.enqueue(t, reminder(e.bind(int64(100+i), openid, nil), 100+i))
		}
		e.enqueue(t, reminder(notify.Recipient{Kind: notify.ToCadre, ID: 200}, 200))
		e.fake.SetErrorRate(0.3, sim.FaultHTTP500, sim.FaultDrop)

		for round := 0; ; round++ {
			if round == 100 {
				t.Fatal("not settled after 100 rounds")
			}
			e.dispatch(t, nil)
			if open := e.count(t, notify.StatusPending, notify.StatusFailed, notify.StatusSending); open == 0 {
				break
			}
			e.clk.Advance(61 * time.Minute) // past the longest backoff
		}
		e.fake.SetErrorRate(0)
		e.wantDeliveredOnce(t, 40)
		if n := e.count(t, notify.StatusUnreachable); n != 4 {
			t.Errorf("%d unreachable, want 4 (3 unfollowed, 1 unbound)", n)
		}
		if n := e.count(t, notify.StatusDead); n != 0 {
			t.Errorf("%d dead", n)
		}
		failures := 0
		for _, c := range e.fake.Calls() {
			if c.Errcode == sim.FaultHTTP500 || c.Errcode == sim.FaultDrop {
				failures++
			}
		}
		if failures == 0 {
			t.Error("no call failed: the fault injection did not happen")
		}
	})
}

// count returns how many notifications are in any of statuses.
func (e *env) count(t testing.TB, statuses ...notify.Status) int64 {
	t.Helper()
	_, n, err := e.svc.List(t.Context(), notify.Filter{Status: statuses, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGivingUp(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.reconfigure(func(c *notify.Config) { c.MaxAttempts = 3 })
		m := reminder(e.bind(1, "o-cadre-1", nil), 1)
		e.enqueue(t, m)
		e.fake.FailNext("/message/template/send", sim.FaultHTTP500, 10)
		var waits []time.Duration
		for attempt := 1; attempt <= 3; attempt++ {
			before := e.clk.Now()
			sent, retried, gaveUp := e.dispatch(t, nil)
			n := find(t, e, m.Key())
			if attempt < 3 {
				if retried != 1 || n.Status != notify.StatusFailed || n.Attempts != attempt || !strings.Contains(n.LastError, "500") {
					t.Fatalf("attempt %d: %d %d %d, %s %d %q", attempt, sent, retried, gaveUp, n.Status, n.Attempts, n.LastError)
				}
				waits = append(waits, n.NextAttemptAt.Sub(before))
				e.clk.Set(n.NextAttemptAt)
				continue
			}
			if gaveUp != 1 || n.Status != notify.StatusDead || !strings.Contains(n.LastError, "500") {
				t.Fatalf("last attempt: %s %q", n.Status, n.LastError)
			}
			for _, tok := range e.fake.IssuedTokens() {
				if strings.Contains(n.LastError, tok) {
					t.Fatal("the stored error holds an access token")
				}
			}
		}
		// 30 s then 60 s, each ±20 %.
		if waits[0] < 24*time.Second || waits[0] > 36*time.Second || waits[1] < 48*time.Second || waits[1] > 72*time.Second {
			t.Errorf("backoff %v, want about 30s and 60s", waits)
		}
	})
}

func TestThrottled(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		msgs := e.reminders(t, 1, 3)
		e.fake.FailNext("/message/template/send", 45009, 1)
		sent, retried, _ := e.dispatch(t, nil)
		if sent != 0 || retried != 3 {
			t.Fatalf("sent %d, retried %d; want the channel paused after the first", sent, retried)
		}
		if calls := e.fake.CallsTo("/message/template/send"); len(calls) != 1 {
			t.Fatalf("%d calls while paused, want 1", len(calls))
		}
		for _, m := range msgs {
			n := find(t, e, m.Key())
			if n.Attempts != 0 || n.NextAttemptAt.Before(start.Add(time.Minute)) {
				t.Errorf("%s: %s, %d attempts, next at %s; want no attempt counted and a minute's wait", m.Subject, n.Status, n.Attempts, n.NextAttemptAt)
			}
		}
		// Another instance sees the pause too.
		other := e.service(nil)
		e.clk.Advance(30 * time.Second)
		if sent, _, _ := e.dispatch(t, other); sent != 0 {
			t.Fatal("sent during the pause")
		}
		e.clk.Advance(31 * time.Second)
		if sent, _, _ := e.dispatch(t, other); sent != 3 {
			t.Fatalf("after the pause: sent %d, want 3", sent)
		}
	})
}

func TestRateLimit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.reconfigure(func(c *notify.Config) {
			c.RatePerSecond = map[notify.Channel]float64{notify.ChannelTemplate: 2}
		})
		e.reminders(t, 1, 5)
		for i, want := range []int{2, 2, 1} {
			if sent, _, _ := e.dispatch(t, nil); sent != want {
				t.Fatalf("second %d: sent %d, want %d", i, sent, want)
			}
			// A second instance shares the limit.
			if sent, _, _ := e.dispatch(t, e.service(nil)); sent != 0 {
				t.Fatalf("second %d: another instance sent %d over the limit", i, sent)
			}
			e.clk.Advance(time.Second)
		}
		if n := e.count(t, notify.StatusSent); n != 5 {
			t.Fatalf("%d sent, want 5", n)
		}
		for _, n := range e.all(t) {
			if n.Attempts != 1 {
				t.Errorf("%d attempts, want 1: waiting for the rate is not an attempt", n.Attempts)
			}
		}
	})
}

func TestConcurrentDispatchers(t *testing.T) {
	modes := []notify.ClaimMode{notify.ClaimLease, notify.ClaimSkipLocked}
	each(t, func(t *testing.T, e *env) {
		for i, mode := range modes {
			t.Run(string(mode), func(t *testing.T) {
				if mode == notify.ClaimSkipLocked && e.d.Engine() != db.MySQL {
					t.Skip("SKIP LOCKED is MySQL's")
				}
				e.fake.Reset()
				e.reminders(t, 1000*(i+1), 200)
				var wg sync.WaitGroup
				for range 4 {
					svc := e.service(func(c *notify.Config) { c.Claim, c.Workers = mode, 4 })
					wg.Go(func() {
						for {
							sent, retried, gaveUp, err := svc.DispatchOnce(t.Context(), 10)
							if err != nil {
								t.Error(err)
								return
							}
							if sent+retried+gaveUp == 0 {
								return
							}
						}
					})
				}
				wg.Wait()
				if n := e.count(t, notify.StatusPending, notify.StatusSending, notify.StatusFailed); n != 0 {
					t.Fatalf("%d left", n)
				}
				seen := map[string]int{}
				for _, c := range e.fake.CallsTo("/message/template/send") {
					seen[c.ClientMsgID]++
				}
				for id, n := range seen {
					if n != 1 {
						t.Errorf("%s sent %d times", id, n)
					}
				}
				if len(seen) != 200 {
					t.Errorf("%d sent, want 200", len(seen))
				}
			})
		}
	})
}

func TestRun(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.reminders(t, 1, 30)
		svc := e.service(func(c *notify.Config) { c.Idle = 10 * time.Millisecond })
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- svc.Run(ctx) }()
		deadline := time.Now().Add(10 * time.Second)
		for e.count(t, notify.StatusSent) < 30 {
			if time.Now().After(deadline) {
				t.Fatal("not all sent within 10s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		e.wantDeliveredOnce(t, 30)
	})
}

func TestList(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.reminders(t, 1, 3)
		e.enqueue(t, reminder(notify.Recipient{Kind: notify.ToCadre, ID: 9}, 9),
			notify.Message{Kind: "digest.weekly", To: notify.Recipient{Kind: notify.ToGroup, Group: "胡埭"}, Title: "周报", Text: "周报"})
		e.dispatch(t, nil)
		tests := []struct {
			name string
			f    notify.Filter
			want int64
		}{
			{"All", notify.Filter{}, 5},
			{"Sent", notify.Filter{Status: []notify.Status{notify.StatusSent}}, 4},
			{"CannotBeReached", notify.Filter{Status: []notify.Status{notify.StatusFailed, notify.StatusDead, notify.StatusUnreachable}}, 1},
			{"Kind", notify.Filter{Kind: "digest.weekly"}, 1},
			{"Person", notify.Filter{Recipient: &notify.Recipient{Kind: notify.ToCadre, ID: 2}}, 1},
			{"Group", notify.Filter{Recipient: &notify.Recipient{Kind: notify.ToGroup, Group: "胡埭"}}, 1},
			{"Since", notify.Filter{Since: start.Add(time.Second)}, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ns, total, err := e.svc.List(t.Context(), tt.f)
				if err != nil || total != tt.want || int64(len(ns)) != tt.want {
					t.Fatalf("List = %d rows, total %d, %v; want %d", len(ns), total, err, tt.want)
				}
			})
		}
		t.Run("Paged", func(t *testing.T) {
			ns, total, err := e.svc.List(t.Context(), notify.Filter{Limit: 2, Offset: 1})
			if err != nil || total != 5 || len(ns) != 2 || ns[0].ID < ns[1].ID {
				t.Fatalf("page: %d rows, total %d, %v", len(ns), total, err)
			}
		})
		t.Run("ErrBadStatus", func(t *testing.T) {
			if _, _, err := e.svc.List(t.Context(), notify.Filter{Status: []notify.Status{"lost"}}); err == nil {
				t.Fatal("unknown status accepted")
			}
		})
	})
}

// brokenCounters is a kv store whose counters and batches fail.
type brokenCounters struct{ kv.Store }

func (brokenCounters) Incr(context.Context, string, time.Duration) (int64, error) {
	return 0, errors.New("kv down")
}

func (brokenCounters) Batch(context.Context, ...*kv.Op) error { return errors.New("kv down") }

func TestRateLimitStoreDown(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.reminders(t, 1, 3)
		svc := notify.NewService(e.d, brokenCounters{e.store}, e.dir, senders(e.client, e.robot, e.robots),
			notify.Config{Templates: templates, RatePerSecond: map[notify.Channel]float64{notify.ChannelTemplate: 1}}, e.clk, nil)
		// The platform's own limits stand behind ours: without kv, send.
		if sent, _, _ := e.dispatch(t, svc); sent != 3 {
			t.Fatalf("sent %d, want 3", sent)
		}
	})
}
