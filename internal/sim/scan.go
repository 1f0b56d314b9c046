package sim

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/meeting"
	"github.com/shianbao/shianbao/internal/wechat"
)

// Scanning a QR code with the phone. A parameterised code (a binding
// code's QR, made through the fake API) sends what the platform sends: a
// subscribe event with "qrscene_<scene>" from someone who does not follow
// the account yet, a SCAN event with the scene from a follower. Any other
// code the product prints (a business's public card) holds a web address,
// which the phone opens.

// qrView is a QR code as the scan panel lists it.
type qrView struct {
	URL     string `json:"url"`
	Label   string `json:"label"`
	Made    string `json:"made"`
	Expires string `json:"expires,omitempty"`
}

// qrcodes lists the parameterised QR codes made, newest first.
func (s *Simulator) qrcodes(w http.ResponseWriter, _ *http.Request) error {
	out := []qrView{}
	for _, c := range s.Fake.QRCodes() {
		v := qrView{URL: c.URL, Label: msgQRParam, Made: c.Created.In(clock.China).Format("01-02 15:04")}
		switch {
		case account.IsScene(c.Scene):
			v.Label = msgQRBinding
		case meeting.IsScene(c.Scene):
			v.Label = msgQRMeeting
		}
		if !c.Expires.IsZero() {
			v.Expires = c.Expires.In(clock.China).Format("2006-01-02 15:04")
		}
		out = append(out, v)
		if len(out) == 20 {
			break
		}
	}
	return writeJSON(w, out)
}

// scanMessage is the event scanning content sends for openid, or the web
// address to open; follow reports whether the user follows from now on.
func (s *Simulator) scanMessage(openid, content string) (m wechat.Message, open string, err error) {
	content = strings.TrimSpace(content)
	if code, ok := s.Fake.QRCodeOf(content); ok {
		now := s.Clock.Now()
		if _, followed := s.followed.Load(openid); !followed {
			s.followed.Store(openid, true)
			return wechat.EventMessage(openid, "gh_simulator", "subscribe", "qrscene_"+code.Scene, now), "", nil
		}
		return wechat.EventMessage(openid, "gh_simulator", "SCAN", code.Scene, now), "", nil
	}
	if u, err := url.Parse(content); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return wechat.Message{}, u.String(), nil
	}
	return wechat.Message{}, "", errors.New(msgQRUnknown)
}
