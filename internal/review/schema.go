package review

import "github.com/shianbao/shianbao/internal/db"

// Schema holds what review adds beside the visits (which supervision owns):
// each stored photo's perceptual hash and capture time, the flags of each
// visit, and how far each visit's flags are computed (photos_seen: the
// stored photos they took into account — a photo fetched later makes the
// visit due again).
var Schema = db.Schema{Component: "review", Migrations: []db.Migration{
	{Version: 1, Name: "photo hashes, visit flags", SQL: `
CREATE TABLE photo_hashes (
	photo_id BIGINT NOT NULL PRIMARY KEY,
	visit_id BIGINT NOT NULL,
	business_id BIGINT NOT NULL,
	dhash BIGINT NOT NULL,
	taken_at {{datetime}} NULL,
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE INDEX ix_photo_hashes_visit ON photo_hashes (visit_id);
CREATE TABLE visit_flags (
	visit_id BIGINT NOT NULL,
	kind VARCHAR(32) NOT NULL,
	other_visit_id BIGINT NOT NULL DEFAULT 0,
	detail VARCHAR(255) NOT NULL,
	created_at {{datetime}} NOT NULL,
	PRIMARY KEY (visit_id, kind, other_visit_id)
) {{opts}};
CREATE INDEX ix_visit_flags_kind ON visit_flags (kind, visit_id);
CREATE TABLE visit_flag_runs (
	visit_id BIGINT NOT NULL PRIMARY KEY,
	photos_seen INT NOT NULL,
	computed_at {{datetime}} NOT NULL
) {{opts}};
`},
	// The re-check: which visits each cycle's sample drew (and why), and
	// the reviewer's judgement of a visit (the latest; the audit log keeps
	// every change).
	{Version: 2, Name: "review samples and judgements", SQL: `
CREATE TABLE review_samples (
	cycle_key VARCHAR(16) NOT NULL,
	visit_id BIGINT NOT NULL,
	reason VARCHAR(16) NOT NULL,
	drawn_at {{datetime}} NOT NULL,
	PRIMARY KEY (cycle_key, visit_id)
) {{opts}};
CREATE INDEX ix_review_samples_visit ON review_samples (visit_id);
CREATE TABLE visit_reviews (
	visit_id BIGINT NOT NULL PRIMARY KEY,
	outcome VARCHAR(16) NOT NULL,
	note VARCHAR(500) NOT NULL DEFAULT '',
	reviewer VARCHAR(64) NOT NULL,
	reviewed_at {{datetime}} NOT NULL
) {{opts}};
`},
}}
