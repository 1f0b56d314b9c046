package wechat_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/wechat"
)

// TestJSSignature checks the wx.config signature against the published
// vector (WECHAT.md), and that the page's fragment is not signed.
func TestJSSignature(t *testing.T) {
	const (
		ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
		nonce  = "Wm3WZYTPz0wzccnW"
		ts     = 1414587457
		want   = "f4d90daf4b3bca3078ab155816175ba34c443a7b"
	)
	for name, url := range map[string]string{"OK": "http://mp.weixin.qq.com", "Fragment": "http://mp.weixin.qq.com#/items/3"} {
		t.Run(name, func(t *testing.T) {
			if got := wechat.JSSignature(ticket, nonce, ts, url); got != want {
				t.Errorf("JSSignature = %s, want %s", got, want)
			}
		})
	}
	t.Run("OtherURL", func(t *testing.T) {
		if got := wechat.JSSignature(ticket, nonce, ts, "http://mp.weixin.qq.com/?a=1"); got == want {
			t.Error("a different URL signs the same")
		}
	})
}

// TestJSConfig signs a page with the ticket from the (fake) platform: two
// instances sharing kv fetch the ticket once, and the fake's check of
// wx.config accepts the signature (and refuses it for another page).
func TestJSConfig(t *testing.T) {
	f, base := newFake(t)
	store := newMemory(t)
	appID := testAppID()
	f.SetApp(appID, testSecret)
	c1, c2 := newClient(t, base, store, appID), newClient(t, base, store, appID)
	page := "https://example.org/h5/visitform/12?r=cadre%3A3&e=1&s=x"
	now := time.Unix(1_800_000_000, 0)
	cfg1, err := c1.JSConfig(t.Context(), page+"#item-2", now)
	if err != nil {
		t.Fatalf("JSConfig: %v", err)
	}
	cfg2, err := c2.JSConfig(t.Context(), page, now)
	if err != nil {
		t.Fatalf("JSConfig (second instance): %v", err)
	}
	if n := f.TicketsIssued(); n != 1 {
		t.Errorf("tickets issued = %d, want 1 (shared through kv)", n)
	}
	if len(f.CallsTo("/cgi-bin/ticket/getticket")) != 1 {
		t.Errorf("getticket called %d times, want 1", len(f.CallsTo("/cgi-bin/ticket/getticket")))
	}
	if cfg1.AppID != appID || cfg1.NonceStr == "" || cfg1.NonceStr == cfg2.NonceStr || cfg1.Timestamp != now.Unix() {
		t.Errorf("configs %+v, %+v", cfg1, cfg2)
	}
	verify := func(cfg wechat.JSConfig, url string) int {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"appId": cfg.AppID, "timestamp": cfg.Timestamp, "nonceStr": cfg.NonceStr, "signature": cfg.Signature, "url": url})
		resp, err := http.Post(base+"/sim/jsapi/verify", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Errcode int }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out.Errcode
	}
	if code := verify(cfg1, page+"#elsewhere"); code != 0 {
		t.Errorf("the fake refuses the signature: errcode %d", code)
	}
	if code := verify(cfg2, page); code != 0 {
		t.Errorf("the fake refuses the second instance's signature: errcode %d", code)
	}
	if code := verify(cfg1, page+"&x=1"); code == 0 {
		t.Error("the fake accepts the signature for another page")
	}
	if _, err := c1.JSConfig(t.Context(), "", now); err == nil {
		t.Error("JSConfig without a page URL: no error")
	}
}
