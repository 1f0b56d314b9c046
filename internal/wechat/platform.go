package wechat

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// Mode is how the Official Account's messages are protected.
type Mode string

// Modes, as named in the platform's settings.
const (
	ModePlain      Mode = "plain"      // 明文模式
	ModeCompatible Mode = "compatible" // 兼容模式: plaintext and ciphertext together
	ModeSafe       Mode = "safe"       // 安全模式: ciphertext only
)

// Platform plays the WeChat side of the callback: it signs (and encrypts)
// messages exactly as the platform does and decodes the replies. The
// simulator, the load command and end-to-end tests talk to the service
// through it, so they exercise the same code path as production.
type Platform struct {
	AppID  string
	Token  string
	AESKey string
	// Now dates the signed requests; nil means time.Now.
	Now func() time.Time
}

// Message is an inbound message as the platform writes it.
type Message struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	FromUserName cdata    `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      cdata    `xml:"MsgType"`
	Content      *cdata   `xml:"Content,omitempty"`
	BizMsgMenuID string   `xml:"bizmsgmenuid,omitempty"`
	MsgID        int64    `xml:"MsgId,omitempty"`
	PicURL       *cdata   `xml:"PicUrl,omitempty"`
	MediaID      *cdata   `xml:"MediaId,omitempty"`
	Format       *cdata   `xml:"Format,omitempty"`
	Recognition  *cdata   `xml:"Recognition,omitempty"`
	LocationX    *float64 `xml:"Location_X,omitempty"`
	LocationY    *float64 `xml:"Location_Y,omitempty"`
	Scale        *int     `xml:"Scale,omitempty"`
	Label        *cdata   `xml:"Label,omitempty"`
	Event        *cdata   `xml:"Event,omitempty"`
	EventKey     *cdata   `xml:"EventKey,omitempty"`
	Ticket       *cdata   `xml:"Ticket,omitempty"`
	TemplateID   int64    `xml:"MsgID,omitempty"`
	Status       *cdata   `xml:"Status,omitempty"`
}

type cdata struct {
	Value string `xml:",cdata"`
}

func cd(s string) *cdata { return &cdata{Value: s} }

// TextMessage builds a text message from openid.
func TextMessage(from, to, text string, msgID int64, at time.Time) Message {
	return Message{FromUserName: cdata{from}, ToUserName: cdata{to}, CreateTime: at.Unix(), MsgType: cdata{"text"}, Content: cd(text), MsgID: msgID}
}

// MenuTapMessage builds the text message a tap on a msgmenu option sends:
// the option's text with its id in bizmsgmenuid.
func MenuTapMessage(from, to, text, optionID string, msgID int64, at time.Time) Message {
	m := TextMessage(from, to, text, msgID, at)
	m.BizMsgMenuID = optionID
	return m
}

// ImageMessage builds a photo message.
func ImageMessage(from, to, mediaID, picURL string, msgID int64, at time.Time) Message {
	return Message{FromUserName: cdata{from}, ToUserName: cdata{to}, CreateTime: at.Unix(), MsgType: cdata{"image"}, MediaID: cd(mediaID), PicURL: cd(picURL), MsgID: msgID}
}

// LocationMessage builds a location message.
func LocationMessage(from, to string, lat, lng float64, label string, msgID int64, at time.Time) Message {
	scale := 15
	return Message{FromUserName: cdata{from}, ToUserName: cdata{to}, CreateTime: at.Unix(), MsgType: cdata{"location"},
		LocationX: &lat, LocationY: &lng, Scale: &scale, Label: cd(label), MsgID: msgID}
}

// EventMessage builds an event (subscribe, unsubscribe, SCAN, CLICK, VIEW…).
func EventMessage(from, to, event, key string, at time.Time) Message {
	m := Message{FromUserName: cdata{from}, ToUserName: cdata{to}, CreateTime: at.Unix(), MsgType: cdata{"event"}, Event: cd(event)}
	if key != "" {
		m.EventKey = cd(key)
	}
	return m
}

// Request builds the signed POST the platform would send to callbackURL.
func (p Platform) Request(callbackURL string, m Message, mode Mode) (*http.Request, error) {
	body, err := xml.Marshal(m)
	if err != nil {
		return nil, err
	}
	return p.RawRequest(callbackURL, body, mode)
}

// RawRequest signs an arbitrary body (tests feed it malformed ones).
func (p Platform) RawRequest(callbackURL string, body []byte, mode Mode) (*http.Request, error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	timestamp := strconv.FormatInt(now().Unix(), 10)
	nonce := randomDigits(10)
	q := url.Values{}
	q.Set("timestamp", timestamp)
	q.Set("nonce", nonce)
	q.Set("signature", signature(p.Token, timestamp, nonce))
	q.Set("openid", openIDOf(body))
	if mode == ModeSafe || mode == ModeCompatible {
		random := make([]byte, 16)
		rand.Read(random)
		enc, err := util.EncryptMsg(random, body, p.AppID, p.AESKey)
		if err != nil {
			return nil, fmt.Errorf("encrypt: %w", err)
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", signature(p.Token, timestamp, nonce, string(enc)))
		if mode == ModeSafe {
			body = []byte("<xml><ToUserName><![CDATA[" + p.AppID + "]]></ToUserName><Encrypt><![CDATA[" + string(enc) + "]]></Encrypt></xml>")
		} else {
			body = bytes.Replace(body, []byte("</xml>"), []byte("<Encrypt><![CDATA["+string(enc)+"]]></Encrypt></xml>"), 1)
		}
	}
	sep := "?"
	if strings.Contains(callbackURL, "?") {
		sep = "&"
	}
	req, err := http.NewRequest(http.MethodPost, callbackURL+sep+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	return req, nil
}

// VerifyRequest builds the GET the platform sends when the URL is configured.
func (p Platform) VerifyRequest(callbackURL, echostr string) (*http.Request, error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	timestamp := strconv.FormatInt(now().Unix(), 10)
	nonce := randomDigits(10)
	q := url.Values{"timestamp": {timestamp}, "nonce": {nonce}, "echostr": {echostr}, "signature": {signature(p.Token, timestamp, nonce)}}
	return http.NewRequest(http.MethodGet, callbackURL+"?"+q.Encode(), nil)
}

// Reply is a decoded passive reply.
type Reply struct {
	// Success is true for a bare "success" (or empty) answer: no reply.
	Success      bool
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	ArticleCount int    `xml:"ArticleCount"`
	Articles     []struct {
		Title       string `xml:"Title"`
		Description string `xml:"Description"`
		URL         string `xml:"Url"`
	} `xml:"Articles>item"`
}

// DecodeReply reads the service's answer; in safe and compatible mode it
// checks the reply's signature and decrypts it with the account's key.
func (p Platform) DecodeReply(resp *http.Response, mode Mode) (*Reply, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("callback answered %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if s := strings.TrimSpace(string(body)); s == "" || s == "success" {
		return &Reply{Success: true}, nil
	}
	if mode == ModeSafe || mode == ModeCompatible {
		var env struct {
			Encrypt      string `xml:"Encrypt"`
			MsgSignature string `xml:"MsgSignature"`
			TimeStamp    string `xml:"TimeStamp"`
			Nonce        string `xml:"Nonce"`
		}
		if err := xml.Unmarshal(body, &env); err != nil {
			return nil, fmt.Errorf("reply envelope: %w", err)
		}
		if env.Encrypt == "" {
			return nil, errors.New("encrypted mode reply is not encrypted")
		}
		if !signatureOK(env.MsgSignature, p.Token, env.TimeStamp, env.Nonce, env.Encrypt) {
			return nil, errors.New("reply signature does not verify")
		}
		_, plain, err := util.DecryptMsg(p.AppID, env.Encrypt, p.AESKey)
		if err != nil {
			return nil, fmt.Errorf("decrypt reply: %w", err)
		}
		body = plain
	}
	var r Reply
	if err := xml.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("reply: %w", err)
	}
	return &r, nil
}

func openIDOf(body []byte) string {
	var m struct {
		From string `xml:"FromUserName"`
	}
	xml.Unmarshal(body, &m)
	return m.From
}

func randomDigits(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

// WeComPlatform plays WeCom's side of the smart-robot callback.
type WeComPlatform struct {
	Token  string
	AESKey string
	Now    func() time.Time
}

// Request builds the signed, encrypted POST WeCom sends for m.
func (p WeComPlatform) Request(callbackURL string, m WeComMessage) (*http.Request, error) {
	plain, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	enc, err := p.seal(plain)
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(map[string]string{"encrypt": enc})
	req, err := http.NewRequest(http.MethodPost, callbackURL+"?"+p.query(enc).Encode(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// VerifyRequest builds the GET WeCom sends to check the URL: echostr is
// encrypted and the service must answer with its plaintext.
func (p WeComPlatform) VerifyRequest(callbackURL, echo string) (*http.Request, error) {
	enc, err := p.seal([]byte(echo))
	if err != nil {
		return nil, err
	}
	q := p.query(enc)
	q.Set("echostr", enc)
	return http.NewRequest(http.MethodGet, callbackURL+"?"+q.Encode(), nil)
}

func (p WeComPlatform) seal(plain []byte) (string, error) {
	random := make([]byte, 16)
	rand.Read(random)
	enc, err := util.EncryptMsg(random, plain, "", p.AESKey)
	return string(enc), err
}

func (p WeComPlatform) query(enc string) url.Values {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	timestamp := strconv.FormatInt(now().Unix(), 10)
	nonce := randomDigits(10)
	return url.Values{"timestamp": {timestamp}, "nonce": {nonce}, "msg_signature": {signature(p.Token, timestamp, nonce, enc)}}
}
