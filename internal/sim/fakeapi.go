// Package sim is the dev simulator and the fake WeChat API behind it. None of
// it runs in a production configuration: it lets the embedded default and
// the end-to-end tests drive the whole product with no platform account.
package sim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
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
	// Menu is a msgmenu customer-service message's question and options.
	Menu *MsgMenu
	// Template is a template message or subscribe notification as the
	// user's phone shows it: the template's title, labelled fields, remark.
	Template *TemplateCard
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
	// testAccount refuses msgmenu (40200), as the platform's test accounts do.
	testAccount bool

	appID, secret string
	tokenTTL      time.Duration
	tokens        map[string]time.Time // valid token → expiry
	stable        string
	issued        []string

	users      map[string]bool // openid → following; unknown users follow
	persona    string
	oauthCodes map[string]oauthCode
	media      map[string]medium
	mediaDir   string
	qrScenes   map[string]string
	qrCodes    []QRCode
	menu       []byte
	condMenus  []condMenu
	tags       map[int64]string   // tag id → name
	userTags   map[string][]int64 // openid → tag ids
	templates  map[string]int64   // client_msg_id → msgid
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
	f.tags = map[int64]string{}
	f.userTags = map[string][]int64{}
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

// SetTestAccount makes the fake play a test account, which the platform
// refuses msgmenu messages from (40200 invalid account type).
func (f *FakeAPI) SetTestAccount(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.testAccount = on
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
	f.storeMedium(mediaID, medium{data: slices.Clone(data), contentType: contentType})
}

// Media returns a stored medium (uploaded or put).
func (f *FakeAPI) Media(mediaID string) (data []byte, contentType string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.loadMedium(mediaID)
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
