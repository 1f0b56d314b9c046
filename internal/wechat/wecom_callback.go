package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/kv"
)

// WeComOptions configures the WeCom smart-robot callback.
type WeComOptions struct {
	Token  string
	AESKey string
	// CorpID is accepted as the receive id besides "" (the smart robot
	// encrypts with an empty receive id; other WeCom callbacks use the corp id).
	CorpID       string
	KV           kv.Store
	Handler      Handler
	ReplayWindow time.Duration
	// Lease is as in CallbackOptions; 0 means DefaultLease.
	Lease time.Duration
	// TurnReads is as in CallbackOptions.
	TurnReads func(chat.Inbound) []string
	// ResponseHosts are the hosts a response_url may point to (besides
	// qyapi.weixin.qq.com); anything else is refused so a forged message
	// cannot make the service post to an arbitrary address.
	ResponseHosts []string
	HTTPClient    *http.Client
	Clock         clock.Clock
	Log           *slog.Logger
}

// WeComCallback serves /wechat/wecom/bot: group @-mentions and single chats
// with the WeCom smart robot. It answers the platform at once (an empty
// answer is allowed) and replies through the message's response_url.
type WeComCallback struct {
	opts  WeComOptions
	turns *turns
	log   *slog.Logger
}

// NewWeComCallback builds the WeCom callback handler.
func NewWeComCallback(o WeComOptions) *WeComCallback {
	quietSDK()
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	// Replies always go out through response_url, so the turn may take as
	// long as the handler needs.
	t := newTurns(o.KV, o.Handler, handlerTimeout, o.Lease, nil, o.Log)
	t.reads = o.TurnReads
	return &WeComCallback{opts: o, turns: t, log: o.Log}
}

// WeComMessage is the decrypted smart-robot message.
type WeComMessage struct {
	MsgID    string `json:"msgid"`
	AIBotID  string `json:"aibotid"`
	ChatID   string `json:"chatid"`
	ChatType string `json:"chattype"`
	From     struct {
		UserID string `json:"userid"`
	} `json:"from"`
	ResponseURL string `json:"response_url"`
	MsgType     string `json:"msgtype"`
	Text        struct {
		Content string `json:"content"`
	} `json:"text"`
	Voice struct {
		Content string `json:"content"`
	} `json:"voice"`
	Image struct {
		URL string `json:"url"`
	} `json:"image"`
	CreateTime int64 `json:"create_time,omitempty"`
}

func (cb *WeComCallback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serveCallback(w, r, cb.log, "wecom callback refused", cb.refused, cb.verifyURL, cb.serveMessage)
}

// check verifies the message signature over encrypted and the timestamp.
func (cb *WeComCallback) check(r *http.Request, encrypted string) error {
	q := r.URL.Query()
	timestamp, nonce := q.Get("timestamp"), q.Get("nonce")
	if timestamp == "" || nonce == "" || encrypted == "" || !signatureOK(q.Get("msg_signature"), cb.opts.Token, timestamp, nonce, encrypted) {
		return refuse(http.StatusUnauthorized, "bad message signature")
	}
	return checkTimestamp(timestamp, cb.opts.ReplayWindow, cb.opts.Clock.Now())
}

// decrypt opens a WeCom ciphertext; the receive id must be "" (smart
// robot) or the configured corp id.
func (cb *WeComCallback) decrypt(encrypted string) ([]byte, error) {
	key, err := decodeAESKey(cb.opts.AESKey)
	if err != nil {
		return nil, err
	}
	raw, err := decodeBase64(encrypted)
	if err != nil {
		return nil, errors.New("ciphertext is not valid base64")
	}
	msg, rid, err := openCiphertext(raw, key)
	if err != nil {
		return nil, err
	}
	if rid != "" && rid != cb.opts.CorpID {
		return nil, errors.New("receive id does not match")
	}
	return msg, nil
}

func (cb *WeComCallback) verifyURL(w http.ResponseWriter, r *http.Request) error {
	echo := r.URL.Query().Get("echostr")
	if err := cb.check(r, echo); err != nil {
		return err
	}
	plain, err := cb.decrypt(echo)
	if err != nil {
		return refuse(http.StatusBadRequest, "undecryptable echostr")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = w.Write(plain)
	return err
}

func (cb *WeComCallback) serveMessage(w http.ResponseWriter, r *http.Request) error {
	body, err := readCallbackBody(w, r)
	if err != nil {
		return err
	}
	var env struct {
		Encrypt string `json:"encrypt"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
		return refuse(http.StatusBadRequest, "malformed JSON envelope")
	}
	if err := cb.check(r, env.Encrypt); err != nil {
		return err
	}
	plain, err := cb.decrypt(env.Encrypt)
	if err != nil {
		return refuse(http.StatusBadRequest, "undecryptable message")
	}
	var m WeComMessage
	if err := json.Unmarshal(plain, &m); err != nil || m.MsgID == "" || m.From.UserID == "" {
		return refuse(http.StatusBadRequest, "malformed message")
	}
	in := cb.toInbound(m)
	// The platform wants an answer within about a second; the reply goes
	// through response_url when ready. Dedupe makes repeats no-ops.
	cb.turns.running.add()
	go func() {
		defer cb.turns.running.done()
		ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
		defer cancel()
		defer context.AfterFunc(cb.turns.abort, cancel)()
		out, _, repeat, _ := cb.turns.runOnce(ctx, in, nil)
		if repeat || out.Empty() {
			return
		}
		if err := cb.respond(ctx, m.ResponseURL, out); err != nil {
			cb.log.Warn("wecom reply failed", "user", hashID(in.UserID), "err", Redact(err.Error()))
		}
	}()
	w.WriteHeader(http.StatusOK)
	return nil
}

// Drain waits, until ctx ends, for turns still running and their replies
// through response_url; the error says how many were dropped.
func (cb *WeComCallback) Drain(ctx context.Context) error { return cb.turns.drain(ctx) }

var mention = regexp.MustCompile(`^(@\S+\s*)+`)

func (cb *WeComCallback) toInbound(m WeComMessage) chat.Inbound {
	in := chat.Inbound{
		Channel: chat.ChannelWeCom,
		UserID:  m.From.UserID,
		ChatID:  m.ChatID,
		Group:   m.ChatType == "group",
		MsgKey:  "w:" + m.MsgID,
		Time:    cb.opts.Clock.Now(),
	}
	switch m.MsgType {
	case "text":
		// In a group the text starts with the @-mention of the robot.
		in.Kind, in.Text = chat.KindText, strings.TrimSpace(mention.ReplaceAllString(strings.TrimSpace(m.Text.Content), ""))
	case "voice":
		in.Kind, in.Text = chat.KindVoice, m.Voice.Content
	case "image":
		in.Kind, in.PicURL = chat.KindImage, m.Image.URL
	case "file":
		in.Kind = chat.KindFile
	default:
		in.Kind = chat.KindUnknown
	}
	return in
}

// respond posts the answer to the message's response_url as markdown.
func (cb *WeComCallback) respond(ctx context.Context, responseURL string, out chat.Outbound) error {
	u, err := url.Parse(responseURL)
	if err != nil || !cb.allowedHost(u) {
		return fmt.Errorf("response_url not allowed")
	}
	payload, _ := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": Markdown(out)}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := cb.opts.HTTPClient.Do(req)
	if err != nil {
		return errors.New("post response: " + Redact(err.Error()))
	}
	defer resp.Body.Close()
	var res struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&res)
	if resp.StatusCode != http.StatusOK || res.ErrCode != 0 {
		return fmt.Errorf("response_url answered %d errcode %d", resp.StatusCode, res.ErrCode)
	}
	return nil
}

func (cb *WeComCallback) allowedHost(u *url.URL) bool {
	if u.Scheme == "https" && u.Host == "qyapi.weixin.qq.com" {
		return true
	}
	for _, h := range cb.opts.ResponseHosts {
		if u.Host == h {
			return u.Scheme == "http" || u.Scheme == "https"
		}
	}
	return false
}

// Markdown renders an answer for WeCom (markdown ≤ 4096 bytes). The
// answer is plain text naming businesses and people, so it goes in inert
// (chat.MarkdownText): only the links and quotes added here are markup.
func Markdown(out chat.Outbound) string {
	var b strings.Builder
	b.WriteString(chat.MarkdownText(textOf(out)))
	for _, a := range out.Articles {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "[%s](%s)", chat.MarkdownText(a.Title), a.URL)
		if a.Description != "" {
			b.WriteString("\n> " + chat.MarkdownText(a.Description))
		}
	}
	return truncateBytes(b.String(), 4096)
}

// truncateBytes cuts s to at most n bytes on a rune boundary, marking the cut.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
