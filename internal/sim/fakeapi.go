// Package sim is the dev simulator and the fake WeChat API behind it. None of
// it runs in a production configuration: it lets the embedded default and
// the end-to-end tests drive the whole product with no platform account.
package sim

import (
	"bytes"
	cryptorand "crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Special codes for FailNext and SetErrorRate that are not errcodes.
const (
	// FaultHTTP500 answers HTTP 500 with no errcode body.
	FaultHTTP500 = -1
	// FaultDrop closes the connection without an answer (what a timeout or a
	// network failure looks like to the client, without the wait).
	FaultDrop = -2
)

// Platform limits the fake enforces.
const (
	robotPerMinute   = 20
	robotTextMax     = 2048
	robotMarkdownMax = 4096
	oauthCodeTTL     = 5 * time.Minute
	maxBody          = 20 << 20
)

// Call is one request the fake received.
type Call struct {
	Time   time.Time
	Method string
	// Path is the endpoint's path, without any prefix the fake is mounted under.
	Path string
	// Query is the query string with access_token, secret and code redacted.
	Query url.Values
	// Body is the request body (a stable-token request's secret redacted).
	Body []byte
	// ToUser is the recipient (openid) of a message, or the persona of an OAuth visit.
	ToUser      string
	ClientMsgID string
	// MsgType is text, news, markdown, template, subscribe, ...
	MsgType string
	// Content is the text, the markdown, a news card's title, or a template's
	// data as "key: value" lines.
	Content string
	// MsgID is the template message id answered.
	MsgID int64
	// Duplicate marks a template send whose client_msg_id was seen before:
	// answered with the first send's msgid and not delivered again.
	Duplicate bool
	// Errcode is what the fake answered: 0 for success, FaultHTTP500 or FaultDrop.
	Errcode int
	// Status is the HTTP status answered (0 for a dropped connection).
	Status int
}

// Delivered reports whether the call put a message in front of a user or group.
func (c Call) Delivered() bool { return c.Errcode == 0 && c.Status == http.StatusOK && !c.Duplicate }

// FakeAPI answers the WeChat API the way the platform does — HTTP 200 with an
// errcode JSON body — for the endpoints the service uses: access token
// (classic and stable), template / subscribe / customer-service messages,
// menu, temporary media, OAuth (snsapi_base, including the authorize page),
// QR codes, WeCom group robots (20 a minute per key) and the WeCom smart
// robot's response_url. It records every call, can be told to fail (FailNext,
// SetErrorRate, SetLatency, SetAcceptDelay, SetUser — or over HTTP at
// FaultsPath), and is safe for concurrent use. It never logs.
//
// It routes by path suffix, so it can be mounted under any prefix without
// http.StripPrefix: the API base is wherever it is served.
type FakeAPI struct {
	mu sync.Mutex

	calls   []Call
	faults  map[string][]fault // path suffix → queued failures
	errRate float64
	errCode []int
	latency time.Duration
	// acceptDelay holds the answer back after the call was handled.
	acceptDelay time.Duration

	appID, secret string
	tokenTTL      time.Duration
	tokens        map[string]time.Time // valid token → expiry
	stable        string
	issued        []string

	users      map[string]bool // openid → following; unknown users follow
	persona    string
	oauthCodes map[string]oauthCode
	media      map[string]medium
	qrScenes   map[string]string
	menu       []byte
	templates  map[string]int64 // client_msg_id → msgid
	nextMsgID  int64
	robotSends map[string][]time.Time
	seq        int64
	// js is the JS-SDK's side (fakeapi_jsapi.go).
	js jsState
}

type fault struct {
	code int
	n    int
}

type oauthCode struct {
	openid  string
	expires time.Time
	used    bool
}

type medium struct {
	data        []byte
	contentType string
}

// NewFakeAPI returns a fake with no tokens, every user following, and tokens
// that live 7200 s.
func NewFakeAPI() *FakeAPI {
	f := &FakeAPI{}
	f.initState()
	return f
}

func (f *FakeAPI) initState() {
	f.faults = map[string][]fault{}
	f.tokenTTL = 7200 * time.Second
	f.tokens = map[string]time.Time{}
	f.users = map[string]bool{}
	f.oauthCodes = map[string]oauthCode{}
	f.media = map[string]medium{}
	f.qrScenes = map[string]string{}
	f.templates = map[string]int64{}
	f.robotSends = map[string][]time.Time{}
	f.nextMsgID = 1_000_000
}

// Calls returns every recorded call, oldest first.
func (f *FakeAPI) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// CallsTo returns the recorded calls whose path ends with pathSuffix.
func (f *FakeAPI) CallsTo(pathSuffix string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if strings.HasSuffix(c.Path, pathSuffix) {
			out = append(out, c)
		}
	}
	return out
}

// Reset forgets recorded calls, queued failures, the error rate and the
// delays. Platform state — tokens, users, media, OAuth codes, the menu,
// robot rate windows — stays, as it would on the platform.
func (f *FakeAPI) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
	f.faults = map[string][]fault{}
	f.errRate, f.errCode, f.latency, f.acceptDelay = 0, nil, 0, 0
}

// FailNext makes the next n calls to the endpoint whose path ends with path
// answer errcode (or FaultHTTP500, FaultDrop). Failures queue up in order.
func (f *FakeAPI) FailNext(path string, errcode int, n int) {
	if n <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[path] = append(f.faults[path], fault{code: errcode, n: n})
}

// SetErrorRate makes each call fail with probability rate, answering one of
// codes at random (errcodes, FaultHTTP500, FaultDrop; FaultHTTP500 when none
// is given). A rate of 0 turns it off.
func (f *FakeAPI) SetErrorRate(rate float64, codes ...int) {
	if len(codes) == 0 {
		codes = []int{FaultHTTP500}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errRate, f.errCode = rate, slices.Clone(codes)
}

// SetLatency delays every answer by d (cut short when the client gives up).
func (f *FakeAPI) SetLatency(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latency = d
}

// SetApp makes the token and OAuth endpoints check the AppID and AppSecret
// (40013, 40125); by default any credentials are accepted.
func (f *FakeAPI) SetApp(appID, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.appID, f.secret = appID, secret
}

// SetTokenTTL sets the lifetime of tokens issued from now on; an expired
// token is answered with 42001.
func (f *FakeAPI) SetTokenTTL(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenTTL = d
}

// SetUser says whether openid follows the account; template, subscribe and
// customer-service messages to a user who does not are answered with 43004.
// Users never set follow.
func (f *FakeAPI) SetUser(openid string, following bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[openid] = following
}

// MapOAuthCode makes code exchange (once, within five minutes) for openid.
func (f *FakeAPI) MapOAuthCode(code, openid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.oauthCodes[code] = oauthCode{openid: openid, expires: time.Now().Add(oauthCodeTTL)}
}

// SetPersona sets the openid the authorize page signs in as when the request
// names no ?persona=.
func (f *FakeAPI) SetPersona(openid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.persona = openid
}

// PutMedia stores a temporary medium that /cgi-bin/media/get then serves.
func (f *FakeAPI) PutMedia(mediaID string, data []byte, contentType string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media[mediaID] = medium{data: slices.Clone(data), contentType: contentType}
}

// Media returns a stored medium (uploaded or put).
func (f *FakeAPI) Media(mediaID string) (data []byte, contentType string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.media[mediaID]
	return slices.Clone(m.data), m.contentType, ok
}

// Menu returns the last menu created, as posted.
func (f *FakeAPI) Menu() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.menu)
}

// QRScene returns the scene of a QR ticket the fake issued.
func (f *FakeAPI) QRScene(ticket string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.qrScenes[ticket]
	return s, ok
}

// TokensIssued counts the access tokens issued (a stable-token request that
// returns the token still in force does not count).
func (f *FakeAPI) TokensIssued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.issued)
}

// IssuedTokens returns every access token issued, for tests that check no
// token leaks into logs or errors.
func (f *FakeAPI) IssuedTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.issued)
}

// InvalidateTokens makes every token issued so far invalid (40001), as when
// the AppSecret is reset or another party forces a refresh.
func (f *FakeAPI) InvalidateTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
	f.stable = ""
}

// reply is an answer computed under the lock and written after it.
type reply struct {
	status   int
	header   http.Header
	body     []byte
	errcode  int
	drop     bool
	redirect string
}

type auth int

const (
	noAuth auth = iota
	tokenAuth
)

type endpoint struct {
	path   string
	method string
	auth   auth
	handle func(f *FakeAPI, r *http.Request, body []byte, c *Call) reply
}

// endpoints are matched by suffix, longest first where one ends another.
var endpoints = []endpoint{
	{"/cgi-bin/token", http.MethodGet, noAuth, (*FakeAPI).token},
	{"/cgi-bin/stable_token", http.MethodPost, noAuth, (*FakeAPI).stableToken},
	{"/cgi-bin/message/template/send", http.MethodPost, tokenAuth, (*FakeAPI).templateSend},
	{"/cgi-bin/message/subscribe/bizsend", http.MethodPost, tokenAuth, (*FakeAPI).subscribeSend},
	{"/cgi-bin/message/custom/send", http.MethodPost, tokenAuth, (*FakeAPI).customSend},
	{"/cgi-bin/menu/create", http.MethodPost, tokenAuth, (*FakeAPI).menuCreate},
	{"/cgi-bin/media/get", http.MethodGet, tokenAuth, (*FakeAPI).mediaGet},
	{"/cgi-bin/media/upload", http.MethodPost, tokenAuth, (*FakeAPI).mediaUpload},
	{"/cgi-bin/qrcode/create", http.MethodPost, tokenAuth, (*FakeAPI).qrCreate},
	{"/sns/oauth2/access_token", http.MethodGet, noAuth, (*FakeAPI).oauthToken},
	{"/connect/oauth2/authorize", http.MethodGet, noAuth, (*FakeAPI).authorize},
	{"/cgi-bin/webhook/send", http.MethodPost, noAuth, (*FakeAPI).webhookSend},
}

// responsePath is the WeCom smart robot's response_url: /wecom/response/{id}.
const responsePath = "/wecom/response/"

func route(path string) (endpoint, string, bool) {
	for _, ep := range endpoints {
		if strings.HasSuffix(path, ep.path) {
			return ep, ep.path, true
		}
	}
	if i := strings.LastIndex(path, responsePath); i >= 0 && len(path) > i+len(responsePath) {
		p := path[i:]
		return endpoint{p, http.MethodPost, noAuth, (*FakeAPI).responseURL}, p, true
	}
	return endpoint{}, "", false
}

// ServeHTTP answers one API call.
func (f *FakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.serveControl(w, r) {
		return
	}
	// The body is read first: only then does the server notice a client
	// that gives up during the latency below.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	latency := f.latency
	f.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	ep, path, ok := route(r.URL.Path)
	c := Call{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Query: redactQuery(r.URL.Query()), Body: body}
	if ok {
		c.Path = path
	}

	f.mu.Lock()
	rep := f.answer(ep, ok, r, body, &c)
	c.Errcode, c.Status = rep.errcode, rep.status
	if rep.drop {
		c.Status = 0
	}
	f.calls = append(f.calls, c)
	acceptDelay := f.acceptDelay
	f.mu.Unlock()

	if acceptDelay > 0 {
		t := time.NewTimer(acceptDelay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			// The client gave up; the call stands, as on the platform.
			t.Stop()
			return
		}
	}
	write(w, r, rep)
}

// answer decides the reply; the caller holds f.mu.
func (f *FakeAPI) answer(ep endpoint, ok bool, r *http.Request, body []byte, c *Call) reply {
	if !ok {
		return reply{status: http.StatusNotFound, body: []byte("404 page not found"), errcode: 0}
	}
	if code, failed := f.fault(c.Path); failed {
		return faultReply(code)
	}
	if r.Method != ep.method {
		return reply{status: http.StatusMethodNotAllowed, body: []byte("method not allowed")}
	}
	if ep.auth == tokenAuth {
		tok := r.URL.Query().Get("access_token")
		exp, known := f.tokens[tok]
		switch {
		case tok == "":
			return errReply(41001)
		case !known:
			return errReply(40001)
		case time.Now().After(exp):
			return errReply(42001)
		}
	}
	return ep.handle(f, r, body, c)
}

// fault takes the next queued or random failure for path, if any.
func (f *FakeAPI) fault(path string) (int, bool) {
	for _, key := range slices.Sorted(maps.Keys(f.faults)) {
		q := f.faults[key]
		if !strings.HasSuffix(path, key) || len(q) == 0 {
			continue
		}
		code := q[0].code
		if q[0].n--; q[0].n == 0 {
			q = q[1:]
		}
		if len(q) == 0 {
			delete(f.faults, key)
		} else {
			f.faults[key] = q
		}
		return code, true
	}
	if f.errRate > 0 && rand.Float64() < f.errRate {
		return f.errCode[rand.IntN(len(f.errCode))], true
	}
	return 0, false
}

func faultReply(code int) reply {
	switch code {
	case FaultHTTP500:
		return reply{status: http.StatusInternalServerError, body: []byte("system error"), errcode: FaultHTTP500}
	case FaultDrop:
		return reply{drop: true, errcode: FaultDrop}
	}
	return errReply(code)
}

func write(w http.ResponseWriter, r *http.Request, rep reply) {
	if rep.drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		// No hijacking (HTTP/2): abort the handler, which resets the stream.
		panic(http.ErrAbortHandler)
	}
	if rep.redirect != "" {
		http.Redirect(w, r, rep.redirect, http.StatusFound)
		return
	}
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(rep.status)
	w.Write(rep.body)
}

var errmsgs = map[int]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40003: "invalid openid",
	40007: "invalid media_id",
	40008: "invalid message type",
	40013: "invalid appid",
	40014: "invalid access_token",
	40016: "invalid button size",
	40029: "invalid code",
	40037: "invalid template_id",
	40058: "invalid parameter, content exceed max length",
	40125: "invalid appsecret",
	40163: "code been used",
	41001: "access_token missing",
	41005: "media data missing",
	42001: "access_token expired",
	43004: "require subscribe",
	43019: "require remove blacklist",
	43101: "user refuse to accept the msg",
	45009: "reach max api daily quota limit",
	45011: "api minute-quota reach limit, mustslower, retry next minute",
	45015: "response out of time limit or subscription is canceled",
	45047: "out of response count limit",
	47001: "data format error",
	93000: "invalid webhook url",
}

func errReply(code int) reply {
	msg, ok := errmsgs[code]
	if !ok {
		msg = "fake error " + strconv.Itoa(code)
	}
	// The platform appends a request id to every error message.
	return jsonReply(code, map[string]any{"errcode": code, "errmsg": msg + " rid: " + rid()})
}

func okReply(fields map[string]any) reply {
	out := map[string]any{"errcode": 0, "errmsg": "ok"}
	maps.Copy(out, fields)
	return jsonReply(0, out)
}

func jsonReply(code int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		return reply{status: http.StatusInternalServerError, body: []byte(err.Error()), errcode: FaultHTTP500}
	}
	return reply{status: http.StatusOK, body: b, errcode: code}
}

func rid() string {
	return fmt.Sprintf("%08x-%08x", rand.Uint32(), rand.Uint32())
}

func redactQuery(q url.Values) url.Values {
	for _, k := range []string{"access_token", "secret", "code"} {
		if q.Has(k) {
			q.Set(k, "REDACTED")
		}
	}
	return q
}

// --- access token ---

func (f *FakeAPI) checkApp(appID, secret string) (int, bool) {
	switch {
	case f.appID != "" && appID != f.appID:
		return 40013, false
	case f.secret != "" && secret != f.secret:
		return 40125, false
	}
	return 0, true
}

func (f *FakeAPI) issueToken() string {
	f.seq++
	tok := "FAKE_AT_" + strconv.FormatInt(f.seq, 10) + "_" + cryptorand.Text()
	f.tokens[tok] = time.Now().Add(f.tokenTTL)
	f.issued = append(f.issued, tok)
	return tok
}

func (f *FakeAPI) tokenReply(tok string) reply {
	left := time.Until(f.tokens[tok]).Round(time.Second)
	return jsonReply(0, map[string]any{"access_token": tok, "expires_in": int64(left / time.Second)})
}

// token is the classic endpoint: every call issues a new token. Older tokens
// stay valid (the platform keeps them for five minutes; the fake until
// InvalidateTokens).
func (f *FakeAPI) token(r *http.Request, _ []byte, _ *Call) reply {
	q := r.URL.Query()
	if code, ok := f.checkApp(q.Get("appid"), q.Get("secret")); !ok {
		return errReply(code)
	}
	return f.tokenReply(f.issueToken())
}

// stableToken returns the token in force unless force_refresh is set, so
// callers that do not share a cache still share the token.
func (f *FakeAPI) stableToken(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	redactedReq := req
	redactedReq.Secret = "REDACTED"
	c.Body, _ = json.Marshal(redactedReq)
	if code, ok := f.checkApp(req.AppID, req.Secret); !ok {
		return errReply(code)
	}
	if exp, ok := f.tokens[f.stable]; ok && !req.ForceRefresh && time.Now().Before(exp) {
		return f.tokenReply(f.stable)
	}
	f.stable = f.issueToken()
	return f.tokenReply(f.stable)
}

// --- messages ---

// reachable answers 43004 for a user who does not follow, 40003 for no user.
func (f *FakeAPI) reachable(openid string) (int, bool) {
	if openid == "" {
		return 40003, false
	}
	if following, known := f.users[openid]; known && !following {
		return 43004, false
	}
	return 0, true
}

type dataItem struct {
	Value string `json:"value"`
}

func dataContent(data map[string]dataItem) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(data)) {
		fmt.Fprintf(&b, "%s: %s\n", k, data[k].Value)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (f *FakeAPI) templateSend(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		ToUser      string              `json:"touser"`
		TemplateID  string              `json:"template_id"`
		URL         string              `json:"url"`
		Data        map[string]dataItem `json:"data"`
		ClientMsgID string              `json:"client_msg_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	c.ToUser, c.ClientMsgID, c.MsgType, c.Content = req.ToUser, req.ClientMsgID, "template", dataContent(req.Data)
	if code, ok := f.reachable(req.ToUser); !ok {
		return errReply(code)
	}
	if req.TemplateID == "" {
		return errReply(40037)
	}
	if req.ClientMsgID != "" {
		if id, seen := f.templates[req.ClientMsgID]; seen {
			c.MsgID, c.Duplicate = id, true
			return okReply(map[string]any{"msgid": id})
		}
	}
	f.nextMsgID++
	c.MsgID = f.nextMsgID
	if req.ClientMsgID != "" {
		f.templates[req.ClientMsgID] = c.MsgID
	}
	return okReply(map[string]any{"msgid": c.MsgID})
}

func (f *FakeAPI) subscribeSend(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		ToUser     string              `json:"touser"`
		TemplateID string              `json:"template_id"`
		Page       string              `json:"page"`
		Data       map[string]dataItem `json:"data"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	c.ToUser, c.MsgType, c.Content = req.ToUser, "subscribe", dataContent(req.Data)
	if code, ok := f.reachable(req.ToUser); !ok {
		return errReply(code)
	}
	if req.TemplateID == "" {
		return errReply(40037)
	}
	return okReply(nil)
}

func (f *FakeAPI) customSend(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		Text    *struct {
			Content string `json:"content"`
		} `json:"text"`
		News *struct {
			Articles []struct {
				Title string `json:"title"`
			} `json:"articles"`
		} `json:"news"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	c.ToUser, c.MsgType = req.ToUser, req.MsgType
	switch {
	case req.MsgType == "text" && req.Text != nil:
		c.Content = req.Text.Content
	case req.MsgType == "news" && req.News != nil && len(req.News.Articles) > 0:
		c.Content = req.News.Articles[0].Title
	default:
		return errReply(40008)
	}
	if code, ok := f.reachable(req.ToUser); !ok {
		return errReply(code)
	}
	return okReply(nil)
}

// --- menu ---

func (f *FakeAPI) menuCreate(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		Button []struct {
			SubButton []json.RawMessage `json:"sub_button"`
		} `json:"button"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	if len(req.Button) == 0 || len(req.Button) > 3 {
		return errReply(40016)
	}
	for _, b := range req.Button {
		if len(b.SubButton) > 5 {
			return errReply(40016)
		}
	}
	c.MsgType = "menu"
	f.menu = slices.Clone(body)
	return okReply(nil)
}

// --- media ---

func (f *FakeAPI) mediaGet(r *http.Request, _ []byte, c *Call) reply {
	id := r.URL.Query().Get("media_id")
	c.Content = id
	m, ok := f.media[id]
	if !ok {
		return errReply(40007)
	}
	h := http.Header{}
	h.Set("Content-Type", m.contentType)
	h.Set("Content-Disposition", `attachment; filename="`+url.PathEscape(id)+`"`)
	return reply{status: http.StatusOK, header: h, body: slices.Clone(m.data)}
}

func (f *FakeAPI) mediaUpload(r *http.Request, body []byte, c *Call) reply {
	typ := r.URL.Query().Get("type")
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	if err := req.ParseMultipartForm(maxBody); err != nil {
		return errReply(41005)
	}
	defer req.MultipartForm.RemoveAll()
	file, hdr, err := req.FormFile("media")
	if err != nil {
		return errReply(41005)
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil || len(data) == 0 {
		return errReply(41005)
	}
	ctype := hdr.Header.Get("Content-Type")
	if ctype == "" || ctype == "application/octet-stream" {
		ctype = http.DetectContentType(data)
	}
	f.seq++
	id := "FAKE_MEDIA_" + strconv.FormatInt(f.seq, 10) + "_" + cryptorand.Text()
	f.media[id] = medium{data: data, contentType: ctype}
	c.MsgType, c.Content = typ, id
	return jsonReply(0, map[string]any{"type": typ, "media_id": id, "created_at": time.Now().Unix()})
}

// --- OAuth ---

func (f *FakeAPI) oauthToken(r *http.Request, _ []byte, c *Call) reply {
	q := r.URL.Query()
	if code, ok := f.checkApp(q.Get("appid"), q.Get("secret")); !ok {
		return errReply(code)
	}
	code := q.Get("code")
	oc, ok := f.oauthCodes[code]
	switch {
	case !ok || time.Now().After(oc.expires):
		return errReply(40029)
	case oc.used:
		return errReply(40163)
	}
	oc.used = true
	f.oauthCodes[code] = oc
	c.ToUser = oc.openid
	return jsonReply(0, map[string]any{
		"access_token":  "FAKE_OAUTH_" + cryptorand.Text(),
		"expires_in":    7200,
		"refresh_token": "FAKE_REFRESH_" + cryptorand.Text(),
		"openid":        oc.openid,
		"scope":         "snsapi_base",
	})
}

// authorize plays the platform's authorisation page: it signs the visitor in
// as ?persona= (or the persona set with SetPersona) and redirects back to
// redirect_uri with a fresh code and the state.
func (f *FakeAPI) authorize(r *http.Request, _ []byte, c *Call) reply {
	q := r.URL.Query()
	persona := q.Get("persona")
	if persona == "" {
		persona = f.persona
	}
	back, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case err != nil || (back.Scheme != "http" && back.Scheme != "https") || back.Host == "":
		return reply{status: http.StatusBadRequest, header: textHeader(), body: []byte("redirect_uri 参数错误")}
	case persona == "":
		return reply{status: http.StatusBadRequest, header: textHeader(),
			body: []byte("fake authorize: no persona (add ?persona=<openid> or call SetPersona)")}
	}
	code := "FAKE_CODE_" + cryptorand.Text()
	f.oauthCodes[code] = oauthCode{openid: persona, expires: time.Now().Add(oauthCodeTTL)}
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	c.ToUser = persona
	return reply{status: http.StatusFound, redirect: back.String()}
}

func textHeader() http.Header {
	return http.Header{"Content-Type": []string{"text/plain; charset=utf-8"}}
}

// --- QR codes ---

func (f *FakeAPI) qrCreate(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		ExpireSeconds int64  `json:"expire_seconds"`
		ActionName    string `json:"action_name"`
		ActionInfo    struct {
			Scene struct {
				SceneStr string `json:"scene_str"`
				SceneID  int64  `json:"scene_id"`
			} `json:"scene"`
		} `json:"action_info"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	scene := req.ActionInfo.Scene.SceneStr
	switch req.ActionName {
	case "QR_SCENE", "QR_LIMIT_SCENE":
		scene = strconv.FormatInt(req.ActionInfo.Scene.SceneID, 10)
	case "QR_STR_SCENE", "QR_LIMIT_STR_SCENE":
		if scene == "" || len(scene) > 64 {
			return errReply(47001)
		}
	default:
		return errReply(47001)
	}
	expire := req.ExpireSeconds
	if strings.HasPrefix(req.ActionName, "QR_LIMIT") {
		expire = 0
	} else if expire <= 0 {
		expire = 60
	}
	f.seq++
	ticket := "FAKE_TICKET_" + strconv.FormatInt(f.seq, 10) + "_" + cryptorand.Text()
	f.qrScenes[ticket] = scene
	c.MsgType, c.Content = req.ActionName, scene
	out := map[string]any{"ticket": ticket, "url": "http://weixin.qq.com/q/fake" + strconv.FormatInt(f.seq, 10)}
	if expire > 0 {
		out["expire_seconds"] = expire
	}
	return jsonReply(0, out)
}

// --- WeCom ---

// webhookSend plays a WeCom group robot: text and markdown, 20 messages a
// minute per key (a sliding window), content length limits.
func (f *FakeAPI) webhookSend(r *http.Request, body []byte, c *Call) reply {
	key := r.URL.Query().Get("key")
	if key == "" {
		return errReply(93000)
	}
	var req struct {
		MsgType string `json:"msgtype"`
		Text    *struct {
			Content string `json:"content"`
		} `json:"text"`
		Markdown *struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	c.MsgType = req.MsgType
	limit := 0
	switch {
	case req.MsgType == "text" && req.Text != nil:
		c.Content, limit = req.Text.Content, robotTextMax
	case req.MsgType == "markdown" && req.Markdown != nil:
		c.Content, limit = req.Markdown.Content, robotMarkdownMax
	default:
		return errReply(40008)
	}
	if len(c.Content) > limit || !utf8.ValidString(c.Content) {
		return errReply(40058)
	}
	now := time.Now()
	recent := slices.DeleteFunc(f.robotSends[key], func(t time.Time) bool { return now.Sub(t) >= time.Minute })
	if len(recent) >= robotPerMinute {
		f.robotSends[key] = recent
		return errReply(45009)
	}
	f.robotSends[key] = append(recent, now)
	// The group a post went to, for the simulator's group pane (the fake
	// only ever runs in development, where robot keys are demo values).
	c.ToUser = "robot:" + key
	return okReply(nil)
}

// responseURL plays the smart robot's response_url: it records the reply.
func (f *FakeAPI) responseURL(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		MsgType  string `json:"msgtype"`
		Markdown *struct {
			Content string `json:"content"`
		} `json:"markdown"`
		Text *struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	c.MsgType = req.MsgType
	switch {
	case req.Markdown != nil:
		c.Content = req.Markdown.Content
	case req.Text != nil:
		c.Content = req.Text.Content
	}
	return okReply(nil)
}
