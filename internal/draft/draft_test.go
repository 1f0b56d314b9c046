package draft_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/dialog/dialogtest"
	"github.com/shianbao/shianbao/internal/draft"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
)

var t0 = time.Date(2026, 11, 20, 9, 30, 0, 0, clock.China)

func TestStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := clock.NewFixed(t0)
		s := draft.NewStore(d, clk)

		t.Run("OK", func(t *testing.T) {
			if got, err := s.Load(ctx, "oa:u1"); err != nil || got != nil {
				t.Fatalf("Load before Save = %+v, %v", got, err)
			}
			in := dialog.Draft{User: "oa:u1", Flow: "visit", Label: "阿明面馆", State: []byte(`{"a":"现场"}`),
				UpdatedAt: t0, ExpiresAt: t0.Add(7 * 24 * time.Hour)}
			if err := s.Save(ctx, in); err != nil {
				t.Fatal(err)
			}
			got, err := s.Load(ctx, "oa:u1")
			if err != nil || got == nil {
				t.Fatalf("Load = %+v, %v", got, err)
			}
			if got.User != in.User || got.Flow != in.Flow || got.Label != in.Label || string(got.State) != string(in.State) ||
				!got.UpdatedAt.Equal(in.UpdatedAt) || !got.ExpiresAt.Equal(in.ExpiresAt) {
				t.Fatalf("Load = %+v\nwant %+v", got, in)
			}
		})

		t.Run("Upsert", func(t *testing.T) {
			for i, label := range []string{"第一次", "第二次"} {
				err := s.Save(ctx, dialog.Draft{User: "oa:u2", Flow: "visit", Label: label, State: []byte{'0' + byte(i)},
					UpdatedAt: t0.Add(time.Duration(i) * time.Minute), ExpiresAt: t0.Add(time.Hour)})
				if err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.Load(ctx, "oa:u2")
			if err != nil || got == nil || got.Label != "第二次" || string(got.State) != "1" || !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
				t.Fatalf("Load after two saves = %+v, %v", got, err)
			}
		})

		t.Run("CaseSensitiveUsers", func(t *testing.T) {
			for _, u := range []string{"oa:oAbC", "oa:oabc"} {
				if err := s.Save(ctx, dialog.Draft{User: u, Flow: "visit", Label: u, State: []byte("{}"), ExpiresAt: t0.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			for _, u := range []string{"oa:oAbC", "oa:oabc"} {
				if got, err := s.Load(ctx, u); err != nil || got == nil || got.Label != u {
					t.Fatalf("Load(%s) = %+v, %v", u, got, err)
				}
			}
		})

		t.Run("LongLabel", func(t *testing.T) {
			long := strings.Repeat("店", 200)
			if err := s.Save(ctx, dialog.Draft{User: "oa:u3", Flow: "visit", Label: long, State: []byte("{}")}); err != nil {
				t.Fatal(err)
			}
			got, err := s.Load(ctx, "oa:u3")
			if err != nil || got == nil || got.Label != long[:128*len("店")] {
				t.Fatalf("Load = %+v, %v", got, err)
			}
			if !got.ExpiresAt.Equal(t0.Add(7 * 24 * time.Hour)) {
				t.Fatalf("default expiry = %v", got.ExpiresAt)
			}
		})

		t.Run("Invalid", func(t *testing.T) {
			for _, bad := range []dialog.Draft{
				{Flow: "visit", State: []byte("{}")},
				{User: "oa:u4", State: []byte("{}")},
				{User: strings.Repeat("u", 161), Flow: "visit"},
			} {
				if err := s.Save(ctx, bad); err == nil {
					t.Errorf("Save(%+v) succeeded", bad)
				}
			}
			err := s.Save(ctx, dialog.Draft{User: "oa:u4", Flow: "visit", State: make([]byte, 70000)})
			if !errs.Is(err, errs.TooLarge) {
				t.Errorf("a 70 KB state: %v", err)
			}
		})

		t.Run("Delete", func(t *testing.T) {
			if err := s.Save(ctx, dialog.Draft{User: "oa:u5", Flow: "visit", State: []byte("{}"), ExpiresAt: t0.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if err := s.Delete(ctx, "oa:u5"); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := s.Load(ctx, "oa:u5"); err != nil || got != nil {
				t.Fatalf("Load after Delete = %+v, %v", got, err)
			}
		})

		t.Run("ExpiryAndPurge", func(t *testing.T) {
			if _, err := s.Purge(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.Save(ctx, dialog.Draft{User: "oa:u6", Flow: "visit", State: []byte("{}"), UpdatedAt: t0, ExpiresAt: t0.Add(2 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			clk.Advance(2 * time.Hour)
			if got, err := s.Load(ctx, "oa:u6"); err != nil || got != nil {
				t.Fatalf("Load of an expired draft = %+v, %v", got, err)
			}
			n, err := s.Purge(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// oa:u2 and the case pair expired after an hour, oa:u6 now; the
			// 7-day draft of oa:u1 and oa:u3 stay.
			if n != 4 {
				t.Fatalf("purged %d, want 4", n)
			}
			if got, err := s.Load(ctx, "oa:u1"); err != nil || got == nil {
				t.Fatalf("a live draft went: %+v, %v", got, err)
			}
		})
	}, draft.Schema)
}

// TestResumeAfterRestart runs the engine on the database store: the app
// closes mid-flow (its kv store is lost) and the draft resumes.
func TestResumeAfterRestart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := clock.NewFixed(t0)
		store := draft.NewStore(d, clk)
		var submitted *dialog.Session
		flow := &dialog.Flow{
			Name:  "note",
			Noun:  "记录",
			Label: func(s *dialog.Session) string { return s.Get("title") },
			Steps: func(context.Context, *dialog.Session) ([]dialog.Step, error) {
				return []dialog.Step{
					{Key: "title", Kind: dialog.KindText, Prompt: prompt("标题？"),
						Validate: func(_ context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
							s.Put("title", v.Text)
							return v, "", nil
						}},
					{Key: "when", Kind: dialog.KindDate, Prompt: prompt("日期？")},
					{Key: "ok", Kind: dialog.KindYesNo, Prompt: prompt("提交吗？")},
				}, nil
			},
			Submit: func(_ context.Context, s *dialog.Session) (dialog.Reply, error) {
				submitted = s
				return dialog.Reply{Text: "已提交。"}, nil
			},
		}
		engine := func() *dialog.Engine {
			m := kv.NewMemory()
			t.Cleanup(func() { m.Close() })
			return dialog.New(dialog.Options{KV: m, Drafts: store, Clock: clk}, flow)
		}
		c := dialogtest.New(t, engine(), "oa:u1")
		c.Clock = clk
		c.Start("note", nil)
		c.Say("周会")
		c.Say("明天")
		c.Switch(engine())
		c.Note("服务重启")
		if r := c.Say("你好"); r.Text != "继续上次「周会」的记录吗？回复 1 继续 / 2 放弃" {
			t.Fatalf("resume question: %q", r.Text)
		}
		if r := c.Say("1"); !strings.HasSuffix(r.Text, "提交吗？\n（回复 1 是 / 2 否）") {
			t.Fatalf("resumed at: %q", r.Text)
		}
		if r := c.Say("是"); !r.Done || submitted == nil {
			t.Fatalf("submit: %+v", r)
		}
		if v, _ := submitted.Answer("when"); v.Date.Format(time.DateOnly) != "2026-11-21" {
			t.Fatalf("date after the round trip = %v", v.Date)
		}
		if got, err := store.Load(context.Background(), "oa:u1"); err != nil || got != nil {
			t.Fatalf("draft after submit = %+v, %v", got, err)
		}
	}, draft.Schema)
}

func prompt(s string) func(context.Context, *dialog.Session) (string, error) {
	return func(context.Context, *dialog.Session) (string, error) { return s, nil }
}
