// Package notifytest is a stand-in for notify's outbox in other features'
// tests: messages are written in the caller's transaction (a rolled-back
// change leaves none) and keyed by their idempotency key, as the real
// outbox does, without its dispatcher.
package notifytest

import (
	"context"
	"encoding/json"
	"testing"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/notify"
)

// Schema is the stand-in's table; migrate it with the feature's schemas.
var Schema = db.Schema{Component: "test_outbox", Migrations: []db.Migration{{Version: 1, Name: "outbox", SQL: `
CREATE TABLE test_outbox (
	id {{pk}},
	msg_key VARCHAR(64) NOT NULL,
	body TEXT NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_test_outbox_key ON test_outbox (msg_key);
`}}}

// Outbox records enqueued messages in test_outbox.
type Outbox struct{ DB *db.DB }

// EnqueueTx stores each message once per key, in tx, and says how many
// were new.
func (o Outbox) EnqueueTx(tx *gorm.DB, msgs ...notify.Message) (int, error) {
	n := 0
	for _, m := range msgs {
		b, err := json.Marshal(m)
		if err != nil {
			return n, err
		}
		var have int64
		if err := tx.Table("test_outbox").Where("msg_key = ?", m.Key()).Count(&have).Error; err != nil {
			return n, err
		}
		if have > 0 {
			continue
		}
		if err := tx.Exec("INSERT INTO test_outbox (msg_key, body) VALUES (?, ?)", m.Key(), string(b)).Error; err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Messages returns what was enqueued, oldest first.
func (o Outbox) Messages(t testing.TB) []notify.Message {
	t.Helper()
	var bodies []string
	if err := o.DB.Gorm(context.Background()).Table("test_outbox").Order("id").Pluck("body", &bodies).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]notify.Message, len(bodies))
	for i, b := range bodies {
		if err := json.Unmarshal([]byte(b), &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Of filters messages by kind and, unless to is empty, recipient kind.
func Of(ms []notify.Message, kind string, to notify.RecipientKind) []notify.Message {
	var out []notify.Message
	for _, m := range ms {
		if m.Kind == kind && (to == "" || m.To.Kind == to) {
			out = append(out, m)
		}
	}
	return out
}
