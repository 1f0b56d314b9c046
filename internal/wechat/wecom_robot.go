package wechat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/robot"

	"github.com/shianbao/shianbao/internal/kv"
)

// WeComAPI is the WeCom API base, the group robot's default.
const WeComAPI = "https://qyapi.weixin.qq.com"

// Group-robot limits set by the platform.
const (
	RobotPerMinute   = 20
	MaxRobotMarkdown = 4096
	// robotWindow is the platform's minute plus a second for the time a
	// request spends on the way, so sends that leave 60 s apart never arrive
	// closer than that.
	robotWindow = time.Minute + time.Second
)

// RobotSender posts to WeCom group robots (群机器人), one webhook key per
// town or office group. It keeps every robot under the platform's 20
// messages a minute, counted across all instances through kv, and answers a
// send over the limit with a Throttled *Error whose RetryAfter says when a
// slot frees up. The webhook key is a credential: it is never logged, kept in
// kv only as a hash, and redacted from errors.
//
// It uses its own HTTP client and base URL, not the SDK's process globals,
// so it is independent of Client.
type RobotSender struct {
	store kv.Store
	base  string
	http  *http.Client
}

// NewRobotSender returns a sender that posts to apiBase (WeComAPI when empty
// or when given the Official Account's OfficialAPI, so one configured base
// serves both in production) with requests bounded by httpTimeout (default 10s).
func NewRobotSender(store kv.Store, apiBase string, httpTimeout time.Duration) *RobotSender {
	quietSDK()
	if apiBase == OfficialAPI {
		apiBase = ""
	}
	base, err := cleanBase(apiBase, WeComAPI)
	if err != nil {
		// Kept as given: every send then fails with a redacted error.
		base = apiBase
	}
	if httpTimeout <= 0 {
		httpTimeout = defaultHTTPTimeout
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &RobotSender{
		store: store,
		base:  base,
		http: &http.Client{
			Timeout: httpTimeout,
			Transport: &http.Transport{
				Proxy:                 http.ProxyFromEnvironment,
				DialContext:           dialer.DialContext,
				TLSHandshakeTimeout:   5 * time.Second,
				ResponseHeaderTimeout: httpTimeout,
				IdleConnTimeout:       90 * time.Second,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// SendMarkdown posts WeCom markdown (cut politely to 4096 bytes).
func (r *RobotSender) SendMarkdown(ctx context.Context, webhookKey, md string) error {
	const op = "robot send"
	md = truncateUTF8(md, MaxRobotMarkdown)
	if strings.TrimSpace(md) == "" {
		return invalid(op, "markdown is empty")
	}
	var msg robot.WebhookSendMarkdownOption
	msg.MsgType = "markdown"
	msg.Markdown.Content = md
	return r.send(ctx, op, webhookKey, msg)
}

func (r *RobotSender) send(ctx context.Context, op, webhookKey string, msg any) error {
	if webhookKey == "" {
		return invalid(op, "webhook key is required")
	}
	wait, err := r.reserve(ctx, webhookKey)
	if err != nil {
		e := normalize(op, err, webhookKey)
		e.Temporary = true // the store is unreachable or time ran out
		return e
	}
	if wait > 0 {
		return &Error{Op: op, Code: CodeQuota, RetryAfter: wait,
			Msg: "robot's limit of " + strconv.Itoa(RobotPerMinute) + " messages a minute reached"}
	}
	if err := r.post(ctx, op, webhookKey, msg); err != nil {
		return normalize(op, err, webhookKey)
	}
	return nil
}

// reserve takes one of the robot's RobotPerMinute slots for robotWindow, or
// returns how long until one frees up. Each slot is a key set with SetNX, so
// at most RobotPerMinute sends of a robot start in any window, whichever
// instances make them — an exact sliding window, where a counter per fixed
// minute would let 40 through around a minute's turn.
func (r *RobotSender) reserve(ctx context.Context, webhookKey string) (time.Duration, error) {
	prefix := "wecom:robot:" + robotID(webhookKey) + ":slot:"
	for range 2 {
		for i := range RobotPerMinute {
			ok, err := r.store.SetNX(ctx, prefix+strconv.Itoa(i), "1", robotWindow)
			if err != nil {
				return 0, err
			}
			if ok {
				return 0, nil
			}
		}
		wait := robotWindow
		for i := range RobotPerMinute {
			ttl, err := r.store.TTL(ctx, prefix+strconv.Itoa(i))
			switch {
			case errors.Is(err, kv.ErrMiss):
				ttl = 0 // freed since the scan above: scan again
			case err != nil:
				return 0, err
			}
			wait = min(wait, ttl)
		}
		if wait > 0 {
			return wait, nil
		}
	}
	// Slots keep freeing and filling under us: the robot is at its limit.
	return time.Second, nil
}

// robotID is a stable pseudonym of a webhook key for kv keys, which
// operators can read.
func robotID(webhookKey string) string {
	sum := sha256.Sum256([]byte("shianbao-robot:" + webhookKey))
	return hex.EncodeToString(sum[:8])
}

func (r *RobotSender) post(ctx context.Context, op, webhookKey string, msg any) error {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(msg); err != nil {
		return err
	}
	uri := r.base + "/cgi-bin/webhook/send?key=" + url.QueryEscape(webhookKey)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := r.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &Error{Op: op, Msg: "http status " + strconv.Itoa(resp.StatusCode),
			Temporary: resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return err
	}
	// The SDK's RobotBroadcast returns a nil error with errcode ≠ 0; the
	// answer is checked here instead.
	var res util.CommonError
	if err := json.Unmarshal(data, &res); err != nil {
		return &Error{Op: op, Msg: "malformed answer from the platform"}
	}
	return checkCommon(op, res)
}

// truncateUTF8 cuts s to at most limit bytes on a rune boundary, ending with
// "…" when something was cut.
func truncateUTF8(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= limit {
		return s
	}
	const ellipsis = "…"
	cut := limit - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
