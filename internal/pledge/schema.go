package pledge

import "github.com/shianbao/shianbao/internal/db"

// Schema is the pledge table; it builds on the register's and the
// accounts'.
//
// pledges keeps every signed pledge, old ones too (history). basis names
// what a pledge answers — kind, subject, year, text version and, for a
// business, the assignment of its cadre — and is unique, so a double tap
// or two phones signing at once store one pledge, while a new year, a new
// text or a new cadre (a new assignment id, even when the same cadre comes
// back) asks for a new one. content is the text as signed, frozen, so a
// later change to the register never rewrites a signed pledge.
// signature_key is the drawn signature in the media store (its SHA-256
// and ".png"); a pledge confirmed by a typed name has none.
var Schema = db.Schema{Component: "pledge", Migrations: []db.Migration{
	{Version: 1, Name: "pledges", SQL: `
CREATE TABLE pledges (
	id {{pk}},
	kind VARCHAR(16) NOT NULL,
	subject_id BIGINT NOT NULL,
	year INT NOT NULL,
	version VARCHAR(32) NOT NULL,
	assignment_id BIGINT NOT NULL DEFAULT 0,
	cadre_id BIGINT NOT NULL DEFAULT 0,
	office_id BIGINT NOT NULL DEFAULT 0,
	region_id BIGINT NOT NULL,
	basis VARCHAR(128) NOT NULL,
	content TEXT NOT NULL,
	signer VARCHAR(64) NOT NULL,
	signer_name VARCHAR(64) NOT NULL,
	method VARCHAR(16) NOT NULL,
	signature_key VARCHAR(200) NOT NULL DEFAULT '',
	signature_sha256 VARCHAR(64) NOT NULL DEFAULT '',
	identity_id BIGINT NOT NULL DEFAULT 0,
	openid VARCHAR(128) NOT NULL DEFAULT '',
	signed_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_pledges_basis ON pledges (basis);
CREATE INDEX ix_pledges_subject ON pledges (kind, subject_id, signed_at);
CREATE INDEX ix_pledges_current ON pledges (kind, year, version, subject_id);
`},
}}
