package card

import "github.com/shianbao/shianbao/internal/db"

// Schema is the card tables; it builds on the register's and the accounts'.
//
// cards holds one row per business that has had a card: its public code
// (the random slug in the QR code on the shop's notice board, which must
// never change once printed), the version in force and the cadre it was
// issued under. card_versions keeps every issue with its reason; its
// primary key makes a reissue happen once per version. card_reads says
// who opened a card, how and when. card_views counts the public's views
// of a card from the QR code, per day and client (a keyed hash of its
// network, never the address): a busy shop's card is seen thousands of
// times, and a row per view grew the table by a row per request.
var Schema = db.Schema{Component: "card", Migrations: []db.Migration{
	{Version: 1, Name: "cards, versions, reads", SQL: `
CREATE TABLE cards (
	business_id BIGINT NOT NULL PRIMARY KEY,
	code VARCHAR(16) NOT NULL,
	version INT NOT NULL,
	cadre_id BIGINT NOT NULL DEFAULT 0,
	issued_at {{datetime}} NOT NULL,
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_cards_code ON cards (code);
CREATE INDEX ix_cards_cadre ON cards (cadre_id);
CREATE TABLE card_versions (
	business_id BIGINT NOT NULL,
	version INT NOT NULL,
	cadre_id BIGINT NOT NULL DEFAULT 0,
	reason VARCHAR(255) NOT NULL DEFAULT '',
	issued_at {{datetime}} NOT NULL,
	PRIMARY KEY (business_id, version)
) {{opts}};
CREATE TABLE card_reads (
	id {{pk}},
	business_id BIGINT NOT NULL,
	version INT NOT NULL,
	reader VARCHAR(64) NOT NULL,
	via VARCHAR(16) NOT NULL,
	read_at {{datetime}} NOT NULL
) {{opts}};
CREATE INDEX ix_card_reads_business ON card_reads (business_id, read_at);
`},
	{Version: 2, Name: "public views counted per card, day and client", SQL: `
CREATE TABLE card_views (
	business_id BIGINT NOT NULL,
	day CHAR(10) NOT NULL,
	client CHAR(32) NOT NULL,
	version INT NOT NULL,
	views INT NOT NULL,
	first_at {{datetime}} NOT NULL,
	last_at {{datetime}} NOT NULL,
	PRIMARY KEY (business_id, day, client)
) {{opts}};
`},
}}
