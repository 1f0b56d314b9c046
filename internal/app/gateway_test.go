package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/wechat"
)

// gatewayStory talks to a running app only as the platform would: a
// stranger is welcomed, binds with a code, a retried delivery changes
// nothing, a forged or plaintext request is refused.
func gatewayStory(t *testing.T, a *app.App, openid string) {
	t.Helper()
	ctx := context.Background()
	safe, compat := newPhone(t, a, wechat.ModeSafe), newPhone(t, a, wechat.ModeCompatible)
	msgID := time.Now().UnixNano()
	p := safe.p
	url := safe.url
	text := func(s string) wechat.Message {
		msgID++
		return wechat.TextMessage(openid, "gh_test", s, msgID, time.Now())
	}
	send := func(m wechat.Message, mode wechat.Mode) *wechat.Reply {
		t.Helper()
		if mode == wechat.ModeCompatible {
			return compat.send(m)
		}
		return safe.send(m)
	}

	if r := send(text("你好"), wechat.ModeSafe); !strings.Contains(r.Content, "绑定") {
		t.Fatalf("stranger got %+v", r)
	}

	cadres, _, err := a.Registry.FindCadres(ctx, registry.CadreFilter{Limit: 1})
	if err != nil || len(cadres) == 0 {
		t.Fatalf("no cadre to bind: %v", err)
	}
	code, _, err := a.Accounts.IssueCode(ctx, account.RoleCadre, cadres[0].ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	bind := text("绑定 " + code)
	first := send(bind, wechat.ModeSafe)
	if !strings.Contains(first.Content, "绑定成功") || !strings.Contains(first.Content, cadres[0].Name) {
		t.Fatalf("bind answered %+v", first)
	}
	// The platform retries the same message: same answer, no second binding.
	again := send(bind, wechat.ModeCompatible)
	if again.Content != first.Content {
		t.Fatalf("retry answered differently:\n%s\n%s", first.Content, again.Content)
	}
	ids, err := a.Accounts.Identities(ctx, chat.ChannelOA, openid)
	if err != nil || len(ids) != 1 {
		t.Fatalf("identities after bind and retry: %+v %v", ids, err)
	}

	forged, _ := p.Request(url, text("解绑"), wechat.ModeSafe)
	q := forged.URL.Query()
	q.Set("signature", strings.Repeat("0", 40))
	forged.URL.RawQuery = q.Encode()
	// The account has an AES key: a plaintext message, even correctly
	// signed, is not how the platform talks to it.
	plaintext, _ := p.Request(url, text("解绑"), wechat.ModePlain)
	for name, req := range map[string]*http.Request{"forged": forged, "plaintext": plaintext} {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s request = %d, want 401", name, resp.StatusCode)
		}
	}
	if ids, _ := a.Accounts.Identities(ctx, chat.ChannelOA, openid); len(ids) != 1 {
		t.Fatal("a forged 解绑 unbound the user")
	}
	if r := send(text("我是谁"), wechat.ModeCompatible); !strings.Contains(r.Content, cadres[0].Name) {
		t.Fatalf("whoami answered %+v", r)
	}
}

func TestWeChatGateway(t *testing.T) {
	a := bootSQLite(t)
	gatewayStory(t, a, "o-gateway-sqlite")

	t.Run("OutboundReachesTheFakeAPI", func(t *testing.T) {
		if a.FakeAPI == nil {
			t.Fatal("the embedded default runs without the simulator's fake API")
		}
		ctx := context.Background()
		id, err := a.WeChat.TemplateSend(ctx, wechat.TemplateMessage{ToUser: "o-gateway-sqlite", TemplateID: "tpl-reminder",
			Data: map[string]string{"thing1": "本季度督导"}, ClientMsgID: "outbox-1"})
		if err != nil || id == 0 {
			t.Fatalf("template send: %d %v", id, err)
		}
		calls := a.FakeAPI.CallsTo("/cgi-bin/message/template/send")
		if len(calls) != 1 || calls[0].ClientMsgID != "outbox-1" || calls[0].ToUser != "o-gateway-sqlite" {
			t.Fatalf("fake API saw %+v", calls)
		}
	})
}
