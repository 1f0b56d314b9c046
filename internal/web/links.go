package web

import (
	"strconv"
	"time"

	"github.com/shianbao/shianbao/internal/registry"
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
