package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// insertChunk bounds the rows of one INSERT (placeholders stay far below
// both engines' limits).
const insertChunk = 200

// Column limits of the outbox table.
const (
	maxKind    = 40
	maxGroup   = 64
	maxSubject = 128
	maxCycle   = 16
	maxStage   = 32
	maxTitle   = 255
	maxURL     = 1024
	maxText    = 60000
)

// EnqueueTx writes msgs to the outbox inside tx, the transaction of the
// change that caused them, so both commit or neither does. A message whose
// idempotency key (Message.Key) is already in the outbox — or earlier in
// msgs — is skipped; created counts the rows written. Messages are
// checked first: an invalid one (no kind, no recipient, a channel the
// recipient cannot have, a value too long for its column) fails the whole
// call and writes nothing. Long titles and texts are cut rather than
// refused.
func (s *Service) EnqueueTx(tx *gorm.DB, msgs ...Message) (created int, err error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	now := s.now()
	seen := make(map[string]bool, len(msgs))
	rows := make([]row, 0, len(msgs))
	for i, m := range msgs {
		r, err := s.newRow(m, now)
		if err != nil {
			return 0, fmt.Errorf("notify enqueue: message %d (%s): %w", i, m.Kind, err)
		}
		if seen[r.IdemKey] {
			continue
		}
		seen[r.IdemKey] = true
		rows = append(rows, r)
	}
	// Rows go in as maps: from a struct GORM asks MariaDB to return the
	// ids (RETURNING), and MariaDB returns rows it skipped too, which would
	// make duplicates count as created.
	values := make([]map[string]any, len(rows))
	for i, r := range rows {
		values[i] = r.values()
	}
	insert := tx.Table(row{}.TableName()).Clauses(s.onDuplicateKey(tx))
	for start := 0; start < len(values); start += insertChunk {
		chunk := values[start:min(start+insertChunk, len(values))]
		res := insert.Create(&chunk)
		if res.Error != nil {
			return created, fmt.Errorf("notify enqueue: %w", res.Error)
		}
		created += int(res.RowsAffected)
	}
	return created, nil
}

// onDuplicateKey makes an existing idempotency key neither an error nor a
// change, so only new rows count as affected: ON CONFLICT DO NOTHING on
// SQLite, a no-op ON DUPLICATE KEY UPDATE on MySQL.
func (s *Service) onDuplicateKey(tx *gorm.DB) clause.OnConflict {
	if tx.Dialector.Name() == "mysql" {
		return clause.OnConflict{DoUpdates: clause.Assignments(map[string]any{"idem_key": gorm.Expr("idem_key")})}
	}
	return clause.OnConflict{Columns: []clause.Column{{Name: "idem_key"}}, DoNothing: true}
}

// Enqueue writes msgs in a transaction of its own, for changes with nothing
// else to commit (a scheduled reminder).
func (s *Service) Enqueue(ctx context.Context, msgs ...Message) (int, error) {
	var created int
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		var err error
		created, err = s.EnqueueTx(tx, msgs...)
		return err
	})
	return created, err
}

// newRow checks m and turns it into a pending row due at NotBefore (or now),
// moved past quiet hours unless it is urgent.
func (s *Service) newRow(m Message, now time.Time) (row, error) {
	m.Kind = strings.TrimSpace(m.Kind)
	switch {
	case m.Kind == "" || len(m.Kind) > maxKind:
		return row{}, fmt.Errorf("kind must be 1 to %d bytes", maxKind)
	case len(m.Subject) > maxSubject || len(m.Cycle) > maxCycle || len(m.Stage) > maxStage:
		return row{}, fmt.Errorf("subject, cycle or stage too long (%d, %d, %d bytes at most)", maxSubject, maxCycle, maxStage)
	case len(m.URL) > maxURL:
		return row{}, fmt.Errorf("url longer than %d bytes", maxURL)
	}
	switch m.To.Kind {
	case ToGroup:
		if m.To.Group == "" || len(m.To.Group) > maxGroup {
			return row{}, fmt.Errorf("a group recipient needs a group name of 1 to %d bytes", maxGroup)
		}
		if m.Channel == "" {
			m.Channel = ChannelRobot
		}
		if m.Channel != ChannelRobot {
			return row{}, fmt.Errorf("a group can only be sent to by robot, not %q", m.Channel)
		}
	case ToCadre, ToManager, ToContact:
		if m.To.ID <= 0 {
			return row{}, fmt.Errorf("a %s recipient needs an id", m.To.Kind)
		}
		switch m.Channel {
		case "":
			m.Channel = ChannelTemplate
		case ChannelTemplate, ChannelSubscribe, ChannelCustom:
		default:
			return row{}, fmt.Errorf("a person cannot be sent to by %q", m.Channel)
		}
	default:
		return row{}, fmt.Errorf("unknown recipient kind %q", m.To.Kind)
	}
	var fields string
	if len(m.Fields) > 0 {
		b, err := json.Marshal(m.Fields)
		if err != nil {
			return row{}, err
		}
		fields = string(b)
	}
	next := now
	if m.NotBefore.After(now) {
		next = m.NotBefore
	}
	next = s.stamp(s.quietAfter(m.Urgent, next))
	r := row{
		IdemKey: m.Key(), Kind: m.Kind,
		RecipientKind: string(m.To.Kind), RecipientGroup: m.To.Group,
		Channel: string(m.Channel), Subject: m.Subject, Cycle: m.Cycle, Stage: m.Stage,
		Title: cutBytes(m.Title, maxTitle), Fields: fields, Text: cutBytes(m.Text, maxText), URL: m.URL, Urgent: m.Urgent,
		Status: string(StatusPending), NextAttemptAt: next, CreatedAt: now, UpdatedAt: now,
	}
	if m.To.Kind != ToGroup {
		r.RecipientID = m.To.ID
	}
	return r, nil
}
