package registry

import "github.com/shianbao/shianbao/internal/db"

// Schema is the register's tables. Status is stored on the business as a
// projection of its status events, written in the same transaction as each
// event, because every planner and list filters on it and deriving it per
// query would mean a correlated subquery over the whole event history.
var Schema = db.Schema{Component: "registry", Migrations: []db.Migration{
	{Version: 1, Name: "regions, offices, managers", SQL: `
CREATE TABLE regions (
	id {{pk}},
	parent_id BIGINT NULL,
	level VARCHAR(16) NOT NULL,
	code VARCHAR(20) NOT NULL DEFAULT '',
	name VARCHAR(64) NOT NULL,
	path VARCHAR(255) NOT NULL DEFAULT '',
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_regions_parent_name ON regions (parent_id, name);
CREATE INDEX ix_regions_path ON regions (path);
CREATE TABLE offices (
	id {{pk}},
	region_id BIGINT NOT NULL,
	name VARCHAR(128) NOT NULL,
	short_name VARCHAR(32) NOT NULL,
	phone VARCHAR(32) NOT NULL DEFAULT '',
	address VARCHAR(255) NOT NULL DEFAULT '',
	station_phone VARCHAR(32) NOT NULL DEFAULT '',
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_offices_region ON offices (region_id);
CREATE TABLE managers (
	id {{pk}},
	office_id BIGINT NOT NULL,
	name VARCHAR(64) NOT NULL,
	post VARCHAR(64) NOT NULL DEFAULT '',
	phone VARCHAR(32) NOT NULL DEFAULT '',
	active BOOLEAN NOT NULL DEFAULT TRUE,
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE INDEX ix_managers_office ON managers (office_id);
`},
	{Version: 2, Name: "businesses and status events", SQL: `
CREATE TABLE businesses (
	id {{pk}},
	name VARCHAR(128) NOT NULL,
	credit_code VARCHAR(18) NULL,
	licence_no VARCHAR(32) NULL,
	category VARCHAR(16) NOT NULL,
	grade CHAR(1) NOT NULL,
	region_id BIGINT NOT NULL,
	address VARCHAR(255) NOT NULL DEFAULT '',
	latitude DOUBLE NULL,
	longitude DOUBLE NULL,
	principal VARCHAR(64) NOT NULL DEFAULT '',
	principal_phone VARCHAR(32) NOT NULL DEFAULT '',
	director VARCHAR(64) NOT NULL DEFAULT '',
	director_phone VARCHAR(32) NOT NULL DEFAULT '',
	officer VARCHAR(64) NOT NULL DEFAULT '',
	officer_phone VARCHAR(32) NOT NULL DEFAULT '',
	status VARCHAR(16) NOT NULL DEFAULT 'operating',
	status_since {{datetime}} NULL,
	created_at {{datetime}} NOT NULL,
	updated_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_businesses_credit_code ON businesses (credit_code);
CREATE UNIQUE INDEX ux_businesses_licence_no ON businesses (licence_no);
CREATE INDEX ix_businesses_region ON businesses (region_id, status);
CREATE INDEX ix_businesses_name ON businesses (name);
CREATE TABLE business_events (
	id {{pk}},
	business_id BIGINT NOT NULL,
	kind VARCHAR(16) NOT NULL,
	effective_on {{datetime}} NOT NULL,
	note VARCHAR(500) NOT NULL DEFAULT '',
	actor VARCHAR(64) NOT NULL,
	source VARCHAR(16) NOT NULL,
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE INDEX ix_business_events_business ON business_events (business_id, id);
`},
	{Version: 3, Name: "cadres and assignments", SQL: `
CREATE TABLE cadres (
	id {{pk}},
	name VARCHAR(64) NOT NULL,
	post VARCHAR(64) NOT NULL DEFAULT '',
	level VARCHAR(16) NOT NULL,
	region_id BIGINT NOT NULL,
	work_phone VARCHAR(32) NOT NULL,
	active BOOLEAN NOT NULL DEFAULT TRUE,
	created_at {{datetime}} NOT NULL,
	updated_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_cadres_work_phone ON cadres (work_phone);
CREATE INDEX ix_cadres_region ON cadres (region_id);
CREATE TABLE assignments (
	id {{pk}},
	business_id BIGINT NOT NULL,
	cadre_id BIGINT NOT NULL,
	started_at {{datetime}} NOT NULL,
	ended_at {{datetime}} NULL,
	active_business_id BIGINT NULL,
	reason VARCHAR(255) NOT NULL DEFAULT '',
	actor VARCHAR(64) NOT NULL,
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_assignments_active ON assignments (active_business_id);
CREATE INDEX ix_assignments_business ON assignments (business_id, started_at);
CREATE INDEX ix_assignments_cadre ON assignments (cadre_id, ended_at);
`},
	// The console lists businesses by village, then name: in this index's
	// order a page is read as far as it goes instead of sorting every
	// business the filters keep (a city's page 40: 190 → 120 ms).
	{Version: 4, Name: "business list order", SQL: `
CREATE INDEX ix_businesses_list ON businesses (region_id, name, id);
`},
	// A business whose move was approved without coordinates is located
	// by the next on-site visit (MoveTx, LocateTx).
	{Version: 5, Name: "locate a moved business at the next visit", SQL: `
ALTER TABLE businesses ADD COLUMN locate_pending BOOLEAN NOT NULL DEFAULT FALSE;
`},
}}
