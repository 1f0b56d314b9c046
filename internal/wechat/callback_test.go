package wechat

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
)

// The public safe-mode vector from WECHAT.md.
const (
	vecAppID     = "wxb11529c136998cb6"
	vecToken     = "pamtest"
	vecAESKey    = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	vecTimestamp = "1458300676"
	vecNonce     = "260774613"
	vecMsgSig    = "4f3ad57b6989f09f4eb392acce4f9e93942ed890"
	vecEncrypt   = "rTNFcsut4LfGuAFKEUVVpwcaCOTJzOd9twZdIW910jb3k+iicx2uvhttIZ3Qg9Qgty3BEF2xbOrz6boTfb30dMomcgrkTqdFPwnhqbk+kIQ7rZiwny9D7NUrTgA5kpX3KsZvrXzUZyP2x9YOlxbgm572lmxKvM7HAQQhIQ/p6HBmoY30bGXFK0BtIu1pW9TjhOYrLQoU18nWYjWqDA1ynkmOytpv7QRI1P1+0NoxL0q2zO1DgeSvnE8CZGo/o5Ap/WHK5W2RAsinpzN4/LjPnmB6U01I5XCoJoC0GK/yMZycd2Oh8Nq6+wBkC1U85oy0ktOY4nLvsQMLrourmMGdZHuTbqpeJ8Ao/5PRYJ+WBvRUwPfGKBL2+2IKZF49vAJqkcGWSHGE76ZN2erXeuNazf/o9o3lIE3q739o4c8t9QGPe31GT2Go/rOz1BsrASwvauNulCh+++yz+CQzBIuikA=="
)

// stores returns the kv stores the callback is tested on: in-process
// always, Redis when the test environment provides it.
func stores(t *testing.T) map[string]func(t *testing.T) kv.Store {
	t.Helper()
	m := map[string]func(t *testing.T) kv.Store{
		"memory": func(t *testing.T) kv.Store {
			s := kv.NewMemory()
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	addr := os.Getenv("SHIANBAO_TEST_REDIS_ADDR")
	if addr == "" && os.Getenv("SHIANBAO_TEST_REQUIRE_SERVICES") == "1" {
		t.Fatal("SHIANBAO_TEST_REDIS_ADDR not set but services are required")
	}
	if addr != "" {
		m["redis"] = func(t *testing.T) kv.Store {
			s, err := kv.NewRedis(kv.RedisOptions{Addrs: strings.Split(addr, ",")})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	}
	return m
}

// recorder is a bot that echoes and counts.
type recorder struct {
	mu    sync.Mutex
	calls []chat.Inbound
	delay time.Duration
	// active tracks concurrent turns per user, to prove per-user ordering.
	active  map[string]int
	overlap atomic.Bool
}

func (r *recorder) Handle(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
	r.mu.Lock()
	if r.active == nil {
		r.active = map[string]int{}
	}
	r.active[in.UserID]++
	if r.active[in.UserID] > 1 {
		r.overlap.Store(true)
	}
	r.calls = append(r.calls, in)
	n := len(r.calls)
	r.mu.Unlock()
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	r.mu.Lock()
	r.active[in.UserID]--
	r.mu.Unlock()
	if in.Kind == chat.KindEvent && in.Event == chat.EventUnsubscribe {
		return chat.Outbound{}, nil
	}
	return chat.Say(fmt.Sprintf("收到 %s #%d: %s", in.Kind, n, in.Text)), nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

type lateRecorder struct {
	mu  sync.Mutex
	got []chat.Outbound
	ch  chan struct{}
}

func (l *lateRecorder) SendLate(ctx context.Context, in chat.Inbound, out chat.Outbound) error {
	l.mu.Lock()
	l.got = append(l.got, out)
	l.mu.Unlock()
	l.ch <- struct{}{}
	return nil
}

// fixture serves one bot and store twice: url is an encrypted account
// (AES key set: compatible and safe mode), plainURL the same account
// configured without a key (plaintext mode).
type fixture struct {
	bot      *recorder
	platform Platform
	url      string
	plainURL string
}

func newFixture(t *testing.T, store kv.Store, opts func(*CallbackOptions)) *fixture {
	t.Helper()
	bot := &recorder{}
	o := CallbackOptions{
		AppID: vecAppID, Token: vecToken, AESKey: vecAESKey, KV: store, Handler: bot,
		ReplayWindow: 5 * time.Minute, Budget: 2 * time.Second,
	}
	if opts != nil {
		opts(&o)
	}
	srv := httptest.NewServer(NewCallback(o))
	t.Cleanup(srv.Close)
	o.AESKey = ""
	plain := httptest.NewServer(NewCallback(o))
	t.Cleanup(plain.Close)
	return &fixture{bot: bot, url: srv.URL + "/wechat/oa", plainURL: plain.URL + "/wechat/oa",
		platform: Platform{AppID: vecAppID, Token: vecToken, AESKey: vecAESKey}}
}

// urlFor is where the platform posts in mode: the plaintext account for
// plaintext, the encrypted one otherwise.
func (f *fixture) urlFor(mode Mode) string {
	if mode == ModePlain {
		return f.plainURL
	}
	return f.url
}

func (f *fixture) send(t *testing.T, m Message, mode Mode) (*Reply, error) {
	t.Helper()
	req, err := f.platform.Request(f.urlFor(mode), m, mode)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return f.platform.DecodeReply(resp, mode)
}

func status(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

var msgSeq atomic.Int64

func nextID() int64 { return time.Now().UnixNano()/1000 + msgSeq.Add(1) }

func TestPublicVector(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			store := newStore(t)
			// The vector's MsgId is fixed; forget it so a shared Redis does
			// not remember an earlier run's delivery.
			vector := chat.Inbound{Channel: chat.ChannelOA, UserID: "asdasdasdsadasd", MsgKey: "m:12345"}
			forget := func() { store.Delete(context.Background(), turnKey(vector)) }
			forget()
			t.Cleanup(forget)
			f := newFixture(t, store, func(o *CallbackOptions) { o.ReplayWindow = 0 })
			body := "<xml><ToUserName><![CDATA[asdasdasd]]></ToUserName><Encrypt><![CDATA[" + vecEncrypt + "]]></Encrypt></xml>"
			q := "?timestamp=" + vecTimestamp + "&nonce=" + vecNonce + "&encrypt_type=aes&msg_signature=" + vecMsgSig +
				"&signature=" + signature(vecToken, vecTimestamp, vecNonce)
			resp, err := http.Post(f.url+q, "text/xml", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			reply, err := f.platform.DecodeReply(resp, ModeSafe)
			if err != nil {
				t.Fatalf("reply: %v", err)
			}
			if f.bot.count() != 1 {
				t.Fatalf("handler ran %d times", f.bot.count())
			}
			in := f.bot.calls[0]
			if in.Text != "hello" || in.MsgID != 12345 || in.UserID != "asdasdasdsadasd" || in.Kind != chat.KindText {
				t.Fatalf("decoded %+v", in)
			}
			if reply.ToUserName != "asdasdasdsadasd" || !strings.Contains(reply.Content, "hello") {
				t.Fatalf("reply %+v", reply)
			}
		})
	}
}

func TestModesRoundTrip(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, newStore(t), nil)
			for _, mode := range []Mode{ModePlain, ModeCompatible, ModeSafe} {
				t.Run(string(mode), func(t *testing.T) {
					reply, err := f.send(t, TextMessage("o-user-"+string(mode), vecAppID, "我的任务", nextID(), time.Now()), mode)
					if err != nil {
						t.Fatal(err)
					}
					if reply.MsgType != "text" || !strings.Contains(reply.Content, "我的任务") || reply.ToUserName != "o-user-"+string(mode) {
						t.Fatalf("reply %+v", reply)
					}
				})
			}
			t.Run("Verify", func(t *testing.T) {
				req, _ := f.platform.VerifyRequest(f.url, "echo-1234")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(b) != "echo-1234" {
					t.Fatalf("verify = %d %q", resp.StatusCode, b)
				}
				bad, _ := f.platform.VerifyRequest(f.url, "x")
				bad.URL.RawQuery = strings.Replace(bad.URL.RawQuery, "signature=", "signature=0", 1)
				if s := status(t, bad); s != http.StatusUnauthorized {
					t.Fatalf("bad verify signature = %d", s)
				}
			})
		})
	}
}

func TestRetriesRunOnce(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, newStore(t), nil)
			f.bot.delay = 200 * time.Millisecond
			for _, mode := range []Mode{ModePlain, ModeSafe} {
				t.Run(string(mode), func(t *testing.T) {
					before := f.bot.count()
					m := TextMessage("o-retry-"+string(mode), vecAppID, "上报督导", nextID(), time.Now())
					var wg sync.WaitGroup
					replies := make([]*Reply, 3)
					for i := range replies {
						wg.Add(1)
						go func(i int) {
							defer wg.Done()
							r, err := f.send(t, m, mode)
							if err != nil {
								t.Error(err)
								return
							}
							replies[i] = r
						}(i)
					}
					wg.Wait()
					if got := f.bot.count() - before; got != 1 {
						t.Fatalf("handler ran %d times for one message delivered three times", got)
					}
					for _, r := range replies {
						if r == nil || r.Content != replies[0].Content || r.Content == "" {
							t.Fatalf("answers differ: %+v", replies)
						}
					}
				})
			}
			t.Run("Event", func(t *testing.T) {
				before := f.bot.count()
				at := time.Now()
				for i := 0; i < 3; i++ {
					if _, err := f.send(t, EventMessage("o-ev", vecAppID, "CLICK", "MY_TASKS", at), ModePlain); err != nil {
						t.Fatal(err)
					}
				}
				if got := f.bot.count() - before; got != 1 {
					t.Fatalf("event handled %d times", got)
				}
			})
		})
	}
}

func TestForgedRequests(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, newStore(t), nil)
			good := func() *http.Request {
				req, _ := f.platform.Request(f.url, TextMessage("o-forge", vecAppID, "hi", nextID(), time.Now()), ModeSafe)
				return req
			}
			cases := map[string]struct {
				req  func() *http.Request
				want int
			}{
				"WrongSignature": {func() *http.Request {
					r := good()
					q := r.URL.Query()
					q.Set("signature", strings.Repeat("0", 40))
					r.URL.RawQuery = q.Encode()
					return r
				}, 401},
				"WrongMsgSignature": {func() *http.Request {
					r := good()
					q := r.URL.Query()
					q.Set("msg_signature", strings.Repeat("a", 40))
					r.URL.RawQuery = q.Encode()
					return r
				}, 401},
				"StaleTimestamp": {func() *http.Request {
					p := f.platform
					p.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
					r, _ := p.Request(f.url, TextMessage("o-forge", vecAppID, "hi", nextID(), time.Now()), ModeSafe)
					return r
				}, 401},
				"FutureTimestamp": {func() *http.Request {
					p := f.platform
					p.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
					r, _ := p.Request(f.url, TextMessage("o-forge", vecAppID, "hi", nextID(), time.Now()), ModeSafe)
					return r
				}, 401},
				"Oversized": {func() *http.Request {
					r, _ := f.platform.RawRequest(f.url, []byte("<xml><Content>"+strings.Repeat("长", MaxCallbackBody)+"</Content></xml>"), ModePlain)
					return r
				}, 413},
				"Malformed": {func() *http.Request {
					r, _ := f.platform.RawRequest(f.plainURL, []byte("<xml><FromUserName>x</From"), ModePlain)
					return r
				}, 400},
				"NotAMessage": {func() *http.Request {
					r, _ := f.platform.RawRequest(f.plainURL, []byte("<xml><Foo>1</Foo></xml>"), ModePlain)
					return r
				}, 400},
				"MalformedEnvelope": {func() *http.Request {
					r, _ := f.platform.RawRequest(f.url, []byte("not xml"), ModePlain)
					q := r.URL.Query()
					q.Set("encrypt_type", "aes")
					r.URL.RawQuery = q.Encode()
					return r
				}, 400},
				"BadCiphertext": {func() *http.Request {
					r, _ := f.platform.RawRequest(f.url, []byte("<xml/>"), ModePlain)
					q := r.URL.Query()
					enc := "bm90IHJlYWxseSBlbmNyeXB0ZWQ="
					q.Set("encrypt_type", "aes")
					q.Set("msg_signature", signature(vecToken, q.Get("timestamp"), q.Get("nonce"), enc))
					r.URL.RawQuery = q.Encode()
					r.Body = io.NopCloser(strings.NewReader("<xml><Encrypt>" + enc + "</Encrypt></xml>"))
					r.ContentLength = -1
					return r
				}, 400},
				"WrongMethod": {func() *http.Request {
					r, _ := http.NewRequest(http.MethodPut, f.url, nil)
					return r
				}, 405},
			}
			for name, c := range cases {
				t.Run(name, func(t *testing.T) {
					if got := status(t, c.req()); got != c.want {
						t.Fatalf("status %d, want %d", got, c.want)
					}
				})
			}
			if n := f.bot.count(); n != 0 {
				t.Fatalf("refused requests reached the bot %d times", n)
			}

			t.Run("NonceReusedWithDifferentBody", func(t *testing.T) {
				orig, _ := f.platform.Request(f.plainURL, TextMessage("o-nonce", vecAppID, "真的", nextID(), time.Now()), ModePlain)
				forged, _ := http.NewRequest(http.MethodPost, orig.URL.String(), strings.NewReader(
					"<xml><ToUserName><![CDATA[x]]></ToUserName><FromUserName><![CDATA[o-nonce]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[伪造]]></Content><MsgId>99</MsgId></xml>"))
				body, _ := io.ReadAll(orig.Body)
				orig.Body = io.NopCloser(strings.NewReader(string(body)))
				if s := status(t, orig); s != 200 {
					t.Fatalf("original = %d", s)
				}
				if s := status(t, forged); s != 401 {
					t.Fatalf("forged body on a used nonce = %d, want 401", s)
				}
				same, _ := http.NewRequest(http.MethodPost, orig.URL.String(), strings.NewReader(string(body)))
				if s := status(t, same); s != 200 {
					t.Fatalf("platform retry (same body, same nonce) = %d, want 200", s)
				}
				if n := f.bot.count(); n != 1 {
					t.Fatalf("bot ran %d times, want once", n)
				}
			})

			t.Run("StillServing", func(t *testing.T) {
				if _, err := f.send(t, TextMessage("o-after", vecAppID, "还在吗", nextID(), time.Now()), ModeSafe); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// TestNoPlaintextDowngrade: an account with an AES key takes only
// encrypted messages, so a safe-mode callback URL read from a proxy log
// cannot be replayed as a plaintext message naming any user.
func TestNoPlaintextDowngrade(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, newStore(t), nil)
			forged := func() io.Reader {
				return strings.NewReader(fmt.Sprintf("<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o-victim]]></FromUserName>"+
					"<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[我的任务]]></Content><MsgId>%d</MsgId></xml>", time.Now().Unix(), nextID()))
			}
			// capture delivers a safe-mode message and returns its URL, as a
			// proxy log would show it.
			capture := func(t *testing.T) *url.URL {
				t.Helper()
				req, _ := f.platform.Request(f.url, TextMessage("o-cadre", vecAppID, "你好", nextID(), time.Now()), ModeSafe)
				u := *req.URL
				if s := status(t, req); s != http.StatusOK {
					t.Fatalf("safe-mode delivery = %d", s)
				}
				return &u
			}
			asPlaintext := func(u *url.URL, target string) string {
				q := u.Query()
				q.Del("encrypt_type")
				q.Del("msg_signature")
				return target + "?" + q.Encode()
			}

			t.Run("SignedPlaintext", func(t *testing.T) {
				req, _ := f.platform.Request(f.url, TextMessage("o-victim", vecAppID, "我的任务", nextID(), time.Now()), ModePlain)
				if s := status(t, req); s != http.StatusUnauthorized {
					t.Fatalf("plaintext to an encrypted account = %d, want 401", s)
				}
			})
			t.Run("CapturedSafeURLAsPlaintext", func(t *testing.T) {
				u := capture(t)
				replay, _ := http.NewRequest(http.MethodPost, asPlaintext(u, f.url), forged())
				if s := status(t, replay); s != http.StatusUnauthorized {
					t.Fatalf("captured URL with a plaintext body = %d, want 401", s)
				}
				kept, _ := http.NewRequest(http.MethodPost, u.String(), forged())
				if s := status(t, kept); s/100 != 4 {
					t.Fatalf("captured URL (encrypt_type kept) with a plaintext body = %d, want 4xx", s)
				}
			})
			t.Run("AccountSwitchedToPlaintext", func(t *testing.T) {
				// The key is cleared (the account goes to plaintext mode)
				// within the replay window: URLs signed before stay spent.
				u := capture(t)
				replay, _ := http.NewRequest(http.MethodPost, asPlaintext(u, f.plainURL), forged())
				if s := status(t, replay); s != http.StatusUnauthorized {
					t.Fatalf("URL captured in safe mode, replayed to the plaintext account = %d, want 401", s)
				}
			})
			t.Run("EncryptedToPlaintextAccount", func(t *testing.T) {
				req, _ := f.platform.Request(f.plainURL, TextMessage("o-cadre", vecAppID, "你好", nextID(), time.Now()), ModeSafe)
				if s := status(t, req); s != http.StatusBadRequest {
					t.Fatalf("safe mode to an account without a key = %d, want 400", s)
				}
			})

			f.bot.mu.Lock()
			defer f.bot.mu.Unlock()
			for _, in := range f.bot.calls {
				if in.UserID != "o-cadre" {
					t.Fatalf("a refused message reached the bot as %q", in.UserID)
				}
			}
		})
	}
}

func TestBudget(t *testing.T) {
	late := &lateRecorder{ch: make(chan struct{}, 1)}
	f := newFixture(t, kv.NewMemory(), func(o *CallbackOptions) {
		o.Budget = 100 * time.Millisecond
		o.Late = late
	})
	f.bot.delay = 400 * time.Millisecond
	for _, mode := range []Mode{ModePlain, ModeSafe} {
		reply, err := f.send(t, TextMessage("o-slow", vecAppID, "慢", nextID(), time.Now()), mode)
		if err != nil {
			t.Fatal(err)
		}
		if !reply.Success {
			t.Fatalf("%s: over budget must answer success, got %+v", mode, reply)
		}
		select {
		case <-late.ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: late reply never sent", mode)
		}
	}
	if len(late.got) != 2 || !strings.Contains(late.got[0].Text, "慢") {
		t.Fatalf("late replies %+v", late.got)
	}
}

func TestNoReplyAnswersSuccess(t *testing.T) {
	f := newFixture(t, kv.NewMemory(), nil)
	for _, mode := range []Mode{ModePlain, ModeSafe} {
		req, _ := f.platform.Request(f.urlFor(mode), EventMessage("o-bye", vecAppID, "unsubscribe", "", time.Now().Add(time.Duration(len(mode))*time.Second)), mode)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "success" {
			t.Fatalf("%s: no reply answered %q, want success", mode, b)
		}
	}
}

func TestPerUserOrder(t *testing.T) {
	f := newFixture(t, kv.NewMemory(), nil)
	f.bot.delay = 30 * time.Millisecond
	var wg sync.WaitGroup
	for u := 0; u < 3; u++ {
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func(u, i int) {
				defer wg.Done()
				if _, err := f.send(t, TextMessage(fmt.Sprintf("o-order-%d", u), vecAppID, fmt.Sprint(i), nextID(), time.Now()), ModePlain); err != nil {
					t.Error(err)
				}
			}(u, i)
		}
	}
	wg.Wait()
	if f.bot.overlap.Load() {
		t.Fatal("two turns of one user ran at the same time")
	}
	if f.bot.count() != 12 {
		t.Fatalf("handled %d of 12", f.bot.count())
	}
}

type receipts struct {
	mu  sync.Mutex
	got map[int64]string
}

func (r *receipts) TemplateFinished(ctx context.Context, id int64, status string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got[id] = status
	return nil
}

func TestTemplateFinishIsAReceipt(t *testing.T) {
	rec := &receipts{got: map[int64]string{}}
	f := newFixture(t, kv.NewMemory(), func(o *CallbackOptions) { o.Receipts = rec })
	m := EventMessage("o-r", vecAppID, "TEMPLATESENDJOBFINISH", "", time.Now())
	m.TemplateID, m.Status = 2001, cd("failed:user block")
	if _, err := f.send(t, m, ModePlain); err != nil {
		t.Fatal(err)
	}
	if rec.got[2001] != "failed:user block" || f.bot.count() != 0 {
		t.Fatalf("receipt %v, bot calls %d", rec.got, f.bot.count())
	}
}
