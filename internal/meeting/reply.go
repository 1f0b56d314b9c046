package meeting

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// Reply is an invitee's answer as recorded.
type Reply struct {
	Meeting *Meeting
	Kind    PersonKind
	Accept  bool
	Reason  string
}

// attending finds the row of one of subjects for the meeting that where
// selects (soonest first), with the meeting.
func (s *Service) attending(q *gorm.DB, subjects []subject, where string, order string, args ...any) (*Meeting, *Person, error) {
	conds := make([]string, len(subjects))
	var sargs []any
	for i, sj := range subjects {
		conds[i] = "(p.kind = ? AND p.subject_id = ?)"
		sargs = append(sargs, sj.Kind, sj.SubjectID)
	}
	var ids []int64
	err := q.Table("meeting_people p").Joins("JOIN meetings m ON m.id = p.meeting_id").
		Where("("+strings.Join(conds, " OR ")+")", sargs...).Where(where, args...).
		Order(order).Limit(1).Pluck("p.id", &ids).Error
	if err != nil {
		return nil, nil, fmt.Errorf("meeting of attendee: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil, nil
	}
	var p Person
	if err := q.Take(&p, ids[0]).Error; err != nil {
		return nil, nil, db.Translate(err)
	}
	var m Meeting
	if err := q.Take(&m, p.MeetingID).Error; err != nil {
		return nil, nil, db.Translate(err)
	}
	return &m, &p, nil
}

// Answer records an invitee's reply to the next meeting they are invited
// to that has not ended: 参加 (accept) or 请假 with a reason. A later reply
// replaces an earlier one. Invalid for 请假 without a reason or after
// checking in; NotFound when the user has no such invitation;
// Unauthorized for a user not bound.
func (s *Service) Answer(ctx context.Context, ch chat.Channel, user string, accept bool, reason string) (*Reply, error) {
	reason = strings.TrimSpace(reason)
	if !accept && reason == "" {
		return nil, errs.E(errs.Invalid, msgNeedReason)
	}
	if len([]rune(reason)) > 100 {
		return nil, errs.E(errs.Invalid, msgReasonLong)
	}
	subjects, err := s.who(ctx, ch, user)
	if err != nil {
		return nil, err
	}
	now := s.now()
	q := s.d.DB.Gorm(ctx)
	m, p, err := s.attending(q, subjects, "p.invited = ? AND m.ends_at > ?", "m.starts_at, m.id", true, now)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errs.E(errs.NotFound, msgNoInvitation)
	}
	if p.CheckedInAt != nil && !accept {
		return nil, errs.E(errs.Invalid, msgCheckedInAlready, m.Title)
	}
	reply := ReplyAccept
	if !accept {
		reply = ReplyExcused
	}
	err = q.Model(&Person{}).Where("id = ?", p.ID).Updates(map[string]any{"reply": reply, "reason": reason, "replied_at": now}).Error
	if err != nil {
		return nil, fmt.Errorf("meeting reply: %w", err)
	}
	return &Reply{Meeting: m, Kind: p.Kind, Accept: accept, Reason: reason}, nil
}

// QuizFor is the quiz of the latest meeting that began for which the user
// is expected or came and that carries one, with the meeting. NotFound
// when there is none.
func (s *Service) QuizFor(ctx context.Context, ch chat.Channel, user string) (*Meeting, *Quiz, error) {
	subjects, err := s.who(ctx, ch, user)
	if err != nil {
		return nil, nil, err
	}
	m, _, err := s.attending(s.d.DB.Gorm(ctx), subjects, "m.quiz_id <> '' AND m.starts_at <= ?", "m.starts_at DESC, m.id DESC", s.now())
	if err != nil {
		return nil, nil, err
	}
	if m == nil {
		return nil, nil, errs.E(errs.NotFound, msgNoQuiz)
	}
	q, ok := s.d.Quizzes.Get(m.QuizID)
	if !ok {
		return nil, nil, errs.E(errs.NotFound, msgNoQuiz)
	}
	return m, q, nil
}

// Attempt is a marked quiz.
type Attempt struct {
	ID        int64
	MeetingID int64
	QuizID    string
	Kind      PersonKind
	SubjectID int64
	Answers   string
	Score     int
	Total     int
	Passed    bool
	TakenAt   time.Time
}

// TableName is the attempts' table.
func (Attempt) TableName() string { return "quiz_attempts" }

// TakeQuiz marks answers to the quiz QuizFor finds and records the score
// for the person (a retake replaces the earlier attempt). Invalid for
// answers that do not fit the quiz; as QuizFor otherwise.
func (s *Service) TakeQuiz(ctx context.Context, ch chat.Channel, user, answers string) (*Attempt, *Quiz, error) {
	subjects, err := s.who(ctx, ch, user)
	if err != nil {
		return nil, nil, err
	}
	m, p, err := s.attending(s.d.DB.Gorm(ctx), subjects, "m.quiz_id <> '' AND m.starts_at <= ?", "m.starts_at DESC, m.id DESC", s.now())
	if err != nil {
		return nil, nil, err
	}
	if m == nil {
		return nil, nil, errs.E(errs.NotFound, msgNoQuiz)
	}
	q, ok := s.d.Quizzes.Get(m.QuizID)
	if !ok {
		return nil, nil, errs.E(errs.NotFound, msgNoQuiz)
	}
	a, err := s.recordAttempt(s.d.DB.Gorm(ctx), m, q, p.Kind, p.SubjectID, answers, s.now())
	return a, q, err
}

func (s *Service) recordAttempt(tx *gorm.DB, m *Meeting, q *Quiz, kind PersonKind, subjectID int64, answers string, at time.Time) (*Attempt, error) {
	norm, right, passed, err := q.Score(answers)
	if err != nil {
		return nil, err
	}
	a := &Attempt{MeetingID: m.ID, QuizID: q.ID, Kind: kind, SubjectID: subjectID, Answers: norm, Score: right,
		Total: len(q.Questions), Passed: passed, TakenAt: at}
	err = tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "meeting_id"}, {Name: "kind"}, {Name: "subject_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"quiz_id", "answers", "score", "total", "passed", "taken_at"}),
	}).Create(a).Error
	if err != nil {
		return nil, fmt.Errorf("quiz attempt: %w", err)
	}
	return a, nil
}

func errInvalid(format string, a ...any) error { return errs.E(errs.Invalid, format, a...) }
