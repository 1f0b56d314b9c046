package wechat

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
)

// FuzzCallbackPlain and FuzzCallbackSafe: no body, however malformed, makes the
// callback fail with a server error.
func FuzzCallbackPlain(f *testing.F) {
	f.Add([]byte("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>"))
	f.Add([]byte("<xml>"))
	f.Add([]byte{})
	cb := NewCallback(CallbackOptions{AppID: vecAppID, Token: vecToken, KV: kv.NewMemory(),
		Handler: HandlerFunc(func(ctx context.Context, in chat.Inbound) (chat.Outbound, error) { return chat.Say("ok"), nil }),
		Budget:  time.Second})
	p := Platform{AppID: vecAppID, Token: vecToken, AESKey: vecAESKey}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := p.RawRequest("http://x/wechat/oa", body, ModePlain)
		if err != nil {
			return
		}
		w := httptest.NewRecorder()
		cb.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d for %q", w.Code, body)
		}
	})
}

func FuzzCallbackSafe(f *testing.F) {
	f.Add(vecEncrypt)
	f.Add("")
	f.Add("AAAA")
	cb := NewCallback(CallbackOptions{AppID: vecAppID, Token: vecToken, AESKey: vecAESKey, KV: kv.NewMemory(),
		Handler: HandlerFunc(func(ctx context.Context, in chat.Inbound) (chat.Outbound, error) { return chat.Say("ok"), nil }),
		Budget:  time.Second})
	p := Platform{AppID: vecAppID, Token: vecToken, AESKey: vecAESKey}
	f.Fuzz(func(t *testing.T, enc string) {
		req, err := p.RawRequest("http://x/wechat/oa", []byte("<xml/>"), ModePlain)
		if err != nil {
			return
		}
		q := req.URL.Query()
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", signature(vecToken, q.Get("timestamp"), q.Get("nonce"), enc))
		req.URL.RawQuery = q.Encode()
		body := "<xml><Encrypt><![CDATA[" + strings.ReplaceAll(enc, "]]>", "") + "]]></Encrypt></xml>"
		req.Body = io.NopCloser(strings.NewReader(body))
		w := httptest.NewRecorder()
		cb.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d", w.Code)
		}
	})
}
