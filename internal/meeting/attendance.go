package meeting

import (
	"context"
	"fmt"
	"time"
)

// Counts are a meeting's attendance figures. Absent counts only once the
// meeting has ended: before that, someone not yet here is still expected.
type Counts struct {
	Invited   int `json:"invited"`
	Accepted  int `json:"accepted"`
	CheckedIn int `json:"checked_in"`
	Excused   int `json:"excused"`
	Absent    int `json:"absent"`
	// Walkins are those checked in without an invitation (in CheckedIn).
	Walkins int `json:"walkins"`
}

// Status is an attendee's state in words a list shows: 已签到, 请假,
// 缺席 (after the meeting), 已确认参加, 未回复.
func (p *Person) Status(m *Meeting, now time.Time) string {
	switch {
	case p.CheckedInAt != nil && !p.Invited:
		return "现场签到（未邀请）"
	case p.CheckedInAt != nil:
		return "已签到"
	case p.Reply == ReplyExcused:
		return "请假"
	case m.Past(now):
		return "缺席"
	case p.Reply == ReplyAccept:
		return "已确认参加"
	}
	return "未回复"
}

// Counts counts the attendance of meeting id (one query; a read by id of
// the meeting's own table: callers have checked the meeting's scope).
func (s *Service) Counts(ctx context.Context, m *Meeting) (Counts, error) {
	var c Counts
	err := s.d.DB.Gorm(ctx).Raw(`SELECT
		COALESCE(SUM(CASE WHEN invited THEN 1 ELSE 0 END), 0) AS invited,
		COALESCE(SUM(CASE WHEN invited AND reply = ? THEN 1 ELSE 0 END), 0) AS accepted,
		COALESCE(SUM(CASE WHEN checked_in_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS checked_in,
		COALESCE(SUM(CASE WHEN invited AND checked_in_at IS NULL AND reply = ? THEN 1 ELSE 0 END), 0) AS excused,
		COALESCE(SUM(CASE WHEN invited AND checked_in_at IS NULL AND reply <> ? THEN 1 ELSE 0 END), 0) AS absent,
		COALESCE(SUM(CASE WHEN NOT invited THEN 1 ELSE 0 END), 0) AS walkins
		FROM meeting_people WHERE meeting_id = ?`, ReplyAccept, ReplyExcused, ReplyExcused, m.ID).Scan(&c).Error
	if err != nil {
		return c, fmt.Errorf("meeting counts: %w", err)
	}
	if !m.Past(s.now()) {
		c.Absent = 0
	}
	return c, nil
}
