package notify

import (
	"encoding/json"
	"strconv"
	"time"
)

// Status is where a notification stands.
type Status string

// Statuses. A notification starts pending; a dispatcher leases it (sending)
// and leaves it sent, failed (to be retried at NextAttemptAt), dead (given up
// after MaxAttempts, with the last error) or unreachable (the recipient
// cannot be sent anything: not bound, unsubscribed, blocked; not retried
// until the console's Retry). A template message's receipt turns sent into
// delivered (or unreachable when the user blocked it).
const (
	StatusPending     Status = "pending"
	StatusSending     Status = "sending"
	StatusSent        Status = "sent"
	StatusDelivered   Status = "delivered"
	StatusFailed      Status = "failed"
	StatusDead        Status = "dead"
	StatusUnreachable Status = "unreachable"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusSending, StatusSent, StatusDelivered, StatusFailed, StatusDead, StatusUnreachable:
		return true
	}
	return false
}

// due lists the statuses a dispatcher claims once next_attempt_at has come:
// waiting for the first attempt, for a retry, or for a crashed dispatcher's
// lease to run out.
var due = []Status{StatusFailed, StatusPending, StatusSending}

// Notification is one outbox row: a message and how its delivery went.
type Notification struct {
	ID      int64     `json:"id"`
	Key     string    `json:"key"`
	Kind    string    `json:"kind"`
	To      Recipient `json:"to"`
	Channel Channel   `json:"channel"`
	Subject string    `json:"subject,omitempty"`
	Cycle   string    `json:"cycle,omitempty"`
	Stage   string    `json:"stage,omitempty"`
	Title   string    `json:"title"`
	// Fields and Text are the message's content (Text may be long).
	Fields map[string]string `json:"fields,omitempty"`
	Text   string            `json:"text,omitempty"`
	URL    string            `json:"url,omitempty"`
	// Urgent messages are not held by quiet hours.
	Urgent bool `json:"urgent,omitempty"`

	Status Status `json:"status"`
	// Attempts counts the attempts made since the message was (re)queued.
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	// LastError says why the last attempt failed or why the recipient is
	// unreachable, in a sentence a manager can act on or the platform's
	// redacted error.
	LastError string `json:"last_error,omitempty"`
	// SentVia is the channel it went by (a custom message may fall back to a
	// template message).
	SentVia Channel `json:"sent_via,omitempty"`
	// ToUser is the openid it was sent to; personal data, so kept out of JSON.
	ToUser string `json:"-"`
	// PlatformMsgID is a template message's id on the platform, which its
	// receipt names.
	PlatformMsgID int64      `json:"platform_msg_id,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	UpdatedAt     time.Time  `json:"updated_at"`

	requeues int
}

// ClientMsgID is the idempotency key the platform dedupes template sends by:
// the outbox id, so a send repeated after a crash reaches the user once. A
// message the console re-queued after the platform had accepted it gets a
// new one, or the platform would swallow the resend.
func (n Notification) ClientMsgID() string {
	id := "sab-" + strconv.FormatInt(n.ID, 10)
	if n.requeues > 0 {
		id += "-" + strconv.Itoa(n.requeues)
	}
	return id
}

// row is the outbox table's row.
type row struct {
	ID             int64 `gorm:"primaryKey"`
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
	Urgent         bool
	Status         string
	Attempts       int
	Requeues       int
	NextAttemptAt  time.Time
	LeaseUntil     *time.Time
	LeaseToken     string
	LastError      string
	SentVia        string
	ToUser         string
	PlatformMsgID  *int64
	CreatedAt      time.Time `gorm:"autoCreateTime:false"`
	SentAt         *time.Time
	UpdatedAt      time.Time `gorm:"autoUpdateTime:false"`
}

func (row) TableName() string { return "outbox" }

// values are a new row's columns, for inserting.
func (r row) values() map[string]any {
	return map[string]any{
		"idem_key": r.IdemKey, "kind": r.Kind, "recipient_kind": r.RecipientKind, "recipient_id": r.RecipientID,
		"recipient_group": r.RecipientGroup, "channel": r.Channel, "subject": r.Subject, "cycle": r.Cycle,
		"stage": r.Stage, "title": r.Title, "fields": r.Fields, "text": r.Text, "url": r.URL,
		"urgent": r.Urgent, "status": r.Status, "next_attempt_at": r.NextAttemptAt, "created_at": r.CreatedAt, "updated_at": r.UpdatedAt,
	}
}

func (r row) notification() Notification {
	n := Notification{
		ID: r.ID, Key: r.IdemKey, Kind: r.Kind,
		To:      Recipient{Kind: RecipientKind(r.RecipientKind), ID: r.RecipientID, Group: r.RecipientGroup},
		Channel: Channel(r.Channel), Subject: r.Subject, Cycle: r.Cycle, Stage: r.Stage,
		Title: r.Title, Text: r.Text, URL: r.URL, Urgent: r.Urgent,
		Status: Status(r.Status), Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt,
		LastError: r.LastError, SentVia: Channel(r.SentVia), ToUser: r.ToUser,
		CreatedAt: r.CreatedAt, SentAt: r.SentAt, UpdatedAt: r.UpdatedAt,
		requeues: r.Requeues,
	}
	if r.PlatformMsgID != nil {
		n.PlatformMsgID = *r.PlatformMsgID
	}
	if r.Fields != "" {
		// Written by EnqueueTx from a map, so it always decodes.
		_ = json.Unmarshal([]byte(r.Fields), &n.Fields)
	}
	return n
}
