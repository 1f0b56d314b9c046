package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
)

// Links builds the H5 links sent in chat. A link carries an HMAC of what it
// points to, so ids in URLs cannot be enumerated: a receipt opens only from
// the link the service sent.
type Links struct {
	BaseURL string
	Secret  []byte
}

// VisitReceipt is the receipt page of a visit.
func (l Links) VisitReceipt(visitID int64) string {
	id := strconv.FormatInt(visitID, 10)
	return strings.TrimRight(l.BaseURL, "/") + "/h5/visits/" + id + "?s=" + l.sign("visit:"+id)
}

func (l Links) sign(subject string) string {
	m := hmac.New(sha256.New, l.Secret)
	m.Write([]byte("h5-link:" + subject))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

// verify checks a link's signature in constant time.
func (l Links) verify(subject, sig string) bool {
	want := l.sign(subject)
	return hmac.Equal([]byte(want), []byte(sig))
}
