package notify

import "github.com/shianbao/shianbao/internal/db"

// Schema is the outbox table.
//
// idem_key is Message.Key: the unique index is what makes enqueuing the same
// notification twice one row. A claimed row's next_attempt_at is its lease
// end (lease_until), so "due" is one range over ix_outbox_due whether the row
// waits for its first attempt, a retry or the end of a crashed dispatcher's
// lease. lease_token names the claim that owns a row; every write after a
// send checks it (with the primary key, so it needs no index of its own), so
// a dispatcher that lost its lease cannot overwrite the work of the one that
// took over. requeues counts the console's retries of a
// message the platform had already accepted, which then needs a new
// client_msg_id. urgent marks a message that quiet hours do not hold (an
// incident report at 23:00): enqueue, claim and retry skip the quiet hours
// for it alone.
var Schema = db.Schema{Component: "notify", Migrations: []db.Migration{
	{Version: 1, Name: "outbox", SQL: `
CREATE TABLE outbox (
	id {{pk}},
	idem_key CHAR(32) NOT NULL,
	kind VARCHAR(40) NOT NULL,
	recipient_kind VARCHAR(16) NOT NULL,
	recipient_id BIGINT NOT NULL DEFAULT 0,
	recipient_group VARCHAR(64) NOT NULL DEFAULT '',
	channel VARCHAR(16) NOT NULL,
	subject VARCHAR(128) NOT NULL DEFAULT '',
	cycle VARCHAR(16) NOT NULL DEFAULT '',
	stage VARCHAR(32) NOT NULL DEFAULT '',
	title VARCHAR(255) NOT NULL DEFAULT '',
	fields TEXT NOT NULL,
	text TEXT NOT NULL,
	url VARCHAR(1024) NOT NULL DEFAULT '',
	status VARCHAR(16) NOT NULL,
	attempts INT NOT NULL DEFAULT 0,
	requeues INT NOT NULL DEFAULT 0,
	next_attempt_at {{datetime}} NOT NULL,
	lease_until {{datetime}} NULL,
	lease_token VARCHAR(32) NOT NULL DEFAULT '',
	last_error VARCHAR(500) NOT NULL DEFAULT '',
	sent_via VARCHAR(16) NOT NULL DEFAULT '',
	to_user VARCHAR(64) NOT NULL DEFAULT '',
	platform_msg_id BIGINT NULL,
	created_at {{datetime}} NOT NULL,
	sent_at {{datetime}} NULL,
	updated_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_outbox_idem_key ON outbox (idem_key);
CREATE INDEX ix_outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX ix_outbox_platform_msg ON outbox (platform_msg_id);
CREATE INDEX ix_outbox_recipient ON outbox (recipient_kind, recipient_id, created_at);
CREATE INDEX ix_outbox_created ON outbox (created_at);
`},
	{Version: 2, Name: "urgent messages", SQL: `
ALTER TABLE outbox ADD COLUMN urgent BOOLEAN NOT NULL DEFAULT FALSE;
`},
}}
