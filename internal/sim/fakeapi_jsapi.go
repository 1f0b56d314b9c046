package sim

import (
	"bytes"
	cryptorand "crypto/rand"
	"crypto/sha1"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The JS-SDK's side of the fake: the jsapi_ticket the service signs
// wx.config with, and — for the stand-in `wx` object a plain browser uses on
// the simulator (FakeWXScriptPath) — the upload that plays wx.uploadImage
// and the check that plays wx.config's signature verification.
const (
	// FakeWXScriptPath serves the stand-in `wx` (under the fake's prefix).
	FakeWXScriptPath = "/sim/jsapi/fakewx.js"
	jsUploadPath     = "/sim/jsapi/upload"
	jsVerifyPath     = "/sim/jsapi/verify"
	jsTicketTTL      = 7200 * time.Second
	// errInvalidSignature is what the platform's wx.config reports for a
	// wrong signature ("invalid signature").
	errInvalidSignature = 63002
)

//go:embed static/fakewx.js
var fakeWXScript []byte

// jsState is what the fake remembers of the JS-SDK; the caller holds f.mu.
type jsState struct {
	tickets map[string]time.Time // valid ticket → expiry
	issued  int
}

func (s *jsState) init() {
	if s.tickets == nil {
		s.tickets = map[string]time.Time{}
	}
}

func init() {
	endpoints = append(endpoints,
		endpoint{"/cgi-bin/ticket/getticket", http.MethodGet, tokenAuth, (*FakeAPI).getTicket},
		endpoint{FakeWXScriptPath, http.MethodGet, noAuth, (*FakeAPI).fakeWX},
		endpoint{jsUploadPath, http.MethodPost, noAuth, (*FakeAPI).jsUpload},
		endpoint{jsVerifyPath, http.MethodPost, noAuth, (*FakeAPI).jsVerify},
	)
}

// TicketsIssued counts the jsapi tickets issued.
func (f *FakeAPI) TicketsIssued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.js.issued
}

// getTicket issues a jsapi_ticket (type=jsapi only), valid 7200 s; the
// platform hands out the same one while it lasts, so does the fake.
func (f *FakeAPI) getTicket(r *http.Request, _ []byte, c *Call) reply {
	if r.URL.Query().Get("type") != "jsapi" {
		return errReply(40097) // invalid args
	}
	f.js.init()
	now := time.Now()
	for t, exp := range f.js.tickets {
		if now.Before(exp) {
			return okReply(map[string]any{"ticket": t, "expires_in": int(exp.Sub(now).Seconds())})
		}
	}
	t := "FAKE_TICKET_" + cryptorand.Text()
	f.js.tickets[t] = now.Add(jsTicketTTL)
	f.js.issued++
	c.Content = "jsapi"
	return okReply(map[string]any{"ticket": t, "expires_in": int(jsTicketTTL.Seconds())})
}

func (f *FakeAPI) fakeWX(_ *http.Request, _ []byte, _ *Call) reply {
	h := http.Header{}
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	return reply{status: http.StatusOK, header: h, body: fakeWXScript}
}

// jsUpload plays wx.uploadImage: the picture (form field "media") becomes a
// temporary medium, and its media id is the serverId the page sends on.
func (f *FakeAPI) jsUpload(r *http.Request, body []byte, c *Call) reply {
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	if err := req.ParseMultipartForm(maxBody); err != nil {
		return errReply(41005)
	}
	defer req.MultipartForm.RemoveAll()
	file, _, err := req.FormFile("media")
	if err != nil {
		return errReply(41005)
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil || len(data) == 0 {
		return errReply(41005)
	}
	ctype := http.DetectContentType(data)
	if !strings.HasPrefix(ctype, "image/") {
		return errReply(40004) // invalid media type
	}
	f.seq++
	id := "FAKE_JSMEDIA_" + strconv.FormatInt(f.seq, 10) + "_" + cryptorand.Text()
	f.media[id] = medium{data: data, contentType: ctype}
	c.MsgType, c.Content = "image", id
	return okReply(map[string]any{"serverId": id})
}

// jsVerify plays wx.config's check: the signature must be the one over a
// ticket the fake issued and still honours, the nonce, the timestamp and
// the page's address without its fragment.
func (f *FakeAPI) jsVerify(_ *http.Request, body []byte, c *Call) reply {
	var in struct {
		AppID     string `json:"appId"`
		Timestamp int64  `json:"timestamp"`
		NonceStr  string `json:"nonceStr"`
		Signature string `json:"signature"`
		URL       string `json:"url"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return errReply(47001)
	}
	if f.appID != "" && in.AppID != f.appID {
		return errReply(40013)
	}
	page, _, _ := strings.Cut(in.URL, "#")
	c.Content = page
	f.js.init()
	now := time.Now()
	for t, exp := range f.js.tickets {
		if !now.Before(exp) {
			continue
		}
		s := "jsapi_ticket=" + t + "&noncestr=" + in.NonceStr + "&timestamp=" + strconv.FormatInt(in.Timestamp, 10) + "&url=" + page
		sum := sha1.Sum([]byte(s))
		if hex.EncodeToString(sum[:]) == in.Signature {
			return okReply(nil)
		}
	}
	return jsonReply(errInvalidSignature, map[string]any{"errcode": errInvalidSignature, "errmsg": "invalid signature"})
}
