package incident

import "github.com/shianbao/shianbao/internal/db"

// Schema is the incidents' tables; they build on the register's.
//
// incidents.report_key is unique: a report delivered again meets the row
// the first delivery wrote. ix_incidents_due serves the escalation sweep
// (open incidents whose step is due). incident_events keep every step,
// never updated. incident_photos are fetched from WeChat in the background
// like the visits' photos (supervision.PhotoQueue), event_id naming the
// step they came with.
var Schema = db.Schema{Component: "incident", Migrations: []db.Migration{
	{Version: 1, Name: "incidents, events, photos", SQL: `
CREATE TABLE incidents (
	id {{pk}},
	report_key VARCHAR(64) NOT NULL,
	kind VARCHAR(16) NOT NULL,
	state VARCHAR(16) NOT NULL,
	region_id BIGINT NOT NULL,
	business_id BIGINT NOT NULL DEFAULT 0,
	business_name VARCHAR(128) NOT NULL DEFAULT '',
	description TEXT NOT NULL,
	affected INT NOT NULL DEFAULT -1,
	has_location BOOLEAN NOT NULL DEFAULT FALSE,
	lat DOUBLE NOT NULL DEFAULT 0,
	lng DOUBLE NOT NULL DEFAULT 0,
	place VARCHAR(255) NOT NULL DEFAULT '',
	reporter_kind VARCHAR(16) NOT NULL,
	reporter_id BIGINT NOT NULL DEFAULT 0,
	reporter_name VARCHAR(64) NOT NULL DEFAULT '',
	reporter_ref VARCHAR(64) NOT NULL DEFAULT '',
	verified BOOLEAN NOT NULL DEFAULT FALSE,
	office_id BIGINT NOT NULL DEFAULT 0,
	state_at {{datetime}} NOT NULL,
	due_at {{datetime}} NULL,
	escalated_state VARCHAR(16) NOT NULL DEFAULT '',
	created_at {{datetime}} NOT NULL,
	updated_at {{datetime}} NOT NULL,
	closed_at {{datetime}} NULL
) {{opts}};
CREATE UNIQUE INDEX ux_incidents_report_key ON incidents (report_key);
CREATE INDEX ix_incidents_due ON incidents (state, due_at);
CREATE INDEX ix_incidents_region ON incidents (region_id, created_at);
CREATE TABLE incident_events (
	id {{pk}},
	incident_id BIGINT NOT NULL,
	from_state VARCHAR(16) NOT NULL DEFAULT '',
	to_state VARCHAR(16) NOT NULL,
	actor VARCHAR(64) NOT NULL,
	actor_name VARCHAR(64) NOT NULL DEFAULT '',
	note TEXT NOT NULL,
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE INDEX ix_incident_events_incident ON incident_events (incident_id, id);
CREATE TABLE incident_photos (
	id {{pk}},
	incident_id BIGINT NOT NULL,
	event_id BIGINT NOT NULL,
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
CREATE INDEX ix_incident_photos_due ON incident_photos (status, next_attempt_at);
CREATE INDEX ix_incident_photos_incident ON incident_photos (incident_id);
CREATE INDEX ix_incident_photos_lease ON incident_photos (lease_token);
`},
}}
