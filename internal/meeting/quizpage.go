package meeting

import (
	"context"
	"fmt"
	"strings"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// The quiz on an H5 page: a signed link for one reader (a cadre, or a
// business's contact) opens the meeting's quiz; the answers are marked
// and kept as the chat's are.

// subjectOf is what the reader of a link attends as: a cadre himself, a
// contact's business. Forbidden for anyone else.
func (s *Service) subjectOf(ctx context.Context, a registry.Actor) (subject, error) {
	kind, id, ok := a.Parse()
	switch {
	case ok && kind == "cadre":
		return subject{Kind: PersonCadre, SubjectID: id}, nil
	case ok && kind == "contact":
		c, err := s.d.Accounts.Contact(ctx, id)
		if err != nil {
			return subject{}, err
		}
		return subject{Kind: PersonBusiness, SubjectID: c.BusinessID}, nil
	}
	return subject{}, errs.E(errs.Forbidden, msgQuizNotYours)
}

// QuizPage is meeting id's quiz for the reader a, with their attempt so
// far (nil before one). Forbidden for a reader the meeting does not
// expect and who did not come; NotFound for a meeting without a quiz.
func (s *Service) QuizPage(ctx context.Context, id int64, a registry.Actor) (*Meeting, *Quiz, *Attempt, error) {
	m, q, sj, err := s.quizOf(ctx, id, a)
	if err != nil {
		return nil, nil, nil, err
	}
	var at Attempt
	err = db.Translate(s.d.DB.Gorm(ctx).Where("meeting_id = ? AND kind = ? AND subject_id = ?", m.ID, sj.Kind, sj.SubjectID).Take(&at).Error)
	switch {
	case errs.Is(err, errs.NotFound):
		return m, q, nil, nil
	case err != nil:
		return nil, nil, nil, err
	}
	return m, q, &at, nil
}

// AnswerQuizAs marks the reader's answers (one letter per question, in
// order) to meeting id's quiz and keeps the attempt. Invalid for answers
// that do not fit; as QuizPage otherwise.
func (s *Service) AnswerQuizAs(ctx context.Context, id int64, a registry.Actor, answers []string) (*Attempt, error) {
	m, q, sj, err := s.quizOf(ctx, id, a)
	if err != nil {
		return nil, err
	}
	if len(answers) != len(q.Questions) || strings.Contains(strings.Join(answers, ""), " ") {
		return nil, errs.E(errs.Invalid, msgQuizAnswerAll)
	}
	for i, ans := range answers {
		if len(ans) != 1 {
			return nil, errs.E(errs.Invalid, msgQuizAnswerOne, i+1)
		}
	}
	return s.recordAttempt(s.d.DB.Gorm(ctx), m, q, sj.Kind, sj.SubjectID, strings.Join(answers, ""), s.now())
}

func (s *Service) quizOf(ctx context.Context, id int64, a registry.Actor) (*Meeting, *Quiz, subject, error) {
	sj, err := s.subjectOf(ctx, a)
	if err != nil {
		return nil, nil, sj, err
	}
	var m Meeting
	if err := s.d.DB.Gorm(ctx).Take(&m, id).Error; err != nil {
		return nil, nil, sj, db.NotFoundAs(err, msgNoMeeting)
	}
	q, ok := s.d.Quizzes.Get(m.QuizID)
	if !ok {
		return nil, nil, sj, errs.E(errs.NotFound, msgNoQuiz)
	}
	p, err := s.person(ctx, m.ID, sj)
	if err != nil {
		return nil, nil, sj, fmt.Errorf("quiz of meeting %d: %w", id, err)
	}
	if p == nil {
		return nil, nil, sj, errs.E(errs.Forbidden, msgQuizNotYours)
	}
	return &m, q, sj, nil
}
