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

// CadreTasks is a cadre's list of open tasks (reminders link to it).
func (l Links) CadreTasks(cadreID int64) string {
	return l.link("/h5/cadres/", "tasks", "cadre-tasks", cadreID)
}

// OfficeOverdue is the overdue list of an office's area (escalations link to it).
func (l Links) OfficeOverdue(officeID int64) string {
	return l.link("/h5/offices/", "overdue", "office-overdue", officeID)
}

// Rectification is one rectification with its history.
func (l Links) Rectification(id int64) string {
	return l.link("/h5/rectifications/", "", "rectification", id)
}

func (l Links) link(prefix, suffix, kind string, id int64) string {
	ids := strconv.FormatInt(id, 10)
	path := prefix + ids
	if suffix != "" {
		path += "/" + suffix
	}
	return strings.TrimRight(l.BaseURL, "/") + path + "?s=" + l.sign(kind+":"+ids)
}
