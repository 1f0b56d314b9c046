package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/sim"
	"github.com/shianbao/shianbao/internal/wechat"
)

// TestFaultKnobs: with the simulator on, the fake WeChat API's fault knobs
// are set over HTTP at /dev/wxapi/faults and the service feels them; with
// it off, there is no such path.
func TestFaultKnobs(t *testing.T) {
	boot := func(t *testing.T, mutate func(*config.Config)) *app.App {
		t.Helper()
		cfg := apptest.EmptyConfig(t)
		mutate(&cfg)
		return run(t, cfg)
	}
	post := func(t *testing.T, url, body string) int {
		t.Helper()
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}

	t.Run("SimulatorOn", func(t *testing.T) {
		a := boot(t, func(*config.Config) {})
		if s := post(t, a.URL()+sim.FaultsPath, `{"unfollowed":["o-knob"]}`); s != http.StatusOK {
			t.Fatalf("POST faults = %d", s)
		}
		err := a.WeChat.CustomSend(context.Background(), "o-knob", chat.Say("你好"))
		if e, ok := wechat.AsError(err); !ok || e.Code != 43004 {
			t.Fatalf("send to a user set unfollowed over HTTP: %v, want 43004", err)
		}
		if status, body := get(t, a.URL()+sim.FaultsPath); status != http.StatusOK || !strings.Contains(body, `"unfollowed":["o-knob"]`) {
			t.Fatalf("GET faults = %d %s", status, body)
		}
	})
	t.Run("SimulatorOff", func(t *testing.T) {
		api := httptest.NewServer(sim.NewFakeAPI())
		t.Cleanup(api.Close)
		a := boot(t, func(c *config.Config) {
			c.Simulator = false
			c.WeChat.APIBase = api.URL
			c.WeChat.AppSecret, c.WeChat.Token = "a-real-looking-secret", "a-real-looking-token"
			c.WeChat.AESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
			c.Security.SecretKey = "a-secret-key-for-this-test-only-0123456789"
		})
		if s := post(t, a.URL()+sim.FaultsPath, `{"error_rate":1}`); s != http.StatusNotFound {
			t.Fatalf("POST faults with the simulator off = %d, want 404", s)
		}
	})
}
