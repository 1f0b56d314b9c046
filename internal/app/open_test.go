package app_test

import (
	"context"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/sim"
)

// TestOpenWithoutHTTP is what every command does: app.Open builds the
// services over the configured stores without a server, and the outbox
// sends through the WeChat client Open built before it — here a fake API
// on 127.0.0.1 named by wechat.api_base. A bind code with its QR code, a
// pushed reminder and the menu all reach it.
func TestOpenWithoutHTTP(t *testing.T) {
	ctx := context.Background()
	fake := sim.NewFakeAPI()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cfg := apptest.Config(t)
	cfg.WeChat.APIBase = srv.URL
	fake.SetApp(cfg.WeChat.AppID, cfg.WeChat.AppSecret)
	// Noon, outside the quiet hours that would hold the push back.
	at := time.Date(2026, 11, 3, 12, 0, 0, 0, clock.China)
	s, err := app.Open(ctx, cfg, app.Options{Clock: clock.NewFixed(at), LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	bs, _, err := s.Query.Businesses(ctx, query.BusinessFilter{Status: string(registry.StatusOperating), Limit: 1})
	if err != nil || len(bs) == 0 {
		t.Fatalf("no operating business in the demo district: %v", err)
	}
	target := app.BindTarget{Kind: "business", ID: bs[0].ID, ContactRole: "principal"}
	code, err := s.IssueBindCode(ctx, target, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.BindQRCode(ctx, code); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.CallsTo("/cgi-bin/qrcode/create")); n != 1 {
		t.Fatalf("QR codes created at the fake API: %d, want 1", n)
	}
	id, err := s.Accounts.Bind(ctx, chat.ChannelOA, "o-open-test", code.Code)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := s.Notify.Enqueue(ctx, notify.Message{Kind: "reminder.due", To: notify.Recipient{Kind: notify.ToContact, ID: id.SubjectID},
		Channel: notify.ChannelTemplate, Subject: "open-test", Title: "测试提醒", Text: "测试提醒"}); err != nil {
		t.Fatal(err)
	}
	if sent, _, _, err := s.Notify.DispatchOnce(ctx, 10); err != nil || sent != 1 {
		t.Fatalf("dispatch: sent %d, err %v", sent, err)
	}
	delivered := 0
	for _, c := range fake.CallsTo("/cgi-bin/message/template/send") {
		if c.Delivered() && c.ToUser == "o-open-test" {
			delivered++
		}
	}
	if delivered != 1 {
		t.Fatalf("template messages to the bound contact at the fake API: %d, want 1", delivered)
	}

	menus, err := app.LoadMenus("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PushMenus(ctx, menus); err != nil {
		t.Fatal(err)
	}
	if fake.Menu() == nil {
		t.Fatal("the menu did not reach the fake API")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

// TestOpenRefusesAnInvalidConfiguration checks the configuration before
// touching any store, as New does.
func TestOpenRefusesAnInvalidConfiguration(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.DB.Driver = "oracle"
	if _, err := app.Open(context.Background(), cfg, app.Options{LogOutput: io.Discard}); err == nil {
		t.Fatal("Open accepted db.driver oracle")
	}
}
