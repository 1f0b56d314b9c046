package sim

import (
	"bytes"
	cryptorand "crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// --- media ---

func (f *FakeAPI) mediaGet(r *http.Request, _ []byte, c *Call) reply {
	id := r.URL.Query().Get("media_id")
	c.Content = id
	m, ok := f.loadMedium(id)
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
	f.storeMedium(id, medium{data: data, contentType: ctype})
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
	qrURL := "http://weixin.qq.com/q/fake" + strconv.FormatInt(f.seq, 10)
	code := QRCode{URL: qrURL, Scene: scene, Created: time.Now()}
	if expire > 0 {
		code.Expires = code.Created.Add(time.Duration(expire) * time.Second)
	}
	f.qrCodes = append(f.qrCodes, code)
	out := map[string]any{"ticket": ticket, "url": qrURL}
	if expire > 0 {
		out["expire_seconds"] = expire
	}
	return jsonReply(0, out)
}

// QRCode is a parameterised QR code the fake made: URL is what the code
// encodes, Scene what scanning it sends.
type QRCode struct {
	URL     string
	Scene   string
	Created time.Time
	// Expires is zero for a permanent code.
	Expires time.Time
}

// QRCodes returns the QR codes made, newest first.
func (f *FakeAPI) QRCodes() []QRCode {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.qrCodes)
	slices.Reverse(out)
	return out
}

// QRCodeOf returns the QR code that encodes url (what a phone reads when
// it scans the printed code).
func (f *FakeAPI) QRCodeOf(url string) (QRCode, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.qrCodes {
		if c.URL == url {
			return c, true
		}
	}
	return QRCode{}, false
}
