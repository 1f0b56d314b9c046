package query

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/errs"
)

const (
	msgBadMeetingStatus = "会议状态应为 upcoming（未结束）或 past（已结束）。"
	msgNoMeeting        = "没有找到这个会议，或它不在您的管理范围内。"
)

// Meetings and training, as the console, the API and the exports list
// them. Kinds, replies and check-in ways are the meeting feature's words
// ("cadre_training", "accept", "qr"); pages name them.

// MeetingLine is a meeting with its attendance figures. Absent counts
// only once the meeting has ended.
type MeetingLine struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`
	Title      string    `json:"title"`
	StartsAt   time.Time `json:"starts_at"`
	EndsAt     time.Time `json:"ends_at"`
	Place      string    `json:"place"`
	Organiser  string    `json:"organiser"`
	RuleText   string    `json:"invitees"`
	RegionPath string    `json:"-"`
	Invited    int       `json:"invited"`
	Accepted   int       `json:"accepted"`
	CheckedIn  int       `json:"checked_in"`
	Excused    int       `json:"excused"`
	Absent     int       `json:"absent"`
	Walkins    int       `json:"walkins"`
}

// Meeting statuses a list filters by.
const (
	MeetingsUpcoming = "upcoming"
	MeetingsPast     = "past"
)

const meetingCounts = `
	COALESCE(SUM(CASE WHEN p.invited THEN 1 ELSE 0 END), 0) AS invited,
	COALESCE(SUM(CASE WHEN p.invited AND p.reply = 'accept' THEN 1 ELSE 0 END), 0) AS accepted,
	COALESCE(SUM(CASE WHEN p.checked_in_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS checked_in,
	COALESCE(SUM(CASE WHEN p.invited AND p.checked_in_at IS NULL AND p.reply = 'excused' THEN 1 ELSE 0 END), 0) AS excused,
	COALESCE(SUM(CASE WHEN p.invited AND p.checked_in_at IS NULL AND p.reply <> 'excused' THEN 1 ELSE 0 END), 0) AS absent,
	COALESCE(SUM(CASE WHEN p.invited THEN 0 ELSE 1 END), 0) AS walkins`

// Meetings lists the meetings of a region subtree: upcoming ones (not
// ended at now) soonest first, past ones latest first, or all latest
// first for status "". One query; at most 500. Invalid for another status.
func (r *Reader) Meetings(ctx context.Context, scopePath, status string, now time.Time) ([]MeetingLine, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, err
	}
	q := r.db.Gorm(ctx).Table("meetings m").Select(`m.id, m.kind, m.title, m.starts_at, m.ends_at, m.place,
		COALESCE(o.name, '') AS organiser, m.rule_text, m.region_path,` + meetingCounts).
		Joins("LEFT JOIN offices o ON o.id = m.office_id").
		Joins("LEFT JOIN meeting_people p ON p.meeting_id = m.id").
		Group("m.id, m.kind, m.title, m.starts_at, m.ends_at, m.place, o.name, m.rule_text, m.region_path")
	if scopePath != "" {
		q = q.Where(subtree("m.region_path"), subtreeArg(scopePath))
	}
	switch status {
	case MeetingsUpcoming:
		q = q.Where("m.ends_at > ?", now.UTC()).Order("m.starts_at, m.id")
	case MeetingsPast:
		q = q.Where("m.ends_at <= ?", now.UTC()).Order("m.starts_at DESC, m.id DESC")
	case "":
		q = q.Order("m.starts_at DESC, m.id DESC")
	default:
		return nil, errs.E(errs.Invalid, msgBadMeetingStatus)
	}
	var out []MeetingLine
	if err := q.Limit(500).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("meetings: %w", err)
	}
	for i := range out {
		if out[i].EndsAt.After(now) {
			out[i].Absent = 0
		}
	}
	return out, nil
}

// MeetingLineOf is one meeting of the subtree with its figures; NotFound
// outside it.
func (r *Reader) MeetingLineOf(ctx context.Context, scopePath string, id int64, now time.Time) (*MeetingLine, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, err
	}
	var out []MeetingLine
	err := r.db.Gorm(ctx).Table("meetings m").Select(`m.id, m.kind, m.title, m.starts_at, m.ends_at, m.place,
		COALESCE(o.name, '') AS organiser, m.rule_text, m.region_path,`+meetingCounts).
		Joins("LEFT JOIN offices o ON o.id = m.office_id").
		Joins("LEFT JOIN meeting_people p ON p.meeting_id = m.id").
		Where("m.id = ?", id).Where(subtree("m.region_path"), subtreeArg(scopePath)).
		Group("m.id, m.kind, m.title, m.starts_at, m.ends_at, m.place, o.name, m.rule_text, m.region_path").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("meeting: %w", err)
	}
	if len(out) == 0 {
		return nil, errs.E(errs.NotFound, msgNoMeeting)
	}
	if out[0].EndsAt.After(now) {
		out[0].Absent = 0
	}
	return &out[0], nil
}

// Attendee is one person expected at or come to a meeting, by name, with
// the quiz result when they took it. Kind is "cadre" or "business".
type Attendee struct {
	Kind          string     `json:"kind"`
	SubjectID     int64      `json:"subject_id"`
	Name          string     `json:"name"`
	Village       string     `json:"village"`
	Phone         string     `json:"-"`
	Invited       bool       `json:"invited"`
	Reply         string     `json:"reply"`
	Reason        string     `json:"reason"`
	CheckedInAt   *time.Time `json:"checked_in_at"`
	CheckinVia    string     `json:"checkin_via"`
	CheckinBy     string     `json:"-"`
	CheckinReason string     `json:"checkin_reason"`
	DistanceM     *float64   `json:"distance_m"`
	QuizScore     *int       `json:"quiz_score"`
	QuizTotal     *int       `json:"quiz_total"`
	QuizPassed    *bool      `json:"quiz_passed"`
	// Result is a 集中督导's recorded result ("passed", "issue" or "") and
	// VisitID the visit it became.
	Result  string `json:"result"`
	VisitID *int64 `json:"visit_id"`
}

// Attendees lists a meeting's people — cadres first, then businesses,
// each by village and name — in one query. The caller has checked the
// meeting's scope.
func (r *Reader) Attendees(ctx context.Context, meetingID int64) ([]Attendee, error) {
	var out []Attendee
	err := r.db.Gorm(ctx).Raw(`SELECT p.kind, p.subject_id,
		COALESCE(c.name, b.name, '') AS name, COALESCE(rg.name, '') AS village,
		COALESCE(c.work_phone, b.principal_phone, '') AS phone,
		p.invited, p.reply, p.reason, p.checked_in_at, p.checkin_via, p.checkin_by, p.checkin_reason, p.distance_m,
		qa.score AS quiz_score, qa.total AS quiz_total, qa.passed AS quiz_passed,
		CASE WHEN mr.business_id IS NULL THEN '' WHEN mr.passed THEN 'passed' ELSE 'issue' END AS result, mr.visit_id
		FROM meeting_people p
		LEFT JOIN cadres c ON p.kind = 'cadre' AND c.id = p.subject_id
		LEFT JOIN businesses b ON p.kind = 'business' AND b.id = p.subject_id
		LEFT JOIN regions rg ON rg.id = COALESCE(c.region_id, b.region_id)
		LEFT JOIN quiz_attempts qa ON qa.meeting_id = p.meeting_id AND qa.kind = p.kind AND qa.subject_id = p.subject_id
		LEFT JOIN meeting_results mr ON p.kind = 'business' AND mr.meeting_id = p.meeting_id AND mr.business_id = p.subject_id
		WHERE p.meeting_id = ?
		ORDER BY CASE WHEN p.kind = 'cadre' THEN 0 ELSE 1 END, rg.path, name, p.id`, meetingID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("meeting attendees: %w", err)
	}
	return out, nil
}

// QuizRate is a village's quiz figures for a meeting.
type QuizRate struct {
	Village  string `json:"village"`
	Expected int    `json:"expected"`
	Taken    int    `json:"taken"`
	Passed   int    `json:"passed"`
}

// QuizRates counts, by village, a meeting's people (invited or come),
// how many took its quiz and how many passed; one query, villages in
// region order.
func (r *Reader) QuizRates(ctx context.Context, meetingID int64) ([]QuizRate, error) {
	var out []QuizRate
	err := r.db.Gorm(ctx).Raw(`SELECT COALESCE(rg.name, '') AS village, COUNT(*) AS expected,
		COALESCE(SUM(CASE WHEN qa.id IS NULL THEN 0 ELSE 1 END), 0) AS taken,
		COALESCE(SUM(CASE WHEN qa.passed THEN 1 ELSE 0 END), 0) AS passed
		FROM meeting_people p
		LEFT JOIN cadres c ON p.kind = 'cadre' AND c.id = p.subject_id
		LEFT JOIN businesses b ON p.kind = 'business' AND b.id = p.subject_id
		LEFT JOIN regions rg ON rg.id = COALESCE(c.region_id, b.region_id)
		LEFT JOIN quiz_attempts qa ON qa.meeting_id = p.meeting_id AND qa.kind = p.kind AND qa.subject_id = p.subject_id
		WHERE p.meeting_id = ?
		GROUP BY rg.path, rg.name ORDER BY rg.path`, meetingID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("quiz rates: %w", err)
	}
	return out, nil
}
