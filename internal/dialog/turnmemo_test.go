package dialog_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/kv"
)

// countingDrafts counts what reaches the draft store.
type countingDrafts struct {
	dialog.DraftStore
	loads, deletes atomic.Int64
}

func (c *countingDrafts) Load(ctx context.Context, user string) (*dialog.Draft, error) {
	c.loads.Add(1)
	return c.DraftStore.Load(ctx, user)
}

func (c *countingDrafts) Delete(ctx context.Context, user string) error {
	c.deletes.Add(1)
	return c.DraftStore.Delete(ctx, user)
}

// TestTurnReadsDraftsOnce: a message that Handle does not take and whose
// command then Begins the flow reads the user's draft once within a Turn
// (twice without), and ending a conversation deletes a draft only when
// one is there.
func TestTurnReadsDraftsOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		turn  bool
		loads int64
	}{
		{"Turn", true, 2}, // the draft once, the flow's parked one once
		{"NoTurn", false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			m := kv.NewMemory()
			t.Cleanup(func() { m.Close() })
			drafts := &countingDrafts{DraftStore: e.drafts}
			engine := dialog.New(dialog.Options{KV: m, Drafts: drafts, Clock: e.clock}, e.flow.flow())
			ctx := context.Background()
			if tc.turn {
				ctx = dialog.Turn(ctx)
			}
			in := dialog.Input{ID: "m1", Text: "上报督导"}
			if _, handled, err := engine.Handle(ctx, "u9", in); err != nil || handled {
				t.Fatalf("Handle: handled %v, %v", handled, err)
			}
			r, err := engine.Begin(ctx, "u9", "report", in, "上报督导", func(context.Context) (dialog.Opening, error) {
				return dialog.Opening{}, nil
			})
			if err != nil || r.Text == "" {
				t.Fatalf("Begin: %q, %v", r.Text, err)
			}
			if n := drafts.loads.Load(); n != tc.loads {
				t.Errorf("%d draft loads, want %d", n, tc.loads)
			}
			if n := drafts.deletes.Load(); n != 0 {
				t.Errorf("%d deletes of drafts that are not there", n)
			}
		})
	}
}
