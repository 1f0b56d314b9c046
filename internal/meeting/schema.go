package meeting

import "github.com/shianbao/shianbao/internal/db"

// Schema is the meeting tables; it builds on the register's and the
// supervision record's.
//
// meetings: one row per meeting, filed under the organising office's
// region (region_path is copied in so scoped lists need no join). The
// check-in window is stored per meeting (opens minutes before the start,
// closes minutes after it), so a changed default never moves a meeting
// already announced. reminded_day_at, reminded_hours_at and followed_up_at
// mark the day-before and two-hours-before reminders and the absentee
// follow-up as sent, so the minute's tick does each once.
//
// meeting_people: everyone who is expected or came — one row per meeting,
// kind (cadre or business) and subject, whatever how often they replied or
// scanned; the unique index is what makes a check-in count once under
// repeated delivery and races. invited is false for a walk-in.
//
// meeting_results: a 集中督导's short result per attending business, with
// the visit it became; the primary key makes recording idempotent.
//
// quiz_attempts: one per person and meeting (a retake replaces it).
var Schema = db.Schema{Component: "meeting", Migrations: []db.Migration{
	{Version: 1, Name: "meetings, people, 集中督导 results, quiz attempts", SQL: `
CREATE TABLE meetings (
	id {{pk}},
	kind VARCHAR(24) NOT NULL,
	title VARCHAR(128) NOT NULL,
	starts_at {{datetime}} NOT NULL,
	ends_at {{datetime}} NOT NULL,
	place VARCHAR(200) NOT NULL,
	latitude DOUBLE NULL,
	longitude DOUBLE NULL,
	office_id BIGINT NOT NULL,
	region_id BIGINT NOT NULL,
	region_path VARCHAR(255) NOT NULL,
	agenda TEXT NOT NULL,
	materials TEXT NOT NULL,
	rule_text VARCHAR(500) NOT NULL DEFAULT '',
	quiz_id VARCHAR(64) NOT NULL DEFAULT '',
	opens_before_min INT NOT NULL,
	closes_after_min INT NOT NULL,
	presiding_cadre_id BIGINT NULL,
	created_by VARCHAR(64) NOT NULL,
	created_at {{datetime}} NOT NULL,
	invited_at {{datetime}} NULL,
	reminded_day_at {{datetime}} NULL,
	reminded_hours_at {{datetime}} NULL,
	followed_up_at {{datetime}} NULL
) {{opts}};
CREATE INDEX ix_meetings_starts ON meetings (starts_at);
CREATE INDEX ix_meetings_region ON meetings (region_path, starts_at);
CREATE TABLE meeting_people (
	id {{pk}},
	meeting_id BIGINT NOT NULL,
	kind VARCHAR(16) NOT NULL,
	subject_id BIGINT NOT NULL,
	invited BOOLEAN NOT NULL,
	reply VARCHAR(16) NOT NULL DEFAULT '',
	reason VARCHAR(200) NOT NULL DEFAULT '',
	replied_at {{datetime}} NULL,
	checked_in_at {{datetime}} NULL,
	checkin_via VARCHAR(16) NOT NULL DEFAULT '',
	checkin_by VARCHAR(64) NOT NULL DEFAULT '',
	checkin_reason VARCHAR(200) NOT NULL DEFAULT '',
	distance_m DOUBLE NULL,
	created_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_meeting_people ON meeting_people (meeting_id, kind, subject_id);
CREATE INDEX ix_meeting_people_subject ON meeting_people (kind, subject_id);
CREATE TABLE meeting_results (
	meeting_id BIGINT NOT NULL,
	business_id BIGINT NOT NULL,
	passed BOOLEAN NOT NULL,
	note VARCHAR(200) NOT NULL DEFAULT '',
	visit_id BIGINT NOT NULL,
	recorded_by VARCHAR(64) NOT NULL,
	recorded_at {{datetime}} NOT NULL,
	PRIMARY KEY (meeting_id, business_id)
) {{opts}};
CREATE TABLE quiz_attempts (
	id {{pk}},
	meeting_id BIGINT NOT NULL,
	quiz_id VARCHAR(64) NOT NULL,
	kind VARCHAR(16) NOT NULL,
	subject_id BIGINT NOT NULL,
	answers VARCHAR(32) NOT NULL,
	score INT NOT NULL,
	total INT NOT NULL,
	passed BOOLEAN NOT NULL,
	taken_at {{datetime}} NOT NULL
) {{opts}};
CREATE UNIQUE INDEX ux_quiz_attempts ON quiz_attempts (meeting_id, kind, subject_id);
`},
}}
