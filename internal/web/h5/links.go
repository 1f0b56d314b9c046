package h5

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
)

// Links builds the H5 links sent in chat. A link names its reader and
// expiry and carries an HMAC over them and the page (h5Signed), so ids in
// URLs cannot be enumerated, a link stops working when it expires, and —
// with WeChat authorisation on — it opens only for someone the page is for.
// Links signed before they carried a reader and an expiry (?s= alone) no
// longer open: the page says to open the latest message.
type Links struct {
	BaseURL string
	Secret  []byte
}

// VisitReceipt is the receipt page of a visit.
func (l Links) VisitReceipt(visitID int64, reader registry.Actor, expires time.Time) string {
	return l.h5Signed(visitResource(visitID), reader, expires)
}

// CadreTasks is a cadre's list of open tasks (reminders link to it).
func (l Links) CadreTasks(cadreID int64, reader registry.Actor, expires time.Time) string {
	return l.h5Signed(tasksResource(cadreID), reader, expires)
}

// OfficeOverdue is the overdue list of an office's area (escalations link to it).
func (l Links) OfficeOverdue(officeID int64, reader registry.Actor, expires time.Time) string {
	return l.h5Signed(overdueResource(officeID), reader, expires)
}

// Rectification is one rectification with its history.
func (l Links) Rectification(id int64, reader registry.Actor, expires time.Time) string {
	return l.h5Signed(rectificationResource(id), reader, expires)
}

func visitResource(id int64) string { return "/h5/visits/" + strconv.FormatInt(id, 10) }

func tasksResource(cadreID int64) string {
	return "/h5/cadres/" + strconv.FormatInt(cadreID, 10) + "/tasks"
}

func overdueResource(officeID int64) string {
	return "/h5/offices/" + strconv.FormatInt(officeID, 10) + "/overdue"
}

func rectificationResource(id int64) string { return "/h5/rectifications/" + strconv.FormatInt(id, 10) }

// Links builds the addresses the letter and card services put in messages.
var (
	_ letter.Links = Links{}
	_ card.Links   = Links{}
)

// Letter is a prompt letter's H5 page for one reader, valid until expires.
func (l Links) Letter(token string, reader registry.Actor, expires time.Time) string {
	return l.h5Signed("/h5/letters/"+url.PathEscape(token), reader, expires)
}

// Card is a business's own knowledge card for one reader, valid until expires.
func (l Links) Card(businessID int64, reader registry.Actor, expires time.Time) string {
	return l.h5Signed("/h5/cards/"+strconv.FormatInt(businessID, 10), reader, expires)
}

// VillageCards is the printable sheet of a region's cards for a cadre or
// manager, valid until expires.
func (l Links) VillageCards(regionID int64, reader registry.Actor, expires time.Time) string {
	return l.h5Signed("/h5/villages/"+strconv.FormatInt(regionID, 10)+"/cards/print", reader, expires)
}

// PublicCard is a public card's stable address (what its QR code holds).
// It carries no signature: the code itself is the unguessable part.
func (l Links) PublicCard(code string) string {
	return strings.TrimRight(l.BaseURL, "/") + "/c/" + url.PathEscape(code)
}

// h5Signed is base+path with the reader, the expiry and a signature over
// the three. Other views of the same resource (the print view, a form
// post) verify against the same path.
func (l Links) h5Signed(path string, reader registry.Actor, expires time.Time) string {
	e := strconv.FormatInt(expires.Unix(), 10)
	q := url.Values{"r": {string(reader)}, "e": {e}, "s": {l.h5Sig(path, string(reader), e)}}
	return strings.TrimRight(l.BaseURL, "/") + path + "?" + q.Encode()
}

func (l Links) h5Sig(path, reader, expires string) string {
	return base64.RawURLEncoding.EncodeToString(l.h5MAC("h5-link", path, reader, expires)[:16])
}

// h5MAC is HMAC-SHA256 under the secret over a purpose and parts, each
// length-delimited by a zero byte so no two inputs collide.
func (l Links) h5MAC(purpose string, parts ...string) []byte {
	m := hmac.New(sha256.New, l.Secret)
	m.Write([]byte(purpose))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

var _ selfcheck.Links = Links{}

// Ledger is a business's self-check ledger (台账) for one reader, valid
// until expires.
func (l Links) Ledger(businessID int64, reader registry.Actor, expires time.Time) string {
	return l.h5Signed(ledgerResource(businessID), reader, expires)
}

func ledgerResource(businessID int64) string {
	return "/h5/ledger/" + strconv.FormatInt(businessID, 10)
}

// VisitForm is the form's address for a business, for a cadre.
func (l Links) VisitForm(businessID int64, reader registry.Actor, expires time.Time) string {
	return l.h5Signed(visitFormResource(businessID), reader, expires)
}

func visitFormResource(id int64) string { return "/h5/visitform/" + strconv.FormatInt(id, 10) }
