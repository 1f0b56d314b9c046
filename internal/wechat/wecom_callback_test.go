package wechat

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
)

// The public WeCom vector from WECHAT.md (a corp-id receive id).
const (
	wcToken  = "QDG6eK"
	wcCorpID = "wx5823bf96d3bd56c7"
	wcAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
)

func TestWeComPublicVector(t *testing.T) {
	cb := NewWeComCallback(WeComOptions{Token: wcToken, AESKey: wcAESKey, CorpID: wcCorpID, KV: kv.NewMemory()})
	q := url.Values{
		"msg_signature": {"5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"},
		"timestamp":     {"1409659589"},
		"nonce":         {"263014780"},
		"echostr":       {"P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="},
	}
	w := httptest.NewRecorder()
	cb.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/wechat/wecom/bot?"+q.Encode(), nil))
	if w.Code != 200 || w.Body.String() != "1616140317555161061" {
		t.Fatalf("verify = %d %q", w.Code, w.Body.String())
	}
	q.Set("msg_signature", strings.Repeat("0", 40))
	w = httptest.NewRecorder()
	cb.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/wechat/wecom/bot?"+q.Encode(), nil))
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("bad signature verify = %d", w.Code)
	}
}

// responses is a fake response_url endpoint.
type responses struct {
	mu   sync.Mutex
	got  []string
	done chan struct{}
}

func (r *responses) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var body struct {
		Markdown struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	json.NewDecoder(req.Body).Decode(&body)
	r.mu.Lock()
	r.got = append(r.got, body.Markdown.Content)
	r.mu.Unlock()
	io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	r.done <- struct{}{}
}

func TestWeComBot(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			resp := &responses{done: make(chan struct{}, 10)}
			respSrv := httptest.NewServer(resp)
			defer respSrv.Close()
			respURL, _ := url.Parse(respSrv.URL)

			var mu sync.Mutex
			var seen []chat.Inbound
			bot := HandlerFunc(func(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
				mu.Lock()
				seen = append(seen, in)
				mu.Unlock()
				return chat.Say("胡埭镇 本季度完成 62%"), nil
			})
			cb := NewWeComCallback(WeComOptions{Token: wcToken, AESKey: wcAESKey, KV: newStore(t), Handler: bot,
				ReplayWindow: 5 * time.Minute, ResponseHosts: []string{respURL.Host}})
			srv := httptest.NewServer(cb)
			defer srv.Close()
			p := WeComPlatform{Token: wcToken, AESKey: wcAESKey}

			t.Run("Verify", func(t *testing.T) {
				req, _ := p.VerifyRequest(srv.URL, "echo-42")
				r, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(r.Body)
				r.Body.Close()
				if string(b) != "echo-42" {
					t.Fatalf("verify answered %q", b)
				}
			})

			m := WeComMessage{MsgID: "msg-" + time.Now().Format("150405.000000000"), ChatID: "chat-hudai", ChatType: "group", ResponseURL: respSrv.URL + "/r/1", MsgType: "text"}
			m.From.UserID = "zhangsan"
			m.Text.Content = "@食安包保 进度"
			for i := 0; i < 3; i++ {
				req, _ := p.Request(srv.URL, m)
				if s := status(t, req); s != 200 {
					t.Fatalf("delivery %d = %d", i, s)
				}
			}
			select {
			case <-resp.done:
			case <-time.After(5 * time.Second):
				t.Fatal("no reply through response_url")
			}
			time.Sleep(200 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != 1 || len(resp.got) != 1 {
				t.Fatalf("three deliveries: handler ran %d times, %d replies", len(seen), len(resp.got))
			}
			in := seen[0]
			if in.Text != "进度" || !in.Group || in.ChatID != "chat-hudai" || in.UserID != "zhangsan" || in.Channel != chat.ChannelWeCom {
				t.Fatalf("inbound %+v", in)
			}
			if !strings.Contains(resp.got[0], "62%") {
				t.Fatalf("reply %q", resp.got[0])
			}
		})
	}
}

func TestWeComRefusals(t *testing.T) {
	called := false
	cb := NewWeComCallback(WeComOptions{Token: wcToken, AESKey: wcAESKey, KV: kv.NewMemory(), ReplayWindow: time.Minute,
		Handler: HandlerFunc(func(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
			called = true
			return chat.Say("x"), nil
		})})
	p := WeComPlatform{Token: wcToken, AESKey: wcAESKey}
	m := WeComMessage{MsgID: "r1", MsgType: "text", ResponseURL: "http://169.254.169.254/latest"}
	m.From.UserID = "u"
	good, _ := p.Request("/wechat/wecom/bot", m)
	goodBody, _ := io.ReadAll(good.Body)

	cases := map[string]struct {
		req  func() *http.Request
		want int
	}{
		"BadSignature": {func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, strings.Replace(good.URL.String(), "msg_signature=", "msg_signature=f", 1), strings.NewReader(string(goodBody)))
			return r
		}, 401},
		"Stale": {func() *http.Request {
			old := p
			old.Now = func() time.Time { return time.Now().Add(-time.Hour) }
			r, _ := old.Request("/wechat/wecom/bot", m)
			return httptest.NewRequest(http.MethodPost, r.URL.String(), r.Body)
		}, 401},
		"NotJSON": {func() *http.Request {
			return httptest.NewRequest(http.MethodPost, good.URL.String(), strings.NewReader("<xml/>"))
		}, 400},
		"Oversized": {func() *http.Request {
			return httptest.NewRequest(http.MethodPost, good.URL.String(), strings.NewReader(strings.Repeat("a", MaxCallbackBody+1)))
		}, 413},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			cb.ServeHTTP(w, c.req())
			if w.Code != c.want {
				t.Fatalf("status %d, want %d", w.Code, c.want)
			}
		})
	}
	if called {
		t.Fatal("a refused request reached the bot")
	}
	t.Run("ResponseURLOutsideAllowList", func(t *testing.T) {
		err := cb.respond(context.Background(), "http://169.254.169.254/latest", chat.Say("x"))
		if err == nil {
			t.Fatal("posted to an address outside the allow-list")
		}
	})
}

func FuzzWeComCallback(f *testing.F) {
	p := WeComPlatform{Token: wcToken, AESKey: wcAESKey}
	f.Add([]byte(`{"msgid":"1","from":{"userid":"u"},"msgtype":"text","text":{"content":"hi"}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`not json`))
	cb := NewWeComCallback(WeComOptions{Token: wcToken, AESKey: wcAESKey, KV: kv.NewMemory(),
		Handler: HandlerFunc(func(ctx context.Context, in chat.Inbound) (chat.Outbound, error) { return chat.Outbound{}, nil })})
	f.Fuzz(func(t *testing.T, plain []byte) {
		enc, err := p.seal(plain)
		if err != nil {
			return
		}
		body, _ := json.Marshal(map[string]string{"encrypt": enc})
		req := httptest.NewRequest(http.MethodPost, "/wechat/wecom/bot?"+p.query(enc).Encode(), strings.NewReader(string(body)))
		w := httptest.NewRecorder()
		cb.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d", w.Code)
		}
	})
}
