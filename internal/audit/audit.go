// Package audit keeps the audit log: who did what to which record, and when.
// Features write an entry inside the transaction of the change it records,
// so the change and its entry commit together or not at all; the console
// lists the log by subject or by actor.
//
// The log is read by many people over a long time, so an entry never holds
// personal data in clear: users appear as a hash of their platform id
// (HashID), and Record masks any mobile number a caller let slip into the
// detail.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
)

// Schema is the audit log's table.
var Schema = db.Schema{Component: "audit", Migrations: []db.Migration{
	{Version: 1, Name: "audit log", SQL: `
CREATE TABLE audit_log (
	id {{pk}},
	at {{datetime}} NOT NULL,
	actor VARCHAR(64) NOT NULL,
	action VARCHAR(48) NOT NULL,
	subject_type VARCHAR(32) NOT NULL DEFAULT '',
	subject_id BIGINT NOT NULL DEFAULT 0,
	detail VARCHAR(500) NOT NULL DEFAULT ''
) {{opts}};
CREATE INDEX ix_audit_log_subject ON audit_log (subject_type, subject_id, id);
CREATE INDEX ix_audit_log_actor ON audit_log (actor, id);
CREATE INDEX ix_audit_log_at ON audit_log (at);
`},
	// scope_path is the region path of the entry's subject (a business's
	// village, a cadre's region) when it has one, so a town's manager sees
	// every change to the town's records — made in chat by cadres and
	// businesses as well as in the console — and nothing of another town.
	{Version: 2, Name: "scope of each entry", SQL: `
ALTER TABLE audit_log ADD COLUMN scope_path VARCHAR(255) NOT NULL DEFAULT '';
CREATE INDEX ix_audit_log_scope ON audit_log (scope_path, id);
`},
	// also_scope_path is a second region whose log shows the entry, so
	// neither of two towns misses what happened: the acting cadre's when
	// they act on a business of another town (packed before the register
	// refused that), the town a business moved away from.
	{Version: 3, Name: "second scope of an entry", SQL: `
ALTER TABLE audit_log ADD COLUMN also_scope_path VARCHAR(255) NOT NULL DEFAULT '';
CREATE INDEX ix_audit_log_also_scope ON audit_log (also_scope_path, id);
`},
}}

// Column sizes, checked before writing: MySQL in strict mode rejects a
// longer value, which would roll back the change being audited.
const (
	maxActor       = 64
	maxAction      = 48
	maxSubjectType = 32
	maxDetail      = 500
	maxScopePath   = 255
)

// Entry is one line of the log. Actor says who ("cadre:12", "user:admin",
// "openid:3f2a9c01b7de"), Action what ("bind", "code.issue"), SubjectType
// and SubjectID which record; Detail is a short free text without personal
// data.
type Entry struct {
	ID          int64     `json:"id"`
	At          time.Time `json:"at"`
	Actor       string    `json:"actor"`
	Action      string    `json:"action"`
	SubjectType string    `json:"subject_type"`
	SubjectID   int64     `json:"subject_id"`
	Detail      string    `json:"detail"`
	// ScopePath is the region path of the subject ("/1/2/5/"), or "" for
	// a subject outside the region tree (an import, a console user).
	ScopePath string `json:"scope_path,omitempty"`
	// AlsoScopePath is a second region path whose log shows the entry
	// (the actor's when it lies outside ScopePath's subtree, the region a
	// business moved away from), or "".
	AlsoScopePath string `json:"also_scope_path,omitempty"`
}

// TableName is the audit log's table.
func (Entry) TableName() string { return "audit_log" }

// Record writes e in the caller's transaction. At defaults to now; the
// detail is cut to 500 characters and any mobile number in it is masked.
// It returns an error (not an error kind: these are programming mistakes)
// when actor or action is empty or a field is longer than its column.
func Record(tx *gorm.DB, e Entry) error {
	switch {
	case e.Actor == "" || e.Action == "":
		return errors.New("audit record: actor and action are required")
	case len(e.Actor) > maxActor, len(e.Action) > maxAction, len(e.SubjectType) > maxSubjectType, len(e.ScopePath) > maxScopePath,
		len(e.AlsoScopePath) > maxScopePath:
		return fmt.Errorf("audit record: actor %q, action %q, subject type %q or scope too long", e.Actor, e.Action, e.SubjectType)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = e.At.UTC()
	e.Detail = scrub(e.Detail)
	e.ID = 0
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("audit record %s: %w", e.Action, err)
	}
	return nil
}

// hashPrefix separates audit hashes from any other use of sha256 over the
// same ids. It is fixed, so one user's entries can be found and linked
// across years.
const hashPrefix = "shianbao/audit/v1:"

// HashID stands in for a personal identifier (an openid, a WeCom user id):
// the first 12 hex digits of sha256 over a fixed prefix and s. Equal ids
// give equal hashes, so one user's entries can be followed.
func HashID(s string) string {
	sum := sha256.Sum256([]byte(hashPrefix + s))
	return hex.EncodeToString(sum[:6])
}

// scrub masks mobile numbers (138****5678, also with a leading 86) and cuts
// the text to the column's size.
func scrub(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); {
		if !isDigit(b[i]) {
			i++
			continue
		}
		j := i
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		run := b[i:j]
		if len(run) == 13 && run[0] == '8' && run[1] == '6' {
			run = run[2:]
		}
		if len(run) == 11 && run[0] == '1' && run[1] >= '3' {
			copy(run[3:7], "****")
		}
		i = j
	}
	s = string(b)
	if r := []rune(s); len(r) > maxDetail {
		s = string(r[:maxDetail])
	}
	return s
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
