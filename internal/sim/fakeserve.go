package sim

import (
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
	"time"
)

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
	{"/cgi-bin/menu/addconditional", http.MethodPost, tokenAuth, (*FakeAPI).menuAddConditional},
	{"/cgi-bin/menu/delconditional", http.MethodPost, tokenAuth, (*FakeAPI).menuDelConditional},
	{"/cgi-bin/menu/get", http.MethodGet, tokenAuth, (*FakeAPI).menuGet},
	{"/cgi-bin/tags/get", http.MethodGet, tokenAuth, (*FakeAPI).tagsGet},
	{"/cgi-bin/tags/create", http.MethodPost, tokenAuth, (*FakeAPI).tagsCreate},
	{"/cgi-bin/tags/members/batchtagging", http.MethodPost, tokenAuth, tagsTagging(false)},
	{"/cgi-bin/tags/members/batchuntagging", http.MethodPost, tokenAuth, tagsTagging(true)},
	{"/cgi-bin/tags/getidlist", http.MethodPost, tokenAuth, (*FakeAPI).tagsOfUser},
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
	40200: "invalid account type",
	41001: "access_token missing",
	41005: "media data missing",
	42001: "access_token expired",
	43004: "require subscribe",
	43019: "require remove blacklist",
	43101: "user refuse to accept the msg",
	45009: "reach max api daily quota limit",
	45004: "description size out of limit",
	45157: "invalid tag name, duplicate",
	45158: "tag name too long",
	45159: "invalid tag id",
	46003: "menu no exist",
	65301: "menuid not exist",
	65303: "there is no selfmenu, please create selfmenu first",
	40032: "invalid openid list size",
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
