package draft

import (
	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
)

// Schema is the drafts table: one row per user, replaced on every turn that
// moves a conversation on, and removed when it ends. State is TEXT, which
// holds 64 KB on MySQL — a draft with every answer of a long checklist is a
// few KB.
var Schema = db.Schema{Component: "draft", Migrations: []db.Migration{
	{Version: 1, Name: "dialog drafts", SQL: `
CREATE TABLE dialog_drafts (
	user_key VARCHAR(160) NOT NULL PRIMARY KEY,
	flow VARCHAR(32) NOT NULL,
	label VARCHAR(128) NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	updated_at {{datetime}} NOT NULL,
	expires_at {{datetime}} NOT NULL
) {{opts}};
CREATE INDEX ix_dialog_drafts_expires ON dialog_drafts (expires_at);
`, Func: binaryUserKey},
}}

// binaryUserKey makes user keys compare case-sensitively on MySQL: they
// carry openids, which are case-sensitive, and the default collation would
// take two that differ only in case for one user. SQLite compares bytes.
func binaryUserKey(tx *gorm.DB) error {
	if tx.Dialector.Name() != "mysql" {
		return nil
	}
	return tx.Exec(`ALTER TABLE dialog_drafts
	MODIFY user_key VARCHAR(160) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL`).Error
}
