package selfcheck

import "github.com/shianbao/shianbao/internal/db"

// Schema is the self-check tables; they build on the register's and the
// accounts'.
//
// selfcheck_records holds the current state of each record, one row per
// business, kind and period (ux_selfcheck_records_period): concurrent
// submissions for the same day meet on that row, which the saving
// transaction creates if missing and then locks. period_start and
// period_end are calendar days as text ("2026-11-28"), so the rate and
// count queries compare strings and no engine shifts them by a time zone.
// selfcheck_revisions keeps every submission (never updated or deleted);
// its submission_key is unique, so a submission delivered twice is stored
// once. selfcheck_photos are the pictures sent with a revision, fetched
// from WeChat in the background like the supervision photos (lease_token
// for claims without SKIP LOCKED). selfcheck_settings holds a business's
// own reminder time when it chose one (the default is not stored).
var Schema = db.Schema{Component: "selfcheck", Migrations: []db.Migration{
	{Version: 1, Name: "records, revisions, photos, settings", SQL: `
CREATE TABLE selfcheck_records (
	id {{pk}},
	business_id BIGINT NOT NULL,
	kind VARCHAR(8) NOT NULL,
	period VARCHAR(10) NOT NULL,
	period_start CHAR(10) NOT NULL,
	period_end CHAR(10) NOT NULL,
	revision INT NOT NULL DEFAULT 0,
	contact_id BIGINT NOT NULL,
	contact_name VARCHAR(64) NOT NULL DEFAULT '',
	contact_role VARCHAR(16) NOT NULL DEFAULT '',
	late BOOLEAN NOT NULL DEFAULT FALSE,
	problems INT NOT NULL DEFAULT 0,
	open_items INT NOT NULL DEFAULT 0,
	body TEXT NOT NULL,
	created_at {{datetime}} NOT NULL,
	updated_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_selfcheck_records_period ON selfcheck_records (business_id, kind, period);
CREATE INDEX ix_selfcheck_records_kind_period ON selfcheck_records (kind, period, business_id);
CREATE INDEX ix_selfcheck_records_business_end ON selfcheck_records (business_id, period_end);
CREATE TABLE selfcheck_revisions (
	id {{pk}},
	record_id BIGINT NOT NULL,
	business_id BIGINT NOT NULL,
	kind VARCHAR(8) NOT NULL,
	period VARCHAR(10) NOT NULL,
	revision INT NOT NULL,
	submission_key VARCHAR(64) NOT NULL,
	contact_id BIGINT NOT NULL,
	contact_name VARCHAR(64) NOT NULL DEFAULT '',
	contact_role VARCHAR(16) NOT NULL DEFAULT '',
	late BOOLEAN NOT NULL DEFAULT FALSE,
	problems INT NOT NULL DEFAULT 0,
	open_items INT NOT NULL DEFAULT 0,
	body TEXT NOT NULL,
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_selfcheck_revisions_key ON selfcheck_revisions (submission_key);
CREATE UNIQUE INDEX ux_selfcheck_revisions_record ON selfcheck_revisions (record_id, revision);
CREATE INDEX ix_selfcheck_revisions_business ON selfcheck_revisions (business_id, period);
CREATE TABLE selfcheck_photos (
	id {{pk}},
	revision_id BIGINT NOT NULL,
	business_id BIGINT NOT NULL,
	media_id VARCHAR(128) NOT NULL,
	pic_url VARCHAR(1024) NOT NULL DEFAULT '',
	received_at {{datetime}} NOT NULL,
	status VARCHAR(16) NOT NULL,
	sha256 CHAR(64) NOT NULL DEFAULT '',
	size BIGINT NOT NULL DEFAULT 0,
	path VARCHAR(255) NOT NULL DEFAULT '',
	content_type VARCHAR(64) NOT NULL DEFAULT '',
	attempts INT NOT NULL DEFAULT 0,
	next_attempt_at {{datetime}} NOT NULL,
	lease_until {{datetime}} NULL,
	lease_token VARCHAR(32) NOT NULL DEFAULT '',
	last_error VARCHAR(255) NOT NULL DEFAULT '',
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE INDEX ix_selfcheck_photos_due ON selfcheck_photos (status, next_attempt_at);
CREATE INDEX ix_selfcheck_photos_revision ON selfcheck_photos (revision_id);
CREATE INDEX ix_selfcheck_photos_lease ON selfcheck_photos (lease_token);
CREATE TABLE selfcheck_settings (
	business_id BIGINT NOT NULL PRIMARY KEY,
	remind_minute INT NOT NULL,
	updated_by VARCHAR(64) NOT NULL,
	updated_at {{datetime}} NOT NULL
) {{opts}};
CREATE INDEX ix_selfcheck_settings_minute ON selfcheck_settings (remind_minute);
`},
}}
