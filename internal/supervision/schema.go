package supervision

import (
	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
)

// Schema is the supervision record's tables; it builds on the register's.
//
// visits.submission_key is unique: it is the chat draft's id, so a report
// submitted twice (a retried callback, a double tap) is stored once.
// Revisions take the key "rev:<id of the visit they correct>", which also
// stops two people correcting the same revision at once. is_current is
// false once a visit is superseded ("current" is a keyword in SQLite).
// Coverage looks visits up by business and submission time, hence
// ix_visits_business (ix_visits_cover since version 2). photos.lease_token records which fetcher holds a row,
// so claims work by conditional update where SKIP LOCKED is missing.
var Schema = db.Schema{Component: "supervision", Migrations: []db.Migration{
	{Version: 1, Name: "visits, items, findings, rectifications, photos, relocations", SQL: `
CREATE TABLE visits (
	id {{pk}},
	submission_key VARCHAR(64) NOT NULL,
	business_id BIGINT NOT NULL,
	cadre_id BIGINT NOT NULL,
	cadre_level VARCHAR(16) NOT NULL,
	grade CHAR(1) NOT NULL,
	cycle_key VARCHAR(16) NOT NULL,
	mode VARCHAR(16) NOT NULL,
	check_kind VARCHAR(8) NOT NULL,
	started_at {{datetime}} NOT NULL,
	submitted_at {{datetime}} NOT NULL,
	latitude DOUBLE NULL,
	longitude DOUBLE NULL,
	location_label VARCHAR(255) NOT NULL DEFAULT '',
	distance_m DOUBLE NULL,
	far BOOLEAN NOT NULL DEFAULT FALSE,
	status_seen VARCHAR(16) NOT NULL DEFAULT '',
	status_note VARCHAR(500) NOT NULL DEFAULT '',
	contact_name VARCHAR(64) NOT NULL DEFAULT '',
	remarks VARCHAR(1000) NOT NULL DEFAULT '',
	source VARCHAR(16) NOT NULL,
	provenance TEXT NOT NULL,
	revision INT NOT NULL DEFAULT 1,
	supersedes_id BIGINT NULL,
	is_current BOOLEAN NOT NULL DEFAULT TRUE,
	revised_by VARCHAR(64) NOT NULL DEFAULT '',
	revision_reason VARCHAR(500) NOT NULL DEFAULT '',
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_visits_submission_key ON visits (submission_key);
CREATE INDEX ix_visits_business ON visits (business_id, submitted_at);
CREATE INDEX ix_visits_business_cycle ON visits (business_id, cycle_key, is_current);
CREATE INDEX ix_visits_cadre ON visits (cadre_id, submitted_at);
CREATE TABLE visit_items (
	visit_id BIGINT NOT NULL,
	item_id VARCHAR(32) NOT NULL,
	result VARCHAR(8) NOT NULL,
	PRIMARY KEY (visit_id, item_id)
) {{opts}};
CREATE TABLE findings (
	id {{pk}},
	visit_id BIGINT NOT NULL,
	business_id BIGINT NOT NULL,
	item_id VARCHAR(32) NOT NULL,
	description VARCHAR(500) NOT NULL,
	requirement VARCHAR(500) NOT NULL DEFAULT '',
	deadline {{datetime}} NOT NULL
) {{opts}};
CREATE INDEX ix_findings_visit ON findings (visit_id);
CREATE INDEX ix_findings_business ON findings (business_id);
CREATE TABLE rectifications (
	id {{pk}},
	finding_id BIGINT NOT NULL,
	business_id BIGINT NOT NULL,
	cadre_id BIGINT NOT NULL,
	deadline {{datetime}} NOT NULL,
	status VARCHAR(16) NOT NULL,
	closed_at {{datetime}} NULL,
	closed_by VARCHAR(64) NOT NULL DEFAULT '',
	created_at {{datetime}} NOT NULL,
	updated_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_rectifications_finding ON rectifications (finding_id);
CREATE INDEX ix_rectifications_business ON rectifications (business_id, status);
CREATE INDEX ix_rectifications_status ON rectifications (status, deadline);
CREATE TABLE rectification_events (
	id {{pk}},
	rectification_id BIGINT NOT NULL,
	kind VARCHAR(16) NOT NULL,
	note VARCHAR(500) NOT NULL DEFAULT '',
	new_deadline {{datetime}} NULL,
	actor VARCHAR(64) NOT NULL,
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE INDEX ix_rectification_events_rect ON rectification_events (rectification_id, id);
CREATE TABLE photos (
	id {{pk}},
	visit_id BIGINT NULL,
	finding_id BIGINT NULL,
	rectification_event_id BIGINT NULL,
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
CREATE INDEX ix_photos_due ON photos (status, next_attempt_at);
CREATE INDEX ix_photos_visit ON photos (visit_id);
CREATE INDEX ix_photos_event ON photos (rectification_event_id);
CREATE INDEX ix_photos_lease ON photos (lease_token);
CREATE TABLE relocation_requests (
	id {{pk}},
	business_id BIGINT NOT NULL,
	visit_id BIGINT NOT NULL,
	note VARCHAR(500) NOT NULL DEFAULT '',
	status VARCHAR(16) NOT NULL,
	decided_by VARCHAR(64) NOT NULL DEFAULT '',
	decided_at {{datetime}} NULL,
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE INDEX ix_relocation_requests_status ON relocation_requests (status, business_id);
`},
	// The console filters a whole city by coverage (covered / not yet
	// covered this cycle). ix_visits_time answers "which businesses have a
	// counting visit in this stretch" from the index alone, once per group
	// of grades (coveredInSQL); ix_visits_cover, which replaces
	// ix_visits_business as its extension, answers the per-business check
	// without reading the rows.
	{Version: 2, Name: "covering indexes for coverage", SQL: `
CREATE INDEX ix_visits_time ON visits (submitted_at, is_current, mode, business_id);
CREATE INDEX ix_visits_cover ON visits (business_id, submitted_at, is_current, mode);
`, Func: func(tx *gorm.DB) error { return tx.Migrator().DropIndex("visits", "ix_visits_business") }},
	// A reviewer who finds a visit 不属实 takes it off coverage without
	// touching the record (reversible): counted joins is_current in every
	// coverage condition, and in the covering indexes so those conditions
	// are still answered from the index alone.
	{Version: 3, Name: "visits a review took off coverage", SQL: `
ALTER TABLE visits ADD COLUMN counted BOOLEAN NOT NULL DEFAULT TRUE;
CREATE INDEX ix_visits_counted_time ON visits (submitted_at, is_current, counted, mode, business_id);
CREATE INDEX ix_visits_counted_cover ON visits (business_id, submitted_at, is_current, counted, mode);
`, Func: func(tx *gorm.DB) error {
		for _, ix := range []string{"ix_visits_time", "ix_visits_cover"} {
			if err := tx.Migrator().DropIndex("visits", ix); err != nil {
				return err
			}
		}
		return nil
	}},
}}
