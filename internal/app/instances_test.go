package app_test

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/wechat"
)

// TestIdentitiesAcrossInstances: two instances on one database and one
// Redis each keep who a chat user is in their own memory; a bind through
// one instance and an unbind on the other are seen by the next message,
// wherever it lands.
func TestIdentitiesAcrossInstances(t *testing.T) {
	addr := os.Getenv(dbtest.EnvRedisAddr)
	if addr == "" {
		if dbtest.RequireServices() {
			t.Fatalf("%s not set", dbtest.EnvRedisAddr)
		}
		t.Skip("two instances share state through Redis only")
	}
	cfg := apptest.SQLiteConfig(t)
	cfg.Redis.Addr = addr
	cfg.Redis.KeyPrefix = "shianbao-apptest-" + rand.Text() + ":"
	a, b := run(t, cfg), run(t, cfg)
	phoneA, phoneB := newPhone(t, a, wechat.ModeSafe), newPhone(t, b, wechat.ModeSafe)
	openid := "o-instances-" + rand.Text()
	msgID := time.Now().UnixNano()
	say := func(ph *phone, text string) string {
		t.Helper()
		msgID++
		return ph.send(wechat.TextMessage(openid, "gh_test", text, msgID, time.Now())).Content
	}
	ctx := context.Background()
	cadres, _, err := a.Registry.FindCadres(ctx, registry.CadreFilter{Limit: 1})
	if err != nil || len(cadres) == 0 {
		t.Fatalf("no cadre to bind: %v", err)
	}
	name := cadres[0].Name

	// Twice on A: the second answer comes from A's memory.
	for range 2 {
		if r := say(phoneA, "我是谁"); strings.Contains(r, name) || !strings.Contains(r, "绑定") {
			t.Fatalf("stranger on A: %q", r)
		}
	}
	code, _, err := b.Accounts.IssueCode(ctx, account.RoleCadre, cadres[0].ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if r := say(phoneB, "绑定 "+code); !strings.Contains(r, "绑定成功") {
		t.Fatalf("bind on B: %q", r)
	}
	if r := say(phoneA, "我是谁"); !strings.Contains(r, name) {
		t.Fatalf("A after a bind on B: %q", r)
	}
	// An unbind made outside any chat turn (as the console would) on B.
	if _, err := b.Accounts.Unbind(ctx, chat.ChannelOA, openid); err != nil {
		t.Fatal(err)
	}
	if r := say(phoneA, "我是谁"); strings.Contains(r, name) {
		t.Fatalf("A after an unbind on B: %q", r)
	}
}
