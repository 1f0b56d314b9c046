package account

import (
	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
)

// Schema is the account tables.
//
// An identity's active_key is channel|external_id|role|subject_id while it
// is bound and NULL after (as registry's assignments.active_business_id):
// the unique index then allows one live binding per user and subject on both
// engines and keeps every ended one as history.
//
// binding_codes stores only a peppered hash of each code. A QR scene is a
// row of kind "qr" whose hash is of a random value nobody is told, so it can
// be redeemed by its signed id only.
var Schema = db.Schema{Component: "account", Migrations: []db.Migration{
	{Version: 1, Name: "contacts, identities, binding codes", SQL: `
CREATE TABLE contacts (
	id {{pk}},
	business_id BIGINT NOT NULL,
	name VARCHAR(64) NOT NULL,
	phone VARCHAR(32) NOT NULL DEFAULT '',
	role VARCHAR(16) NOT NULL,
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_contacts_business_role_name ON contacts (business_id, role, name);
CREATE TABLE identities (
	id {{pk}},
	channel VARCHAR(8) NOT NULL,
	external_id VARCHAR(64) NOT NULL,
	role VARCHAR(16) NOT NULL,
	subject_id BIGINT NOT NULL,
	bound_at {{datetime}} NOT NULL,
	unbound_at {{datetime}} NULL,
	active_key VARCHAR(160) NULL,
	reachable BOOLEAN NOT NULL DEFAULT TRUE,
	last_message_at {{datetime}} NULL
) {{opts}};
CREATE UNIQUE INDEX ux_identities_active ON identities (active_key);
CREATE INDEX ix_identities_user ON identities (external_id, channel, unbound_at);
CREATE INDEX ix_identities_subject ON identities (role, subject_id, unbound_at);
CREATE TABLE binding_codes (
	id {{pk}},
	kind VARCHAR(8) NOT NULL,
	code_hash CHAR(64) NOT NULL,
	role VARCHAR(16) NOT NULL,
	subject_id BIGINT NOT NULL,
	issued_by VARCHAR(64) NOT NULL,
	created_at {{datetime}} NOT NULL,
	expires_at {{datetime}} NOT NULL,
	used_at {{datetime}} NULL,
	used_by_identity_id BIGINT NULL,
	revoked_at {{datetime}} NULL
) {{opts}};
CREATE UNIQUE INDEX ux_binding_codes_hash ON binding_codes (code_hash);
CREATE INDEX ix_binding_codes_subject ON binding_codes (role, subject_id);
`, Func: binaryUserIDs},
	{Version: 2, Name: "console users", SQL: `
CREATE TABLE console_users (
	id {{pk}},
	username VARCHAR(64) NOT NULL,
	name VARCHAR(64) NOT NULL,
	role VARCHAR(16) NOT NULL,
	region_id BIGINT NULL,
	password_hash VARCHAR(100) NOT NULL,
	disabled BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{datetime}} NOT NULL,
	password_changed_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_console_users_username ON console_users (username);
`},
	// API tokens were kept in kv alone, and the in-process kv of the
	// embedded default forgot them at every restart. Only each token's
	// SHA-256 is stored; public_id names it in lists and revocation.
	{Version: 3, Name: "api tokens", SQL: `
CREATE TABLE api_tokens (
	id {{pk}},
	public_id VARCHAR(16) NOT NULL,
	user_id BIGINT NOT NULL,
	name VARCHAR(64) NOT NULL,
	hint VARCHAR(16) NOT NULL,
	token_hash CHAR(64) NOT NULL,
	created_at {{datetime}} NOT NULL,
	expires_at {{datetime}} NOT NULL,
	revoked_at {{datetime}} NULL
) {{opts}};
CREATE UNIQUE INDEX ux_api_tokens_hash ON api_tokens (token_hash);
CREATE UNIQUE INDEX ux_api_tokens_public ON api_tokens (public_id);
CREATE INDEX ix_api_tokens_user ON api_tokens (user_id, expires_at);
`},
	// Menus by role: a user whose tag lags their bindings (see menutag.go).
	{Version: 4, Name: "menu tags", SQL: `
CREATE TABLE menu_tags (
	external_id VARCHAR(64) NOT NULL PRIMARY KEY,
	version BIGINT NOT NULL,
	synced_version BIGINT NOT NULL DEFAULT 0,
	attempts INT NOT NULL DEFAULT 0,
	next_attempt_at {{datetime}} NOT NULL,
	lease_until {{datetime}} NULL,
	last_error VARCHAR(255) NOT NULL DEFAULT '',
	updated_at {{datetime}} NOT NULL
) {{opts}};
CREATE INDEX ix_menu_tags_due ON menu_tags (next_attempt_at);
`, Func: binaryMenuTagIDs},
}}

// binaryMenuTagIDs makes openids compare case-sensitively on MySQL, as in
// identities.
func binaryMenuTagIDs(tx *gorm.DB) error {
	if tx.Dialector.Name() != "mysql" {
		return nil
	}
	return tx.Exec(`ALTER TABLE menu_tags MODIFY external_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL`).Error
}

// binaryUserIDs makes user ids compare case-sensitively on MySQL: openids
// are case-sensitive, and the default collation (utf8mb4_unicode_ci) would
// take two that differ only in case for one user. SQLite compares bytes.
func binaryUserIDs(tx *gorm.DB) error {
	if tx.Dialector.Name() != "mysql" {
		return nil
	}
	return tx.Exec(`ALTER TABLE identities
	MODIFY external_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	MODIFY active_key VARCHAR(160) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL`).Error
}
