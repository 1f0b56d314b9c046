// Package notify is the outbox: every push the service sends (reminders,
// escalations, digests, letters, cards) is a row written in the same
// transaction as the change that caused it, then delivered by dispatcher
// workers through the Official Account (template, subscribe or
// customer-service message) or a WeCom group robot, with retries, rate
// limits, quiet hours and delivery receipts. Nothing is sent twice: a
// message's idempotency key makes enqueuing twice a no-op, and the outbox
// id travels to the platform as client_msg_id.
package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// RecipientKind says who a message is for.
type RecipientKind string

// Recipient kinds. People are resolved to their bound WeChat identities at
// send time (someone who binds later still gets what was queued for them);
// a group is a WeCom contact group's robot, named by its office short name.
const (
	ToCadre   RecipientKind = "cadre"
	ToManager RecipientKind = "manager"
	ToContact RecipientKind = "contact"
	ToGroup   RecipientKind = "group"
)

// Recipient is one person (kind + id) or one WeCom group (Group).
type Recipient struct {
	Kind  RecipientKind `json:"kind"`
	ID    int64         `json:"id,omitempty"`
	Group string        `json:"group,omitempty"`
}

// String is the recipient's part of an idempotency key ("cadre:12", "group:胡埭").
func (r Recipient) String() string {
	if r.Kind == ToGroup {
		return "group:" + r.Group
	}
	return string(r.Kind) + ":" + strconv.FormatInt(r.ID, 10)
}

// Channel is how a message reaches its recipient.
type Channel string

// Channels.
const (
	// ChannelTemplate is an Official Account template message (the default
	// for people: allowed any time, details behind URL).
	ChannelTemplate Channel = "template"
	// ChannelSubscribe is a subscribe notification (needs the user's consent).
	ChannelSubscribe Channel = "subscribe"
	// ChannelCustom is a customer-service message: only within 48 hours of
	// the user's last message; falls back to a template message outside it.
	ChannelCustom Channel = "custom"
	// ChannelRobot is a WeCom group robot post.
	ChannelRobot Channel = "robot"
)

// Message is one notification to enqueue.
type Message struct {
	// Kind names what it is, e.g. "reminder.due", "reminder.overdue",
	// "escalation", "digest.weekly", "digest.monthly", "rectification.due",
	// "letter.issued", "letter.unacknowledged", "card.issued". Template ids
	// and field mappings are configured per kind.
	Kind string
	To   Recipient
	// Channel is the preferred channel (template for people, robot for groups).
	Channel Channel
	// Subject, Cycle and Stage complete the idempotency key: what the
	// message is about ("letter:12"), the supervision cycle ("2026Q4") and
	// the reminder stage ("t-7", "overdue", "escalation").
	Subject string
	Cycle   string
	Stage   string
	// Title is a one-line summary (template messages cut fields at 20 characters).
	Title string
	// Fields are named values the configured template mapping picks from
	// (e.g. "count": "3家", "due": "12月31日", "who": "王某某").
	Fields map[string]string
	// Text is the full text: the body of a customer-service or robot message
	// (markdown for robots), and what a dry run prints.
	Text string
	// URL is the H5 page with the detail.
	URL string
	// NotBefore delays the first attempt (quiet hours also delay it).
	NotBefore time.Time
	// Urgent sends it whatever the quiet hours: at once, and retried on
	// its backoff through the night. For what cannot wait until morning
	// (an incident reported, or left unhandled past its deadline); it is
	// not part of the idempotency key.
	Urgent bool
}

// Key is the idempotency key: the same kind, recipient, subject, cycle and
// stage is the same notification, however often it is enqueued.
func (m Message) Key() string {
	raw := strings.Join([]string{m.Kind, m.To.String(), m.Subject, m.Cycle, m.Stage}, "|")
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:16])
}
