package notify_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/sim"
)

func TestTemplateDelivery(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		to := e.bind(1, "o-cadre-1", nil)
		m := reminder(to, 1)
		m.Title = "胡埭镇马鞍村3家包保主体本季度尚未督导请尽快安排"
		e.enqueue(t, m)
		if sent, retried, gaveUp := e.dispatch(t, nil); sent != 1 || retried+gaveUp != 0 {
			t.Fatalf("dispatch = %d sent, %d retried, %d given up", sent, retried, gaveUp)
		}
		n := e.only(t)
		calls := e.fake.CallsTo("/message/template/send")
		if len(calls) != 1 {
			t.Fatalf("%d template calls, want 1", len(calls))
		}
		c := calls[0]
		if c.ClientMsgID != "sab-"+strconv.FormatInt(n.ID, 10) || c.ToUser != "o-cadre-1" {
			t.Errorf("call client_msg_id %q to %q", c.ClientMsgID, c.ToUser)
		}
		// Fields are cut to 20 characters, the last an ellipsis.
		if want := "thing1: 胡埭镇马鞍村3家包保主体本季度尚未督导…\ntime2: 12月31日"; c.Content != want {
			t.Errorf("content %q, want %q", c.Content, want)
		}
		if !strings.Contains(string(c.Body), `"url":"https://example.org/h5/tasks"`) {
			t.Errorf("body %s has no url", c.Body)
		}
		if n.Status != notify.StatusSent || n.SentVia != notify.ChannelTemplate || n.ToUser != "o-cadre-1" ||
			n.PlatformMsgID != c.MsgID || n.Attempts != 1 || n.SentAt == nil || !n.SentAt.Equal(start) {
			t.Fatalf("after send: %+v", n)
		}
		// Nothing is due any more.
		if sent, retried, gaveUp := e.dispatch(t, nil); sent+retried+gaveUp != 0 {
			t.Fatalf("second dispatch did something: %d %d %d", sent, retried, gaveUp)
		}

		t.Run("ReceiptSuccess", func(t *testing.T) {
			if err := e.svc.TemplateFinished(t.Context(), n.PlatformMsgID, "success"); err != nil {
				t.Fatal(err)
			}
			if got := e.only(t); got.Status != notify.StatusDelivered {
				t.Fatalf("status %s, want delivered", got.Status)
			}
			// A repeated receipt, or one for a message we never sent, changes nothing.
			for _, id := range []int64{n.PlatformMsgID, 424242} {
				if err := e.svc.TemplateFinished(t.Context(), id, "failed:user block"); err != nil {
					t.Fatal(err)
				}
			}
			if got := e.only(t); got.Status != notify.StatusDelivered {
				t.Fatalf("status %s after a late receipt, want delivered", got.Status)
			}
		})
		t.Run("ReceiptUserBlock", func(t *testing.T) {
			id := sendOne(t, e, reminder(e.bind(2, "o-cadre-2", nil), 2))
			if err := e.svc.TemplateFinished(t.Context(), id.PlatformMsgID, "failed:user block"); err != nil {
				t.Fatal(err)
			}
			got := find(t, e, id.Key)
			if got.Status != notify.StatusUnreachable || !strings.Contains(got.LastError, "user block") {
				t.Fatalf("after user block: %s %q", got.Status, got.LastError)
			}
		})
		t.Run("ReceiptSystemFailedThenRetry", func(t *testing.T) {
			first := sendOne(t, e, reminder(e.bind(3, "o-cadre-3", nil), 3))
			if err := e.svc.TemplateFinished(t.Context(), first.PlatformMsgID, "failed:system failed"); err != nil {
				t.Fatal(err)
			}
			if got := find(t, e, first.Key); got.Status != notify.StatusDead || got.LastError == "" {
				t.Fatalf("after system failed: %s %q", got.Status, got.LastError)
			}
			if err := e.svc.Retry(t.Context(), first.ID); err != nil {
				t.Fatalf("Retry: %v", err)
			}
			if got := find(t, e, first.Key); got.Status != notify.StatusPending || got.Attempts != 0 {
				t.Fatalf("after retry: %s, %d attempts", got.Status, got.Attempts)
			}
			e.dispatch(t, nil)
			got := find(t, e, first.Key)
			want := "sab-" + strconv.FormatInt(first.ID, 10) + "-1"
			if got.Status != notify.StatusSent || e.delivered()[want] != 1 || got.PlatformMsgID == first.PlatformMsgID {
				t.Fatalf("resend: %s, platform id %d (was %d), delivered %v", got.Status, got.PlatformMsgID, first.PlatformMsgID, e.delivered())
			}
		})
	})
}

// sendOne enqueues m, dispatches and returns it sent.
func sendOne(t *testing.T, e *env, m notify.Message) notify.Notification {
	t.Helper()
	e.enqueue(t, m)
	e.dispatch(t, nil)
	n := find(t, e, m.Key())
	if n.Status != notify.StatusSent {
		t.Fatalf("%s not sent: %s %q", m.Key(), n.Status, n.LastError)
	}
	return n
}

func TestUnreachable(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.fake.SetUser("o-gone", false)
		gone := e.bind(1, "o-gone", nil)
		unbound := notify.Recipient{Kind: notify.ToCadre, ID: 2}
		wecomOnly := notify.Recipient{Kind: notify.ToManager, ID: 3}
		e.dir.addrs[wecomOnly] = []notify.Address{{Channel: "wecom", UserID: "lisi", Reachable: true}}
		unsubscribed := notify.Recipient{Kind: notify.ToContact, ID: 4}
		e.dir.addrs[unsubscribed] = []notify.Address{{Channel: "oa", UserID: "o-unsub", Reachable: false}}
		e.enqueue(t, reminder(gone, 1), reminder(unbound, 2), reminder(wecomOnly, 3), reminder(unsubscribed, 4))

		if sent, retried, gaveUp := e.dispatch(t, nil); sent+retried != 0 || gaveUp != 4 {
			t.Fatalf("dispatch = %d sent, %d retried, %d given up", sent, retried, gaveUp)
		}
		want := map[notify.Recipient]string{gone: "43004", unbound: "未绑定微信", wecomOnly: "企业微信", unsubscribed: "取消关注"}
		for _, n := range e.all(t) {
			if n.Status != notify.StatusUnreachable || !strings.Contains(n.LastError, want[n.To]) {
				t.Errorf("%v: %s %q, want unreachable saying %q", n.To, n.Status, n.LastError, want[n.To])
			}
		}
		if len(e.dir.marked) != 1 || e.dir.marked[0] != "oa:o-gone" {
			t.Errorf("marked unreachable: %v", e.dir.marked)
		}
		// Only the bound, following-status-unknown user cost a call.
		if calls := e.fake.CallsTo("/message/template/send"); len(calls) != 1 {
			t.Errorf("%d template calls, want 1", len(calls))
		}

		t.Run("RetryAfterBinding", func(t *testing.T) {
			n := find(t, e, reminder(unbound, 2).Key())
			e.bind(2, "o-now-bound", nil)
			if err := e.svc.Retry(t.Context(), n.ID); err != nil {
				t.Fatal(err)
			}
			e.dispatch(t, nil)
			if got := find(t, e, n.Key); got.Status != notify.StatusSent || got.ToUser != "o-now-bound" {
				t.Fatalf("after binding: %s to %q", got.Status, got.ToUser)
			}
			// Its first send: the platform never saw it, so the same client_msg_id.
			if e.delivered()["sab-"+strconv.FormatInt(n.ID, 10)] != 1 {
				t.Errorf("delivered: %v", e.delivered())
			}
		})
		t.Run("RetryErrors", func(t *testing.T) {
			if err := e.svc.Retry(t.Context(), 99999); !errs.Is(err, errs.NotFound) {
				t.Errorf("unknown id: %v", err)
			}
			sent := find(t, e, reminder(unbound, 2).Key())
			if err := e.svc.Retry(t.Context(), sent.ID); !errs.Is(err, errs.Conflict) {
				t.Errorf("sent one: %v", err)
			}
		})
	})
}

func TestCustomMessageWindow(t *testing.T) {
	recent := start.Add(-time.Hour)
	stale := start.Add(-49 * time.Hour)
	tests := []struct {
		name      string
		kind      string
		channel   notify.Channel
		last      *time.Time
		fail45015 bool
		wantVia   notify.Channel
		wantErr   string // for unreachable
	}{
		{"InWindow", "reminder.due", notify.ChannelCustom, &recent, false, notify.ChannelCustom, ""},
		{"OutsideWindow", "reminder.due", notify.ChannelCustom, &stale, false, notify.ChannelTemplate, ""},
		{"NeverWrote", "reminder.due", notify.ChannelCustom, nil, false, notify.ChannelTemplate, ""},
		{"Platform45015", "reminder.due", notify.ChannelCustom, &recent, true, notify.ChannelTemplate, ""},
		{"NoTemplateInWindow", "visit.receipt", "", &recent, false, notify.ChannelCustom, ""},
		{"NoTemplateOutsideWindow", "visit.receipt", notify.ChannelCustom, &stale, false, "", "48小时"},
		{"NoTemplate45015", "visit.receipt", notify.ChannelCustom, &recent, true, "", "48小时"},
	}
	each(t, func(t *testing.T, e *env) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e.fake.Reset()
				if tt.fail45015 {
					e.fake.FailNext("/message/custom/send", 45015, 1)
				}
				m := reminder(e.bind(int64(100+i), "o-window-"+strconv.Itoa(i), tt.last), i)
				m.Kind, m.Channel = tt.kind, tt.channel
				e.enqueue(t, m)
				e.dispatch(t, nil)
				n := find(t, e, m.Key())
				if tt.wantErr != "" {
					if n.Status != notify.StatusUnreachable || !strings.Contains(n.LastError, tt.wantErr) {
						t.Fatalf("%s %q, want unreachable saying %q", n.Status, n.LastError, tt.wantErr)
					}
					return
				}
				if n.Status != notify.StatusSent || n.SentVia != tt.wantVia {
					t.Fatalf("%s via %q (%q), want sent via %s", n.Status, n.SentVia, n.LastError, tt.wantVia)
				}
				if tt.wantVia == notify.ChannelCustom {
					calls := e.fake.CallsTo("/message/custom/send")
					c := calls[len(calls)-1]
					if !c.Delivered() || !strings.Contains(c.Content, m.Text) || !strings.Contains(c.Content, `href="https://example.org/h5/tasks"`) {
						t.Errorf("custom call %+v", c)
					}
				}
			})
		}
	})
}

func TestRobot(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		group := notify.Recipient{Kind: notify.ToGroup, Group: "胡埭"}
		digest := func(week int) notify.Message {
			return notify.Message{Kind: "digest.weekly", To: group, Cycle: "2026W" + strconv.Itoa(week), Title: "本周督导进度",
				Text: "## 胡埭镇本周督导进度\n已督导 **812** / 979 家", URL: "https://example.org/h5/progress"}
		}
		e.enqueue(t, digest(1), notify.Message{Kind: "digest.weekly", To: notify.Recipient{Kind: notify.ToGroup, Group: "无此群"}, Title: "x"})
		if sent, _, gaveUp := e.dispatch(t, nil); sent != 1 || gaveUp != 1 {
			t.Fatalf("sent %d, gave up %d", sent, gaveUp)
		}
		calls := e.fake.CallsTo("/cgi-bin/webhook/send")
		if len(calls) != 1 || calls[0].MsgType != "markdown" || !strings.Contains(calls[0].Content, "已督导 **812**") ||
			!strings.Contains(calls[0].Content, "(https://example.org/h5/progress)") {
			t.Fatalf("robot calls %+v", calls)
		}
		for _, n := range e.all(t) {
			if n.To.Group == "无此群" && (n.Status != notify.StatusUnreachable || !strings.Contains(n.LastError, "机器人")) {
				t.Errorf("unknown group: %s %q", n.Status, n.LastError)
			}
		}

		t.Run("TwentyAMinute", func(t *testing.T) {
			var msgs []notify.Message
			for w := 2; w <= 21; w++ {
				msgs = append(msgs, digest(w))
			}
			e.enqueue(t, msgs...)
			sent, retried, _ := e.dispatch(t, nil)
			if sent != 19 || retried != 1 {
				t.Fatalf("sent %d, retried %d; want 19 (20 a minute, one sent before) and 1", sent, retried)
			}
			for _, n := range e.all(t) {
				if n.Status == notify.StatusFailed && (n.Attempts != 0 || !n.NextAttemptAt.After(start)) {
					t.Errorf("throttled one: %d attempts (throttling does not count), next at %s", n.Attempts, n.NextAttemptAt)
				}
			}
		})
	})
}

func TestQuietHours(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		night := time.Date(2026, 11, 28, 23, 0, 0, 0, clock.China)
		morning := time.Date(2026, 11, 29, 7, 30, 0, 0, clock.China)
		e.clk.Set(night)
		m := reminder(e.bind(1, "o-night", nil), 1)
		e.enqueue(t, m)
		if sent, retried, gaveUp := e.dispatch(t, nil); sent+retried+gaveUp != 0 {
			t.Fatalf("dispatched at 23:00: %d %d %d", sent, retried, gaveUp)
		}
		if n := find(t, e, m.Key()); n.Status != notify.StatusPending || !n.NextAttemptAt.Equal(morning) || n.Attempts != 0 {
			t.Fatalf("held: %s next %s, %d attempts", n.Status, n.NextAttemptAt.In(clock.China), n.Attempts)
		}
		e.clk.Set(morning.Add(-time.Minute))
		if sent, _, _ := e.dispatch(t, nil); sent != 0 {
			t.Fatal("sent at 07:29")
		}
		e.clk.Set(morning.Add(time.Minute))
		if sent, _, _ := e.dispatch(t, nil); sent != 1 {
			t.Fatal("not sent at 07:31")
		}

		t.Run("RetryIntoQuietHours", func(t *testing.T) {
			e.clk.Set(time.Date(2026, 11, 29, 21, 59, 50, 0, clock.China))
			e.fake.FailNext("/message/template/send", sim.FaultHTTP500, 1)
			m := reminder(e.bind(2, "o-late", nil), 2)
			e.enqueue(t, m)
			if _, retried, _ := e.dispatch(t, nil); retried != 1 {
				t.Fatal("not retried")
			}
			want := time.Date(2026, 11, 30, 7, 30, 0, 0, clock.China)
			if n := find(t, e, m.Key()); n.Status != notify.StatusFailed || !n.NextAttemptAt.Equal(want) {
				t.Fatalf("retry at %s, want %s", n.NextAttemptAt.In(clock.China), want)
			}
		})
	})
}

func TestSubscribeAndFallback(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.reconfigure(func(c *notify.Config) {
			c.SubscribeTemplates = map[string]notify.Template{"letter.issued": {ID: "sub-letter", Fields: map[string]string{"thing1": "title"}}}
		})
		letter := func(id int64, openid string) notify.Message {
			return notify.Message{Kind: "letter.issued", To: e.bind(id, openid, nil), Channel: notify.ChannelSubscribe,
				Subject: "letter:" + strconv.FormatInt(id, 10), Title: "督导提示函", Fields: map[string]string{"business": "阿英面馆"}}
		}
		t.Run("Subscribe", func(t *testing.T) {
			m := letter(1, "o-boss-1")
			n := sendOne(t, e, m)
			calls := e.fake.CallsTo("/message/subscribe/bizsend")
			if n.SentVia != notify.ChannelSubscribe || len(calls) != 1 || calls[0].Content != "thing1: 督导提示函" {
				t.Fatalf("via %s, calls %+v", n.SentVia, calls)
			}
		})
		t.Run("RefusedFallsBackToTemplate", func(t *testing.T) {
			e.fake.FailNext("/message/subscribe/bizsend", 43101, 1)
			n := sendOne(t, e, letter(2, "o-boss-2"))
			if n.SentVia != notify.ChannelTemplate {
				t.Fatalf("via %s, want template", n.SentVia)
			}
		})
		t.Run("FallbackTemplate", func(t *testing.T) {
			e.reconfigure(func(c *notify.Config) {
				c.Fallback = &notify.Template{ID: "tpl-demo", Fields: map[string]string{"thing1": "title"}}
			})
			m := reminder(e.bind(3, "o-cadre-3", nil), 3)
			m.Kind = "visit.receipt"
			n := sendOne(t, e, m)
			calls := e.fake.CallsTo("/message/template/send")
			if n.SentVia != notify.ChannelTemplate || !strings.Contains(string(calls[len(calls)-1].Body), `"template_id":"tpl-demo"`) {
				t.Fatalf("via %s, body %s", n.SentVia, calls[len(calls)-1].Body)
			}
		})
	})
}

// TestUrgent: an urgent message goes at 23:00 while a routine one waits for
// the morning, and its retry is not pushed past the quiet hours either.
func TestUrgent(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		night := time.Date(2026, 11, 28, 23, 0, 0, 0, clock.China)
		morning := time.Date(2026, 11, 29, 7, 30, 0, 0, clock.China)
		e.clk.Set(night)
		routine := reminder(e.bind(1, "o-routine", nil), 1)
		urgent := reminder(e.bind(2, "o-urgent", nil), 2)
		urgent.Urgent = true
		e.enqueue(t, routine, urgent)
		if n := find(t, e, urgent.Key()); !n.Urgent || !n.NextAttemptAt.Equal(night) {
			t.Fatalf("urgent row: urgent %v, next %s; want due at once", n.Urgent, n.NextAttemptAt.In(clock.China))
		}
		if sent, retried, gaveUp := e.dispatch(t, nil); sent != 1 || retried+gaveUp != 0 {
			t.Fatalf("dispatched at 23:00: %d %d %d; want the urgent one sent", sent, retried, gaveUp)
		}
		if n := find(t, e, urgent.Key()); n.Status != notify.StatusSent {
			t.Fatalf("urgent: %s", n.Status)
		}
		if n := find(t, e, routine.Key()); n.Status != notify.StatusPending || !n.NextAttemptAt.Equal(morning) || n.Attempts != 0 {
			t.Fatalf("routine: %s next %s, %d attempts; want held until 07:30", n.Status, n.NextAttemptAt.In(clock.China), n.Attempts)
		}

		t.Run("RetryAtNight", func(t *testing.T) {
			e.fake.FailNext("/message/template/send", sim.FaultHTTP500, 1)
			m := reminder(e.bind(3, "o-urgent-retry", nil), 3)
			m.Urgent = true
			e.enqueue(t, m)
			if _, retried, _ := e.dispatch(t, nil); retried != 1 {
				t.Fatal("not retried")
			}
			n := find(t, e, m.Key())
			if n.Status != notify.StatusFailed || !n.NextAttemptAt.Before(night.Add(time.Hour)) {
				t.Fatalf("retry at %s, want within the hour, not after the quiet hours", n.NextAttemptAt.In(clock.China))
			}
			e.clk.Set(n.NextAttemptAt)
			if sent, _, _ := e.dispatch(t, nil); sent != 1 {
				t.Fatal("urgent retry not sent at night")
			}
		})
	})
}
