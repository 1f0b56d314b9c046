package app

import (
	"net/http"
	"time"

	"github.com/shianbao/shianbao/internal/wechat"
)

// Scan is a signed SCAN event from user for a parameterised QR code's
// scene (a follower scanning a meeting's check-in code), to the callback
// at url.
func (c SignedCallbacks) Scan(url, user, scene string, at time.Time) (*http.Request, error) {
	return c.platform.Request(url, wechat.EventMessage(user, "gh_load", "SCAN", scene, at), c.mode)
}
