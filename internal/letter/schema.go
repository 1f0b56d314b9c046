package letter

import "github.com/shianbao/shianbao/internal/db"

// Schema is the letter tables; it builds on the register's, the
// supervision record's and the accounts'.
//
// letters: (office_id, year, seq) is unique, so a number can never be
// given twice whatever happens to the counter; visit_id is unique (NULL
// for a manager's letter; both engines allow several NULLs), which makes
// issuing for a visit idempotent also when two requests race; token is the
// random name in the H5 address. letter_counters holds the next sequence
// number per office and year: issuing raises it in the letter's own
// transaction. letter_deliveries records which contacts a letter was sent
// to, so a contact who binds later gets what they have not had.
// letter_photos are the receipt's pictures (a stored upload's key, or a
// WeChat media id the supervision record fetches). letter_reads says who
// opened a letter and when.
var Schema = db.Schema{Component: "letter", Migrations: []db.Migration{
	{Version: 1, Name: "letters, counters, deliveries, receipt photos, reads", SQL: `
CREATE TABLE letters (
	id {{pk}},
	office_id BIGINT NOT NULL,
	year INT NOT NULL,
	seq INT NOT NULL,
	number VARCHAR(64) NOT NULL,
	business_id BIGINT NOT NULL,
	visit_id BIGINT NULL,
	cadre_id BIGINT NOT NULL DEFAULT 0,
	issued_by VARCHAR(64) NOT NULL,
	issued_at {{datetime}} NOT NULL,
	content TEXT NOT NULL,
	status VARCHAR(16) NOT NULL,
	delivered_at {{datetime}} NULL,
	acknowledged_at {{datetime}} NULL,
	ack_contact_id BIGINT NULL,
	ack_identity_id BIGINT NULL,
	ack_feedback VARCHAR(500) NOT NULL DEFAULT '',
	token VARCHAR(32) NOT NULL,
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_letters_number ON letters (office_id, year, seq);
CREATE UNIQUE INDEX ux_letters_token ON letters (token);
CREATE UNIQUE INDEX ux_letters_visit ON letters (visit_id);
CREATE INDEX ix_letters_business ON letters (business_id, issued_at);
CREATE INDEX ix_letters_due ON letters (status, issued_at);
CREATE TABLE letter_counters (
	office_id BIGINT NOT NULL,
	year INT NOT NULL,
	next_seq INT NOT NULL,
	PRIMARY KEY (office_id, year)
) {{opts}};
CREATE TABLE letter_deliveries (
	letter_id BIGINT NOT NULL,
	contact_id BIGINT NOT NULL,
	sent_at {{datetime}} NOT NULL,
	PRIMARY KEY (letter_id, contact_id)
) {{opts}};
CREATE INDEX ix_letter_deliveries_contact ON letter_deliveries (contact_id);
CREATE TABLE letter_photos (
	id {{pk}},
	letter_id BIGINT NOT NULL,
	media_key VARCHAR(200) NOT NULL DEFAULT '',
	media_id VARCHAR(128) NOT NULL DEFAULT '',
	content_type VARCHAR(64) NOT NULL DEFAULT '',
	size BIGINT NOT NULL DEFAULT 0,
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE INDEX ix_letter_photos_letter ON letter_photos (letter_id, id);
CREATE TABLE letter_reads (
	id {{pk}},
	letter_id BIGINT NOT NULL,
	reader VARCHAR(64) NOT NULL,
	via VARCHAR(16) NOT NULL,
	read_at {{datetime}} NOT NULL
) {{opts}};
CREATE INDEX ix_letter_reads_letter ON letter_reads (letter_id, read_at);
`},
}}
