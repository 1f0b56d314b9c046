package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// TestAPITokensSurviveRestart: a token made on the console still works
// after the service restarts on the same database — on the embedded
// default the kv store starts empty — and revoking it ends it. A token
// made before tokens were kept in the database (in kv alone) is taken
// over the first time it is used.
func TestAPITokensSurviveRestart(t *testing.T) {
	a := webtest.Boot(t)
	ctx := context.Background()
	call := func(base, tok string) int {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/businesses?limit=1", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	hudai := a.SignIn(t, a.Hudai)
	hudai.Get("/console/tokens")
	hudai.Post("/console/tokens", url.Values{"name": {"区平台"}, "days": {"30"}})
	m := regexp.MustCompile(`data-token>(sab_[A-Za-z0-9_-]+)<`).FindStringSubmatch(hudai.Body)
	if m == nil {
		t.Fatalf("no token shown: %.300s", hudai.Text())
	}
	token := m[1]
	if got := call(a.URL, token); got != http.StatusOK {
		t.Fatalf("new token = %d", got)
	}
	// A huge number of days is refused, not wrapped round to a valid one.
	if hudai.Post("/console/tokens", url.Values{"name": {"溢出"}, "days": {"106751991167300"}}); hudai.Status != http.StatusBadRequest {
		t.Errorf("days=106751991167300 = %d", hudai.Status)
	}

	// A token from the version that kept them in kv alone.
	users, err := a.Accounts.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var hudaiID int64
	for _, u := range users {
		if u.Username == a.Hudai {
			hudaiID = u.ID
		}
	}
	legacy := "sab_legacy" + webtest.RandHex(16)
	sum := sha256.Sum256([]byte(legacy))
	hash := hex.EncodeToString(sum[:])
	now := a.Clock.Now()
	rec, _ := json.Marshal(map[string]any{"i": "oldtok1", "u": hudaiID, "n": "旧令牌", "c": now, "e": now.Add(24 * time.Hour)})
	if err := a.KV.Set(ctx, "apitoken:"+hash, string(rec), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := call(a.URL, legacy); got != http.StatusOK {
		t.Fatalf("token kept in kv by the older version = %d", got)
	}

	// Restart on the same database; the kv store is new (in-process) or,
	// on Redis, loses the lookup cache.
	cfg := a.Config
	a.Close()
	b, err := app.New(ctx, cfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	srv := httptest.NewServer(b.Web.Handler())
	t.Cleanup(srv.Close)
	for _, tok := range []string{token, legacy} {
		sum := sha256.Sum256([]byte(tok))
		b.KV.Delete(ctx, "apitokcache:"+hex.EncodeToString(sum[:]))
		if got := call(srv.URL, tok); got != http.StatusOK {
			t.Fatalf("token after restart = %d", got)
		}
	}

	again := &webtest.App{App: b, URL: srv.URL, Hudai: a.Hudai}
	hudai = again.SignIn(t, a.Hudai)
	hudai.Get("/console/tokens")
	if !strings.Contains(hudai.Text(), "区平台") || !strings.Contains(hudai.Text(), "旧令牌") {
		t.Fatalf("token list after restart: %s", hudai.Text())
	}
	for _, tok := range []string{token, legacy} {
		hudai.Get("/console/tokens")
		ids := regexp.MustCompile(`/console/tokens/([A-Za-z0-9_-]+)/revoke`).FindAllStringSubmatch(hudai.Body, -1)
		if len(ids) == 0 {
			t.Fatal("nothing to revoke")
		}
		if call(srv.URL, tok) != http.StatusOK {
			t.Fatal("token ended before it was revoked")
		}
		// Revoke the token this one is (its hint is on its row).
		row := regexp.MustCompile(`(?s)<tr><td>[^<]*</td><td><code>` + regexp.QuoteMeta(tok[:8]) + `…</code>.*?/console/tokens/([A-Za-z0-9_-]+)/revoke`).FindStringSubmatch(hudai.Body)
		if row == nil {
			t.Fatalf("no row for %s…", tok[:8])
		}
		if hudai.Post("/console/tokens/"+row[1]+"/revoke", nil); hudai.Status != http.StatusSeeOther {
			t.Fatalf("revoke = %d", hudai.Status)
		}
		if got := call(srv.URL, tok); got != http.StatusUnauthorized {
			t.Fatalf("revoked token = %d", got)
		}
	}
	if hudai.Post("/console/tokens/"+strconv.Itoa(42)+"/revoke", nil); hudai.Status != http.StatusNotFound {
		t.Errorf("revoking a token that does not exist = %d", hudai.Status)
	}
}
