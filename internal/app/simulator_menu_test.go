package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/wechat"
)

// menuBot offers two choices as a menu when asked "选方式" and remembers
// the last inbound, in front of the real bot.
type menuBot struct {
	next wechat.Handler
	mu   sync.Mutex
	last chat.Inbound
}

func (b *menuBot) Handle(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
	b.mu.Lock()
	b.last = in
	b.mu.Unlock()
	if in.Text != "选方式" {
		return b.next.Handle(ctx, in)
	}
	return chat.Outbound{Text: "这次督导是哪种方式？\n1 现场督导\n2 集中督导", Menu: &chat.Menu{
		Head: "这次督导是哪种方式？", Options: []chat.MenuOption{{ID: "1", Text: "现场督导"}, {ID: "2", Text: "集中督导"}}}}, nil
}

func simPost(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: %v: %s", url, err, raw)
	}
	return resp.StatusCode, out
}

// TestSimulatorMsgMenu: the simulator shows a reply's choices as the
// msgmenu the service sent (and no passive text besides), a tap sends the
// option back through the signed callback with its id, and on a test
// account the choices come as the plain-text reply.
func TestSimulatorMsgMenu(t *testing.T) {
	bot := &menuBot{}
	cfg := apptest.EmptyConfig(t)
	cfg.WeChat.Menus = true
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, app.Options{LogOutput: io.Discard, WrapBot: func(h wechat.Handler) wechat.Handler {
		bot.next = h
		return bot
	}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	send := a.URL() + "/dev/simulator/api/send"
	status, out := simPost(t, send, map[string]any{"openid": "sim-stranger", "kind": "text", "text": "选方式"})
	pushes, _ := out["pushes"].([]any)
	if status != http.StatusOK || out["text"] != "" || len(pushes) != 1 {
		t.Fatalf("send = %d %v, want no passive text and one msgmenu", status, out)
	}
	p := pushes[0].(map[string]any)
	menu, _ := p["menu"].(map[string]any)
	list, _ := menu["list"].([]any)
	if p["label"] != "菜单消息" || menu["head_content"] != "这次督导是哪种方式？" || len(list) != 2 {
		t.Fatalf("push = %v", p)
	}
	if o := list[1].(map[string]any); o["id"] != "2" || o["content"] != "集中督导" {
		t.Fatalf("option = %v", o)
	}

	simPost(t, send, map[string]any{"openid": "sim-stranger", "kind": "text", "text": "集中督导", "menuid": "2"})
	bot.mu.Lock()
	last := bot.last
	bot.mu.Unlock()
	if last.Text != "集中督导" || last.MenuID != "2" {
		t.Fatalf("the tap arrived as %+v", last)
	}

	simPost(t, a.URL()+"/dev/wxapi/faults", map[string]any{"test_account": true})
	_, out = simPost(t, send, map[string]any{"openid": "sim-stranger", "kind": "text", "text": "选方式"})
	if text, _ := out["text"].(string); !strings.Contains(text, "2 集中督导") || out["pushes"] != nil {
		t.Fatalf("on a test account send = %v, want the plain-text list only", out)
	}
}

// TestSimulatorPhotosOutliveARestart: a photo sent in the simulator is
// still at the fake API after the embedded default restarts, so the
// service can fetch it then.
func TestSimulatorPhotosOutliveARestart(t *testing.T) {
	cfg := apptest.EmptyConfig(t)
	cfg.WeChat.Menus = true
	png := []byte("\x89PNG\r\n\x1a\n photo evidence")
	for i := range 2 {
		a, err := app.New(context.Background(), cfg, app.Options{LogOutput: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			a.FakeAPI.PutMedia("sim-media-42", png, "image/png")
		}
		data, ctype, ok := a.FakeAPI.Media("sim-media-42")
		a.Close()
		if !ok || !bytes.Equal(data, png) || ctype != "image/png" {
			t.Fatalf("start %d: medium %v %q %q", i+1, ok, ctype, data)
		}
	}
}
