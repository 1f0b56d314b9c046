package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
)

// TestMenuTagSync: binding and unbinding make the user's menu tag due,
// with the role whose menu they should see; a claim is held by one worker
// at a time; a failed move is retried later; a change made while a move
// runs keeps the user due after it.
func TestMenuTagSync(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		claim := func(t *testing.T) map[string]account.TagSync {
			t.Helper()
			got, err := e.svc.ClaimTagSyncs(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]account.TagSync{}
			for _, ts := range got {
				out[ts.OpenID] = ts
			}
			return out
		}

		u := user()
		code, _ := e.issue(t, account.RoleContact, e.contact.ID)
		e.bind(t, u, code)
		ts, ok := claim(t)[u]
		if !ok || ts.Role != account.RoleContact {
			t.Fatalf("after binding: %+v %v, want a contact's tag due", ts, ok)
		}
		if _, again := claim(t)[u]; again {
			t.Fatal("a claimed sync was claimed twice")
		}
		// A second role comes while the first move runs: the cadre's menu wins.
		code, _ = e.issue(t, account.RoleCadre, e.cadre.ID)
		e.bind(t, u, code)
		if err := e.svc.TagSynced(ctx, ts, nil); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(2 * time.Minute)
		ts, ok = claim(t)[u]
		if !ok || ts.Role != account.RoleCadre {
			t.Fatalf("after a second binding: %+v %v, want the cadre's tag due", ts, ok)
		}
		if err := e.svc.TagSynced(ctx, ts, errors.New("errcode -1: system busy")); err != nil {
			t.Fatal(err)
		}
		if _, early := claim(t)[u]; early {
			t.Fatal("a failed sync came back before its wait")
		}
		e.clk.Advance(time.Minute)
		ts, ok = claim(t)[u]
		if !ok || ts.Role != account.RoleCadre {
			t.Fatalf("retry: %+v %v", ts, ok)
		}
		if err := e.svc.TagSynced(ctx, ts, nil); err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.PendingTagSyncs(ctx); err != nil || n != 0 {
			t.Fatalf("pending after sync = %d %v", n, err)
		}

		if _, err := e.svc.Unbind(ctx, "oa", u); err != nil {
			t.Fatal(err)
		}
		ts, ok = claim(t)[u]
		if !ok || ts.Role != "" {
			t.Fatalf("after unbinding: %+v %v, want the stranger's menu (no role)", ts, ok)
		}
		if err := e.svc.TagSynced(ctx, ts, nil); err != nil {
			t.Fatal(err)
		}

		// WeCom users have no Official Account menu.
		code, _ = e.issue(t, account.RoleCadre, e.cadre.ID)
		w := user()
		if _, err := e.svc.Bind(ctx, "wecom", w, code); err != nil {
			t.Fatal(err)
		}
		if _, due := claim(t)[w]; due {
			t.Fatal("a WeCom user's menu tag is due")
		}

		// Pushing the menus anew re-tags every bound user.
		n, err := e.svc.ResyncMenuTags(ctx)
		if err != nil || n != 0 {
			t.Fatalf("resync with nobody bound on the Official Account = %d %v", n, err)
		}
		code, _ = e.issue(t, account.RoleManager, e.manager.ID)
		e.bind(t, u, code)
		claim(t)
		e.clk.Advance(2 * time.Minute)
		if n, err := e.svc.ResyncMenuTags(ctx); err != nil || n != 1 {
			t.Fatalf("resync = %d %v, want 1", n, err)
		}
		if ts, ok := claim(t)[u]; !ok || ts.Role != account.RoleManager {
			t.Fatalf("after a resync: %+v %v", ts, ok)
		}
	})
}
