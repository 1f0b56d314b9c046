package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/officialaccount"
	"github.com/silenceper/wechat/v2/officialaccount/basic"
	oaconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/officialaccount/oauth"
	"github.com/silenceper/wechat/v2/util"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
)

// Platform hosts. Every call is addressed to these and rewritten to the
// configured base by the URI modifier (see setBase).
const (
	// OfficialAPI is the platform's API base, the default APIBase.
	OfficialAPI = "https://api.weixin.qq.com"
	openHost    = "https://open.weixin.qq.com"
)

// Limits.
const (
	defaultHTTPTimeout = 10 * time.Second
	// MaxMediaSize bounds a downloaded temporary medium (a photo is far smaller;
	// the platform's own limit for images is 10 MB).
	MaxMediaSize = 10 << 20
	// maxQRExpire is the platform's limit for a temporary QR code.
	maxQRExpire = 30 * 24 * time.Hour
)

// ClientOptions configures a Client.
type ClientOptions struct {
	AppID, AppSecret string
	// APIBase is where calls go: OfficialAPI (the default) or a fake's URL.
	APIBase string
	// KV holds the access token shared by all instances, and its lock.
	KV kv.Store
	// HTTPTimeout bounds each HTTP request (default 10s).
	HTTPTimeout time.Duration
	Log         *slog.Logger
}

// Client calls the Official Account API: template, subscribe and
// customer-service messages, menu, temporary media, OAuth (snsapi_base) and
// QR codes. It is safe for concurrent use.
//
// Every call honours its context, and each HTTP request is bounded by
// HTTPTimeout. Every failure is an *Error (see AsError). A call rejected for
// its access token (40001, 40014, 42001) is retried once with a fresh token.
//
// The client is built from the SDK's officialaccount package and calls
// through the SDK's context-aware HTTP helpers (its send methods take no
// context). The root package is not imported: its init turns global logging
// to debug on stdout.
//
// The SDK's URI modifier and HTTP client are process globals, so one process
// talks to one API base: each NewClient points them at its APIBase, and a
// Client whose base is no longer the current one refuses to call rather than
// reach the other base. Tests that use clients with different bases must not
// run them in parallel.
type Client struct {
	appID   string
	secret  string
	base    string
	timeout time.Duration
	tokens  *tokenSource
	http    *http.Client
	oauth   *oauth.Oauth
	tags    tagCache
}

// NewClient checks opts and builds a Client. It makes no call: the first
// token is fetched by the first call that needs one.
func NewClient(opts ClientOptions) (*Client, error) {
	if opts.AppID == "" || opts.AppSecret == "" {
		return nil, errors.New("wechat new client: AppID and AppSecret are required")
	}
	if opts.KV == nil {
		return nil, errors.New("wechat new client: KV is required")
	}
	base, err := cleanBase(opts.APIBase, OfficialAPI)
	if err != nil {
		return nil, fmt.Errorf("wechat new client: %w", err)
	}
	if opts.HTTPTimeout <= 0 {
		opts.HTTPTimeout = defaultHTTPTimeout
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	quietSDK()
	setupSDK()
	setBase(base)

	c := &Client{
		appID:   opts.AppID,
		secret:  opts.AppSecret,
		base:    base,
		timeout: opts.HTTPTimeout,
		http:    util.DefaultHTTPClient,
	}
	sdkCache := newKVCache(opts.KV, "wechat:sdk:")
	oa := officialaccount.NewOfficialAccount(&oaconfig.Config{
		AppID:       opts.AppID,
		AppSecret:   opts.AppSecret,
		Cache:       sdkCache,
		UseStableAK: true,
	})
	stable, ok := credential.NewStableAccessToken(opts.AppID, opts.AppSecret,
		credential.CacheKeyOfficialAccountPrefix, sdkCache).(*credential.StableAccessToken)
	if !ok {
		return nil, errors.New("wechat new client: unexpected stable-token handle")
	}
	c.tokens = newTokenSource(opts.KV, opts.AppID, opts.HTTPTimeout, opts.Log,
		func(ctx context.Context) (string, time.Duration, error) {
			res, err := stable.GetAccessTokenDirectly(ctx, false)
			if err != nil {
				return "", 0, normalize("token", err, opts.AppSecret, res.AccessToken)
			}
			return res.AccessToken, time.Duration(res.ExpiresIn) * time.Second, nil
		})
	oa.SetAccessTokenHandle(c.tokens)
	// The SDK's getters create their objects lazily without a lock, so the
	// ones used are created here, once.
	c.oauth = oa.GetOauth()
	return c, nil
}

var (
	sdkOnce sync.Once
	// apiBase is read by the URI modifier on every SDK call; NewClient sets it.
	apiBase atomic.Pointer[string]
)

// setupSDK installs, once per process, the URI modifier and an HTTP client
// with timeouts (the SDK's default is http.DefaultClient, which has none).
// Each request is further bounded by its Client's HTTPTimeout through its
// context; the client-wide Timeout is a backstop for SDK calls made without one.
func setupSDK() {
	sdkOnce.Do(func() {
		dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
		util.DefaultHTTPClient = &http.Client{
			Timeout: time.Minute,
			Transport: &http.Transport{
				Proxy:                 http.ProxyFromEnvironment,
				DialContext:           dialer.DialContext,
				TLSHandshakeTimeout:   5 * time.Second,
				ResponseHeaderTimeout: 30 * time.Second,
				IdleConnTimeout:       90 * time.Second,
				MaxIdleConnsPerHost:   16,
			},
			// The platform never redirects an API call; a redirect would leak
			// the token in the query to another host.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		util.SetURIModifier(rewrite)
	})
}

func setBase(base string) { apiBase.Store(&base) }

// checkBase refuses to call when a later NewClient has pointed the process's
// URI modifier elsewhere: the call would silently go to the other base.
func (c *Client) checkBase(op string) error {
	if p := apiBase.Load(); p == nil || *p != c.base {
		return &Error{Op: op, Msg: "API base re-pointed by another client in this process"}
	}
	return nil
}

// rewrite points a platform URL at the configured base. With the official
// base nothing changes; with a fake, the OAuth page (open.weixin.qq.com) is
// served by the fake too.
func rewrite(uri string) string {
	p := apiBase.Load()
	if p == nil || *p == OfficialAPI {
		return uri
	}
	for _, host := range []string{OfficialAPI, openHost} {
		if rest, ok := strings.CutPrefix(uri, host); ok && (rest == "" || rest[0] == '/' || rest[0] == '?') {
			return *p + rest
		}
	}
	return uri
}

// cleanBase validates an API base URL and drops a trailing slash.
func cleanBase(base, def string) (string, error) {
	if base == "" {
		return def, nil
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return "", fmt.Errorf("API base %q is not an http(s) URL", Redact(base))
	}
	return strings.TrimRight(base, "/"), nil
}

// AccessToken returns the shared access token, fetching it if needed.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	if err := c.checkBase("token"); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*c.timeout)
	defer cancel()
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return "", normalize("token", err, c.secret)
	}
	return tok, nil
}

// withToken runs call with the access token, and once more with a fresh one
// when the platform rejects the token: another instance (or the platform's
// own refresh) may have replaced it.
func (c *Client) withToken(ctx context.Context, op string, call func(ctx context.Context, token string) error) error {
	if err := c.checkBase(op); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.AccessToken(ctx)
		if err != nil {
			e := normalize(op, err, c.secret)
			e.Op = op + ": token"
			return e
		}
		cctx, cancel := context.WithTimeout(ctx, c.timeout)
		err = call(cctx, tok)
		cancel()
		if err == nil {
			return nil
		}
		e := normalize(op, err, c.secret, tok)
		if !e.TokenInvalid() || attempt > 0 {
			return e
		}
		c.tokens.Drop(ctx, tok)
	}
}

// postJSON posts body to path with the token and decodes the answer into out
// (which may be nil); an errcode other than 0 is an error.
func (c *Client) postJSON(ctx context.Context, op, path string, body, out any) error {
	return c.withToken(ctx, op, func(ctx context.Context, token string) error {
		resp, err := util.PostJSONContext(ctx, apiURL(path, token), body)
		if err != nil {
			return err
		}
		return decode(resp, op, out)
	})
}

func apiURL(path, token string) string {
	return OfficialAPI + path + "?access_token=" + url.QueryEscape(token)
}

// decode checks the errcode of a platform answer and fills out.
func decode(resp []byte, op string, out any) error {
	if err := util.DecodeWithCommonError(resp, op); err != nil {
		var ce *util.CommonError
		if errors.As(err, &ce) {
			return err
		}
		return &Error{Op: op, Msg: "malformed answer from the platform"}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp, out); err != nil {
		return &Error{Op: op, Msg: "malformed answer from the platform"}
	}
	return nil
}

// TemplateMessage is a template message (模板消息). Since 2023 the platform
// shows no colours and no first/remark lines, and cuts each field to 20
// characters: put the detail behind URL.
type TemplateMessage struct {
	ToUser     string
	TemplateID string
	// URL opens when the user taps the message (an H5 page of ours).
	URL string
	// Data maps the template's keys (thing1, time2, ...) to values.
	Data map[string]string
	// ClientMsgID makes the send idempotent on the platform: a repeat with the
	// same id is not delivered twice (use the outbox row's idempotency key).
	ClientMsgID string
}

type valueItem struct {
	Value string `json:"value"`
}

func dataItems(data map[string]string) map[string]valueItem {
	items := make(map[string]valueItem, len(data))
	for k, v := range data {
		items[k] = valueItem{Value: v}
	}
	return items
}

// The SDK's template and subscribe types always send an empty "miniprogram"
// object; these send only what is set.
type templateBody struct {
	ToUser      string               `json:"touser"`
	TemplateID  string               `json:"template_id"`
	URL         string               `json:"url,omitempty"`
	Data        map[string]valueItem `json:"data"`
	ClientMsgID string               `json:"client_msg_id,omitempty"`
}

// TemplateSend sends a template message and returns the platform's message
// id (the id a later template-send-job-finish event reports). Errors:
// Unreachable (not following, blocked), Throttled (daily quota), others.
func (c *Client) TemplateSend(ctx context.Context, m TemplateMessage) (int64, error) {
	const op = "template send"
	if m.ToUser == "" || m.TemplateID == "" {
		return 0, invalid(op, "recipient and template id are required")
	}
	var res struct {
		MsgID int64 `json:"msgid"`
	}
	err := c.postJSON(ctx, op, "/cgi-bin/message/template/send", templateBody{
		ToUser: m.ToUser, TemplateID: m.TemplateID, URL: m.URL,
		Data: dataItems(m.Data), ClientMsgID: m.ClientMsgID,
	}, &res)
	return res.MsgID, err
}

// SubscribeMessage is a subscribe notification (订阅通知): one send per user
// consent for one-time templates, unlimited for long-term ones.
type SubscribeMessage struct {
	ToUser     string
	TemplateID string
	// Page is the web page the notification opens.
	Page string
	Data map[string]string
}

type subscribeBody struct {
	ToUser     string               `json:"touser"`
	TemplateID string               `json:"template_id"`
	Page       string               `json:"page,omitempty"`
	Data       map[string]valueItem `json:"data"`
}

// SubscribeSend sends a subscribe notification. Errors: Unreachable (the user
// refused or never consented: 43101; not following), Throttled, others.
func (c *Client) SubscribeSend(ctx context.Context, m SubscribeMessage) error {
	const op = "subscribe send"
	if m.ToUser == "" || m.TemplateID == "" {
		return invalid(op, "recipient and template id are required")
	}
	return c.postJSON(ctx, op, "/cgi-bin/message/subscribe/bizsend", subscribeBody{
		ToUser: m.ToUser, TemplateID: m.TemplateID, Page: m.Page, Data: dataItems(m.Data),
	}, nil)
}

// CustomSend sends a customer-service message: a news card built from the
// first article when out has articles (as the passive reply does), otherwise
// its text. It is allowed only within 48 hours of the user's last message;
// outside that the error is OutsideWindow.
func (c *Client) CustomSend(ctx context.Context, toUser string, out chat.Outbound) error {
	const op = "custom send"
	if toUser == "" || out.Empty() {
		return invalid(op, "recipient and content are required")
	}
	var msg *message.CustomerMessage
	if len(out.Articles) > 0 {
		a := out.Articles[0]
		msg = &message.CustomerMessage{ToUser: toUser, Msgtype: message.MsgTypeNews,
			News: &message.MediaNews{Articles: []message.MediaArticles{{
				Title: a.Title, Description: a.Description, URL: a.URL, Picurl: a.PicURL,
			}}}}
	} else {
		msg = message.NewCustomerTextMessage(toUser, textOf(out))
	}
	return c.postJSON(ctx, op, "/cgi-bin/message/custom/send", msg, nil)
}

// DownloadMedia fetches a temporary medium (a photo the user sent; kept by
// the platform for 3 days) and its content type. It refuses media larger than
// MaxMediaSize and video (which the platform answers with a link).
func (c *Client) DownloadMedia(ctx context.Context, mediaID string) ([]byte, string, error) {
	const op = "media get"
	if mediaID == "" {
		return nil, "", invalid(op, "media id is required")
	}
	var data []byte
	var ctype string
	err := c.withToken(ctx, op, func(ctx context.Context, token string) error {
		var err error
		data, ctype, err = c.getMedia(ctx, op, apiURL("/cgi-bin/media/get", token)+"&media_id="+url.QueryEscape(mediaID))
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return data, ctype, nil
}

func (c *Client) getMedia(ctx context.Context, op, uri string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rewrite(uri), nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", &Error{Op: op, Msg: "http status " + strconv.Itoa(resp.StatusCode),
			Temporary: resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxMediaSize+1))
	if err != nil {
		return nil, "", err
	}
	if len(data) > MaxMediaSize {
		return nil, "", &Error{Op: op, Msg: fmt.Sprintf("medium larger than %d bytes", MaxMediaSize)}
	}
	ctype := resp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ctype)
	if mt == "application/json" || mt == "text/plain" {
		// An error, or a video's download link: never the medium itself.
		if err := decode(data, op, nil); err != nil {
			return nil, "", err
		}
		return nil, "", &Error{Op: op, Msg: "medium is a video link, not a file"}
	}
	return data, ctype, nil
}

// OAuthURL is the web-authorisation (snsapi_base) address to send an H5
// visitor to; the platform comes back to redirectURI with ?code=...&state=...
func (c *Client) OAuthURL(redirectURI, state string) string {
	// The platform wants the parameters in this order.
	return rewrite(openHost + "/connect/oauth2/authorize?appid=" + url.QueryEscape(c.appID) +
		"&redirect_uri=" + url.QueryEscape(redirectURI) +
		"&response_type=code&scope=snsapi_base&state=" + url.QueryEscape(state) + "#wechat_redirect")
}

// OAuthOpenID exchanges a web-authorisation code for the visitor's openid. A
// code works once, for five minutes: an unknown, expired or used code is an
// error of kind Unauthorized (40029, 40163).
func (c *Client) OAuthOpenID(ctx context.Context, code string) (string, error) {
	const op = "oauth"
	if code == "" {
		return "", invalid(op, "code is required")
	}
	if err := c.checkBase(op); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res, err := c.oauth.GetUserAccessTokenContext(ctx, code)
	if err != nil {
		return "", normalize(op, err, c.secret, code, res.AccessToken, res.RefreshToken)
	}
	if res.OpenID == "" {
		return "", &Error{Op: op, Msg: "platform returned no openid"}
	}
	return res.OpenID, nil
}

// CreateQRScene creates a temporary QR code carrying scene (1–64 bytes), for
// binding: scanning it sends a subscribe or SCAN event with the scene as the
// event key. expire is capped at 30 days. It returns the ticket (the image is
// at https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=...) and the URL the
// QR code encodes.
func (c *Client) CreateQRScene(ctx context.Context, scene string, expire time.Duration) (ticket, qrURL string, err error) {
	const op = "qrcode create"
	if scene == "" || len(scene) > 64 {
		return "", "", invalid(op, "scene must be 1 to 64 bytes")
	}
	expire = min(max(expire, time.Minute), maxQRExpire)
	var res basic.Ticket
	err = c.postJSON(ctx, op, "/cgi-bin/qrcode/create", basic.NewTmpQrRequest(expire, scene), &res)
	if err != nil {
		return "", "", err
	}
	return res.Ticket, res.URL, nil
}
