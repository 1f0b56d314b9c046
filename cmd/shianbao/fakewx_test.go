package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/wechat"
)

// TestFakeWXSharedByInstances runs `shianbao fakewx`, points two instances
// at it, and drives its fault knobs over HTTP as a fault run would.
func TestFakeWXSharedByInstances(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &apptest.Buffer{}
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"fakewx", "-addr", "127.0.0.1:0"},
			env{stdout: out, stderr: io.Discard, lookup: func(string) (string, bool) { return "", false }})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-exited; code != 0 {
			t.Errorf("fakewx exited with %d", code)
		}
	})
	baseLine := regexp.MustCompile(`SHIANBAO_WECHAT_API_BASE=(\S+)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
		if m := baseLine.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("fakewx printed no address:\n%s", out)
		}
	}

	instances := make([]*app.App, 2)
	for i := range instances {
		cfg := config.Default()
		cfg.HTTP.Addr = "127.0.0.1:0"
		dir := t.TempDir()
		cfg.DB.DSN, cfg.Media.Dir = filepath.Join(dir, "shianbao.db"), filepath.Join(dir, "media")
		cfg.Demo.SeedOnEmpty = false
		cfg.WeChat.APIBase = base
		a, err := app.New(ctx, cfg, app.Options{LogOutput: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		instances[i] = a
	}
	template := func(a *app.App, to string) error {
		_, err := a.WeChat.TemplateSend(ctx, wechat.TemplateMessage{ToUser: to, TemplateID: "tpl-reminder", Data: map[string]string{"thing1": "督导"}})
		return err
	}
	errcode := func(err error) int {
		if e, ok := wechat.AsError(err); ok {
			return e.Code
		}
		return 0
	}
	faults := func(method, body string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+"/dev/wxapi/faults", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s faults %s = %d", method, body, resp.StatusCode)
		}
	}

	for i, a := range instances {
		if err := template(a, []string{"o-one", "o-two"}[i]); err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}
	resp, err := http.Get(base + "/dev/wxapi/calls?path=/message/template/send")
	if err != nil {
		t.Fatal(err)
	}
	var calls []struct {
		To        string `json:"to"`
		Delivered bool   `json:"delivered"`
	}
	json.NewDecoder(resp.Body).Decode(&calls)
	resp.Body.Close()
	if len(calls) != 2 || calls[0].To != "o-one" || calls[1].To != "o-two" || !calls[0].Delivered || !calls[1].Delivered {
		t.Fatalf("the shared fake saw %+v", calls)
	}

	faults(http.MethodPost, `{"unfollowed":["o-gone"]}`)
	if err := instances[0].WeChat.CustomSend(ctx, "o-gone", chat.Say("你好")); errcode(err) != 43004 {
		t.Fatalf("send to an unfollowed user: %v, want 43004", err)
	}
	faults(http.MethodPost, `{"error_rate":1,"error_codes":[45009]}`)
	if err := template(instances[1], "o-two"); errcode(err) != 45009 {
		t.Fatalf("send at error rate 1: %v, want 45009", err)
	}
	faults(http.MethodDelete, "")
	if err := template(instances[1], "o-two"); err != nil {
		t.Fatalf("after clearing the faults: %v", err)
	}
}
