package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/config"
)

// TestSimulatorModes: the simulator sends in the modes the account's
// configuration allows. With an AES key (the embedded default) plaintext is
// refused by the service, so the simulator says so in a sentence instead
// of showing a failed callback; without a key plaintext works.
func TestSimulatorModes(t *testing.T) {
	boot := func(t *testing.T, aesKey string) string {
		t.Helper()
		// A stranger needs no demo district.
		cfg := apptest.EmptyConfig(t)
		cfg.WeChat.AESKey = aesKey
		return run(t, cfg).URL()
	}
	send := func(t *testing.T, base, mode string) (int, map[string]any) {
		t.Helper()
		body := `{"openid":"sim-stranger","kind":"text","text":"你好","mode":"` + mode + `"}`
		resp, err := http.Post(base+"/dev/simulator/api/send", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, out
	}
	answered := func(t *testing.T, status int, out map[string]any) {
		t.Helper()
		if text, _ := out["text"].(string); status != http.StatusOK || out["status"] != float64(200) || !strings.Contains(text, "绑定") {
			t.Fatalf("send = %d %v, want the service's welcome", status, out)
		}
	}

	t.Run("Encrypted", func(t *testing.T) {
		base := boot(t, config.DemoAESKey)
		for _, mode := range []string{"safe", "compatible", ""} {
			status, out := send(t, base, mode)
			answered(t, status, out)
		}
		status, out := send(t, base, "plain")
		if msg, _ := out["error"].(string); status != http.StatusBadRequest || !strings.Contains(msg, "已配置消息加密密钥") {
			t.Fatalf("plaintext on an encrypted account = %d %v, want the reason in a sentence", status, out)
		}
		_, page := get(t, base+"/dev/simulator")
		if !strings.Contains(page, `<option value="plain" disabled>`) {
			t.Fatal("the page offers plaintext on an encrypted account")
		}
	})
	t.Run("Plaintext", func(t *testing.T) {
		base := boot(t, "")
		for _, mode := range []string{"plain", ""} {
			status, out := send(t, base, mode)
			answered(t, status, out)
		}
		status, out := send(t, base, "safe")
		if msg, _ := out["error"].(string); status != http.StatusBadRequest || !strings.Contains(msg, "未配置消息加密密钥") {
			t.Fatalf("safe mode without a key = %d %v", status, out)
		}
	})
}
