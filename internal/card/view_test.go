package card_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/card"
)

// TestPublicViews: the public's views of a card are counted per card, day
// and client, not written a row per request — also when instances sharing
// the database count at once.
func TestPublicViews(t *testing.T) {
	each(t, func(t *testing.T, w *district) {
		ctx := context.Background()
		b := w.business(t)
		c, err := w.cards.Card(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		pub := c.Public()
		// A second instance: same database, same key.
		other := card.NewService(w.d, w.reg, w.accounts, w.out, links{}, w.clk, card.WithViewKey([]byte("view-key")))
		one := card.NewService(w.d, w.reg, w.accounts, w.out, links{}, w.clk, card.WithViewKey([]byte("view-key")))

		var wg sync.WaitGroup
		errc := make(chan error, 100)
		for i := range 10 {
			svc := one
			if i%2 == 1 {
				svc = other
			}
			wg.Go(func() {
				for range 10 {
					errc <- svc.RecordPublicView(ctx, pub, "203.0.113.7")
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := one.RecordPublicView(ctx, pub, "198.51.100.1"); err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(24 * time.Hour)
		if err := one.RecordPublicView(ctx, pub, "203.0.113.7"); err != nil {
			t.Fatal(err)
		}

		views, err := one.PublicViews(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(views) != 3 {
			t.Fatalf("%d rows, want 3 (two clients today, one tomorrow): %+v", len(views), views)
		}
		counts := map[string]int{}
		for _, v := range views {
			counts[v.Day] += v.Views
			if v.Client == "203.0.113.7" || v.Client == "198.51.100.1" || len(v.Client) != 32 {
				t.Errorf("client stored as %q, want a 32-character keyed hash", v.Client)
			}
		}
		if counts["2026-11-28"] != 101 || counts["2026-11-29"] != 1 {
			t.Fatalf("views by day %v, want 101 on the 28th and 1 on the 29th", counts)
		}
		top := views[0]
		if views[1].Views > top.Views {
			top = views[1]
		}
		if top.Views != 100 || top.Version != pub.Version || top.FirstAt.After(top.LastAt) {
			t.Fatalf("the client who viewed 100 times: %+v", top)
		}
		if rs, err := one.Reads(ctx, b.ID); err != nil || len(rs) != 0 {
			t.Fatalf("public views written as reads too: %d, %v", len(rs), err)
		}
	})
}
