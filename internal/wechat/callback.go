package wechat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/config"
	oacontext "github.com/silenceper/wechat/v2/officialaccount/context"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/officialaccount/server"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/kv"
)

// MaxCallbackBody is the largest callback body accepted. Platform messages
// are a few KiB; anything bigger is not from the platform.
const MaxCallbackBody = 64 << 10

// CallbackOptions configures the Official Account callback.
type CallbackOptions struct {
	AppID string
	Token string
	// AESKey is the EncodingAESKey. Set, the account is encrypted and
	// plaintext POSTs are refused; empty, only plaintext is accepted.
	AESKey string
	KV     kv.Store
	// Handler is the bot.
	Handler Handler
	// ReplayWindow is the largest accepted age (or skew) of a callback's
	// timestamp; 0 turns the check off (for fixtures with old timestamps).
	ReplayWindow time.Duration
	// Budget is how long the handler may take before the callback answers
	// "success" and the reply goes out as a customer-service message.
	Budget time.Duration
	// Lease is how long a claim on a turn and a user's lock outlive a
	// crashed owner; 0 means DefaultLease. Tests shorten it.
	Lease time.Duration
	// Late sends replies that missed the budget; nil drops them (tests).
	Late LateSender
	// TurnReads names kv keys the turn's first call reads for the handler
	// (kv.ReadAhead); they must carry the user's chat.UserTag. nil: none.
	TurnReads func(chat.Inbound) []string
	// Menus sends a reply's choices (chat.Outbound.Menu) as a
	// customer-service msgmenu; nil answers every reply with its text.
	Menus MenuSender
	// Receipts records template-send-job-finish events; nil ignores them.
	Receipts ReceiptSink
	Clock    clock.Clock
	Log      *slog.Logger
}

// ReceiptSink records the platform's report on a template message: the
// push outbox implements it.
type ReceiptSink interface {
	TemplateFinished(ctx context.Context, templateMsgID int64, status string) error
}

// Callback serves /wechat/oa: GET verifies the URL, POST delivers messages
// and events. With an AES key configured it accepts only compatible and
// safe (AES) mode; without one, only plaintext.
type Callback struct {
	opts   CallbackOptions
	sdkCtx *oacontext.Context
	turns  *turns
	menus  *menus
	log    *slog.Logger
}

// NewCallback builds the callback handler.
func NewCallback(o CallbackOptions) *Callback {
	quietSDK()
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Budget <= 0 {
		o.Budget = 4 * time.Second
	}
	// The server side of the SDK needs only the credentials; it never
	// fetches a token, so no cache or token handle is configured here.
	sdkCtx := &oacontext.Context{Config: &config.Config{AppID: o.AppID, Token: o.Token, EncodingAESKey: o.AESKey}}
	var m *menus
	late := o.Late
	if o.Menus != nil {
		m = &menus{kv: o.KV, send: o.Menus, appID: o.AppID, log: o.Log}
		if late != nil {
			late = menuLate{menus: m, next: late}
		}
	}
	t := newTurns(o.KV, o.Handler, o.Budget, o.Lease, late, o.Log)
	t.reads = o.TurnReads
	return &Callback{opts: o, sdkCtx: sdkCtx, turns: t, menus: m, log: o.Log}
}

// Drain waits, until ctx ends, for turns still running past the reply
// budget and for their late replies; call it after the HTTP server has
// stopped taking requests. The error says how many turns were dropped.
func (cb *Callback) Drain(ctx context.Context) error { return cb.turns.drain(ctx) }

// ServeHTTP answers the platform.
func (cb *Callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serveCallback(w, r, cb.log, "wechat callback refused", cb.refused, cb.verifyURL, cb.serveMessage)
}

// checkURL verifies the URL signature and the timestamp window.
func (cb *Callback) checkURL(r *http.Request) (timestamp, nonce string, err error) {
	q := r.URL.Query()
	timestamp, nonce = q.Get("timestamp"), q.Get("nonce")
	if timestamp == "" || nonce == "" || !signatureOK(q.Get("signature"), cb.opts.Token, timestamp, nonce) {
		return "", "", refuse(http.StatusUnauthorized, "bad URL signature")
	}
	if err := checkTimestamp(timestamp, cb.opts.ReplayWindow, cb.opts.Clock.Now()); err != nil {
		return "", "", err
	}
	return timestamp, nonce, nil
}

func (cb *Callback) verifyURL(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := cb.checkURL(r); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := io.WriteString(w, r.URL.Query().Get("echostr"))
	return err
}

// envelope is the safe-mode body: the message itself is in Encrypt.
type envelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName string   `xml:"ToUserName"`
	Encrypt    string   `xml:"Encrypt"`
}

func (cb *Callback) serveMessage(w http.ResponseWriter, r *http.Request) error {
	body, err := readCallbackBody(w, r)
	if err != nil {
		return err
	}
	timestamp, nonce, err := cb.checkURL(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	safe := q.Get("encrypt_type") == "aes"
	switch {
	case cb.opts.AESKey != "" && !safe:
		// With an AES key the account is in compatible or safe mode, where
		// every message carries encrypt_type=aes and a msg_signature over its
		// ciphertext. A plaintext POST is a captured URL carrying a body of
		// someone else's making: the URL signature does not cover the body.
		return refuse(http.StatusUnauthorized, "plaintext message to an encrypted account")
	case cb.opts.AESKey == "" && safe:
		return refuse(http.StatusBadRequest, "encrypted message but no AES key configured")
	}
	if safe {
		var env envelope
		if err := xml.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
			return refuse(http.StatusBadRequest, "malformed safe-mode envelope")
		}
		if !signatureOK(q.Get("msg_signature"), cb.opts.Token, timestamp, nonce, env.Encrypt) {
			return refuse(http.StatusUnauthorized, "bad message signature")
		}
	}
	// In safe mode the message signature already ties the body to the URL,
	// but the (timestamp, nonce) is recorded in both modes: a URL captured
	// while the account was encrypted stays spent if the account later
	// switches to plaintext within the replay window. A message that starts
	// a turn records it in the turn's first call to the store; the checks
	// above and the decoding below need no store, so nothing runs before.
	guard := cb.replayGuard(timestamp, nonce, body)

	// The SDK's server is built per request (it keeps per-request state).
	// Signatures are already verified above in constant time.
	srv := server.NewServer(cb.sdkCtx)
	srv.Request = r.Clone(r.Context())
	srv.Request.Body = io.NopCloser(bytes.NewReader(body))
	buf := &bufferedWriter{header: http.Header{}}
	srv.Writer = buf
	srv.SkipValidate(true)
	var handled, incomplete, replayed bool
	srv.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
		handled = true
		// Well-formed XML that is not a platform message (no sender or
		// type) must not reach the bot as an anonymous user.
		if m.FromUserName == "" || m.MsgType == "" {
			incomplete = true
			return nil
		}
		reply, refused := cb.reply(r.Context(), m, guard)
		replayed = refused
		return reply
	})
	if err := srv.Serve(); err != nil || !handled || incomplete {
		return refuse(http.StatusBadRequest, "undecodable message")
	}
	if replayed {
		return refuse(http.StatusUnauthorized, "nonce reused with a different body")
	}
	if srv.ResponseMsg != nil {
		buf.reset()
		if err := srv.Send(); err != nil {
			return err
		}
	}
	if buf.body.Len() == 0 {
		// Safe mode with no reply: the SDK would encrypt an empty payload;
		// the platform wants a plain "success".
		buf.body.WriteString("success")
		buf.header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	return buf.flush(w)
}

// replayGuard is the record that refuses a (timestamp, nonce) pair seen
// before with a different body. In plaintext mode the URL signature does
// not cover the body, so this is what stops a captured URL carrying a
// forged message. The same body again is the platform retrying, which the
// dedupe handles. The key is the URL's, not the user's: a forged body may
// name any user, so the record cannot live in the user's hash slot.
func (cb *Callback) replayGuard(timestamp, nonce string, body []byte) *replayGuard {
	sum := sha256.Sum256(body)
	ttl := 2 * cb.opts.ReplayWindow
	if ttl == 0 {
		ttl = 10 * time.Minute
	}
	return &replayGuard{key: "wx:nonce:" + timestamp + ":" + hashID(nonce), digest: hex.EncodeToString(sum[:]), ttl: ttl}
}

// checkReplay records g on its own, for a message that starts no turn. A
// store that cannot answer lets the message through, as a turn does.
func (cb *Callback) checkReplay(ctx context.Context, g *replayGuard) (refused bool) {
	op := kv.SetNXOrGetOp(g.key, g.digest, g.ttl)
	err := cb.opts.KV.Batch(ctx, op)
	return err == nil && op.Err == nil && !op.OK && op.Value != g.digest
}

// reply answers m; refused is true when its nonce was spent on another body.
func (cb *Callback) reply(ctx context.Context, m *message.MixMessage, guard *replayGuard) (reply *message.Reply, refused bool) {
	in := toInbound(m)
	if in.IsEvent(chat.EventTemplateFinish) {
		if cb.checkReplay(ctx, guard) {
			return nil, true
		}
		if cb.opts.Receipts != nil {
			if err := cb.opts.Receipts.TemplateFinished(ctx, in.TemplateMsgID, in.Status); err != nil {
				cb.log.Warn("wechat receipt failed", "err", err.Error())
			}
		}
		return nil, false
	}
	start := time.Now()
	out, answered, refused := cb.turns.run(ctx, in, guard)
	if refused {
		return nil, true
	}
	if !answered {
		return nil, false
	}
	if out.Menu != nil && cb.menus.offer(ctx, in, out, start.Add(cb.opts.Budget)) {
		// The choices went out as a msgmenu; the passive reply is "success".
		return nil, false
	}
	return toReply(out), false
}

// SendLate implements LateSender for the Official Account with a
// customer-service message (allowed within 48 h of the user's message).
type customSender interface {
	CustomSend(ctx context.Context, toUser string, out chat.Outbound) error
}

// CustomLate adapts a client that sends customer-service messages.
type CustomLate struct{ Client customSender }

// SendLate sends out to the user of in as a customer-service message.
func (c CustomLate) SendLate(ctx context.Context, in chat.Inbound, out chat.Outbound) error {
	return c.Client.CustomSend(ctx, in.UserID, out)
}

// bufferedWriter collects the SDK's output so the real response is written
// once, after we know whether there was a reply at all.
type bufferedWriter struct {
	header http.Header
	body   bytes.Buffer
	status int
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) {
	return b.body.Write(p)
}
func (b *bufferedWriter) WriteHeader(status int) { b.status = status }
func (b *bufferedWriter) reset()                 { b.body.Reset() }

func (b *bufferedWriter) flush(w http.ResponseWriter) error {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	if b.status != 0 {
		w.WriteHeader(b.status)
	}
	_, err := w.Write(b.body.Bytes())
	return err
}
