package query

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// NotificationFilter selects outbox rows for the console. Zero fields
// select everything.
type NotificationFilter struct {
	// Statuses keeps those in any of these outbox statuses (pending,
	// sending, sent, delivered, failed, dead, unreachable).
	Statuses []string
	Kind     string
	// Recipient keeps those for one recipient.
	Recipient *Recipient
	// Since keeps those created at or after it.
	Since time.Time
	// Limit is the page size (default 50, at most 500); Offset skips.
	Limit, Offset int
}

// Recipient is whom an outbox row is for: a person by kind ("cadre",
// "manager", "contact") and id, or a group by an office's short name.
type Recipient struct {
	Kind  string `json:"kind"`
	ID    int64  `json:"id,omitempty"`
	Group string `json:"group,omitempty"`
}

// String is the recipient as the audit log names it ("cadre:12",
// "group:胡埭"), the same as the outbox's idempotency keys.
func (r Recipient) String() string {
	if r.Kind == recipientGroup {
		return "group:" + r.Group
	}
	return fmt.Sprintf("%s:%d", r.Kind, r.ID)
}

const recipientGroup = "group"

// Notification is an outbox row as the console lists it, with the name of
// whom it is for (a cadre's, a manager's or a contact's name, or the
// group). Its JSON is the API's notification.
type Notification struct {
	ID      int64             `json:"id"`
	Key     string            `json:"key"`
	Kind    string            `json:"kind"`
	To      Recipient         `json:"to"`
	Channel string            `json:"channel"`
	Subject string            `json:"subject,omitempty"`
	Cycle   string            `json:"cycle,omitempty"`
	Stage   string            `json:"stage,omitempty"`
	Title   string            `json:"title"`
	Fields  map[string]string `json:"fields,omitempty"`
	Text    string            `json:"text,omitempty"`
	URL     string            `json:"url,omitempty"`
	Status  string            `json:"status"`
	// Attempts counts the attempts since the message was (re)queued.
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	// LastError says why the last attempt failed or why the recipient is
	// unreachable.
	LastError     string     `json:"last_error,omitempty"`
	SentVia       string     `json:"sent_via,omitempty"`
	PlatformMsgID int64      `json:"platform_msg_id,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	UpdatedAt     time.Time  `json:"updated_at"`
	RecipientName string     `json:"recipient_name"`
}

// notificationStatuses are the outbox's statuses.
var notificationStatuses = map[string]bool{"pending": true, "sending": true, "sent": true, "delivered": true,
	"failed": true, "dead": true, "unreachable": true}

// outboxRow is what the notification queries scan (the recipient's openid
// is personal data and not read).
type outboxRow struct {
	ID             int64
	IdemKey        string
	Kind           string
	RecipientKind  string
	RecipientID    int64
	RecipientGroup string
	Channel        string
	Subject        string
	Cycle          string
	Stage          string
	Title          string
	Fields         string
	Text           string
	URL            string `gorm:"column:url"`
	Status         string
	Attempts       int
	NextAttemptAt  time.Time
	LastError      string
	SentVia        string
	PlatformMsgID  *int64
	CreatedAt      time.Time
	SentAt         *time.Time
	UpdatedAt      time.Time
	RecipientName  string
}

func (r outboxRow) notification() Notification {
	n := Notification{ID: r.ID, Key: r.IdemKey, Kind: r.Kind,
		To:      Recipient{Kind: r.RecipientKind, ID: r.RecipientID, Group: r.RecipientGroup},
		Channel: r.Channel, Subject: r.Subject, Cycle: r.Cycle, Stage: r.Stage, Title: r.Title, Text: r.Text, URL: r.URL,
		Status: r.Status, Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt, LastError: r.LastError, SentVia: r.SentVia,
		CreatedAt: r.CreatedAt, SentAt: r.SentAt, UpdatedAt: r.UpdatedAt, RecipientName: r.RecipientName}
	if r.PlatformMsgID != nil {
		n.PlatformMsgID = *r.PlatformMsgID
	}
	if r.Fields != "" {
		// Written by notify from a map, so it always decodes.
		_ = json.Unmarshal([]byte(r.Fields), &n.Fields)
	}
	return n
}

func notifications(rows []outboxRow) []Notification {
	out := make([]Notification, len(rows))
	for i, r := range rows {
		out[i] = r.notification()
	}
	return out
}

// outboxInScope limits outbox rows (aliased o) to those for people and
// groups of the subtree: cadres registered in it, managers and groups of
// offices in it, contacts of businesses in it. The outbox knows its
// recipients only by kind and id.
func outboxInScope(q *gorm.DB, scopePath string) *gorm.DB {
	if scopePath == "" {
		return q
	}
	in := subtree("r.path")
	like := subtreeArg(scopePath)
	return q.Where(`(
 (o.recipient_kind = 'cadre' AND o.recipient_id IN (SELECT c.id FROM cadres c JOIN regions r ON r.id = c.region_id WHERE `+in+`))
 OR (o.recipient_kind = 'manager' AND o.recipient_id IN (SELECT m.id FROM managers m JOIN offices f ON f.id = m.office_id JOIN regions r ON r.id = f.region_id WHERE `+in+`))
 OR (o.recipient_kind = 'contact' AND o.recipient_id IN (SELECT ct.id FROM contacts ct JOIN businesses b ON b.id = ct.business_id JOIN regions r ON r.id = b.region_id WHERE `+in+`))
 OR (o.recipient_kind = 'group' AND o.recipient_group IN (SELECT f.short_name FROM offices f JOIN regions r ON r.id = f.region_id WHERE `+in+`)))`,
		like, like, like, like)
}

func (r *Reader) notificationQuery(ctx context.Context, f NotificationFilter, scopePath string) (*gorm.DB, error) {
	q := r.db.Gorm(ctx).Table("outbox o")
	if len(f.Statuses) > 0 {
		for _, st := range f.Statuses {
			if !notificationStatuses[st] {
				return nil, errs.E(errs.Invalid, msgBadNotificationStatus, st)
			}
		}
		q = q.Where("o.status IN ?", f.Statuses)
	}
	if f.Kind != "" {
		q = q.Where("o.kind = ?", f.Kind)
	}
	if to := f.Recipient; to != nil {
		if to.Kind == recipientGroup {
			q = q.Where("o.recipient_kind = ? AND o.recipient_group = ?", to.Kind, to.Group)
		} else {
			q = q.Where("o.recipient_kind = ? AND o.recipient_id = ?", to.Kind, to.ID)
		}
	}
	if !f.Since.IsZero() {
		q = q.Where("o.created_at >= ?", f.Since.UTC())
	}
	return outboxInScope(q, scopePath), nil
}

// addressed selects an outbox row with its recipient's name.
func addressed(q *gorm.DB) *gorm.DB {
	return q.Select(`o.id, o.idem_key, o.kind, o.recipient_kind, o.recipient_id, o.recipient_group, o.channel, o.subject,
 o.cycle, o.stage, o.title, o.fields, o.text, o.url, o.status, o.attempts, o.next_attempt_at, o.last_error, o.sent_via,
 o.platform_msg_id, o.created_at, o.sent_at, o.updated_at,
 COALESCE(rc.name, rm.name, rt.name, o.recipient_group, '') AS recipient_name`).
		Joins("LEFT JOIN cadres rc ON o.recipient_kind = 'cadre' AND rc.id = o.recipient_id").
		Joins("LEFT JOIN managers rm ON o.recipient_kind = 'manager' AND rm.id = o.recipient_id").
		Joins("LEFT JOIN contacts rt ON o.recipient_kind = 'contact' AND rt.id = o.recipient_id")
}

// Notifications lists one page of the notifications f selects for people
// and groups of the subtree scopePath, newest first, each with its
// recipient's name, and the total. Two queries. An unknown status is
// Invalid.
func (r *Reader) Notifications(ctx context.Context, f NotificationFilter, scopePath string) ([]Notification, int64, error) {
	q, err := r.notificationQuery(ctx, f, scopePath)
	if err != nil {
		return nil, 0, err
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", db.Translate(err))
	}
	if total == 0 {
		return nil, 0, nil
	}
	q, _ = r.notificationQuery(ctx, f, scopePath)
	var rows []outboxRow
	err = addressed(q).Order("o.id DESC").Limit(pageLimit(f.Limit, 50, 500)).Offset(max(f.Offset, 0)).Scan(&rows).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", db.Translate(err))
	}
	return notifications(rows), total, nil
}

// EachNotification calls fn with every notification Notifications would
// list (Limit and Offset ignored), a batch at a time, newest first, for
// exports.
func (r *Reader) EachNotification(ctx context.Context, f NotificationFilter, scopePath string, fn func([]Notification) error) error {
	before := int64(-1)
	for {
		q, err := r.notificationQuery(ctx, f, scopePath)
		if err != nil {
			return err
		}
		if before >= 0 {
			q = q.Where("o.id < ?", before)
		}
		var rows []outboxRow
		if err := addressed(q).Order("o.id DESC").Limit(1000).Scan(&rows).Error; err != nil {
			return fmt.Errorf("export notifications: %w", db.Translate(err))
		}
		if len(rows) == 0 {
			return nil
		}
		if err := fn(notifications(rows)); err != nil {
			return err
		}
		before = rows[len(rows)-1].ID
	}
}

// NotificationInScope returns one notification for someone of the
// subtree. NotFound when absent or outside it.
func (r *Reader) NotificationInScope(ctx context.Context, id int64, scopePath string) (*Notification, error) {
	q := outboxInScope(r.db.Gorm(ctx).Table("outbox o"), scopePath).Where("o.id = ?", id)
	var rows []outboxRow
	if err := addressed(q).Limit(1).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("notification: %w", db.Translate(err))
	}
	if len(rows) == 0 {
		return nil, errs.E(errs.NotFound, msgNoSuchNotification)
	}
	n := rows[0].notification()
	return &n, nil
}
