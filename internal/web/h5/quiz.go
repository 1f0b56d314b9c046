package h5

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/meeting"
	"github.com/shianbao/shianbao/internal/registry"
)

// Quiz serves a meeting's quiz on the phone (templates/h5/quiz.html): the
// questions as choices, the score once answered. Behind a signed link for
// one reader (and, with OAuth, the visitor's bound identity) who is
// expected at the meeting or came to it; the follow-up message to an
// absentee carries the link.
type Quiz struct {
	Meetings *meeting.Service
	*mounted
}

func (h *Quiz) mount(m *mounted) {
	h.mounted = m
	m.router.GET("/h5/quiz/:id", h.show)
	m.router.POST("/h5/quiz/:id", h.answer)
}

// MeetingQuiz is a meeting's quiz page for one reader, valid until expires.
func (l Links) MeetingQuiz(meetingID int64, reader registry.Actor, expires time.Time) string {
	return l.h5Signed(quizResource(meetingID), reader, expires)
}

var _ meeting.Links = Links{}

func quizResource(id int64) string { return "/h5/quiz/" + strconv.FormatInt(id, 10) }

type quizView struct {
	Meeting  *meeting.Meeting
	Quiz     *meeting.Quiz
	Attempt  *meeting.Attempt
	Wrong    []string
	Action   string
	CSRF     string
	Problem  string
	Answered bool
}

// open checks the link and the visitor; a nil page with a nil error means
// the visitor was sent to sign in.
func (h *Quiz) open(c echo.Context) (*quizView, registry.Actor, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, "", errs.E(errs.Forbidden, msgH5LinkInvalid)
	}
	resource := quizResource(id)
	v, err := h.access.identify(c, resource)
	if err != nil || v == nil {
		return nil, "", err
	}
	ctx := c.Request().Context()
	var view quizView
	who, err := authorizeAny(v, func(a registry.Actor) error {
		m, q, at, err := h.Meetings.QuizPage(ctx, id, a)
		if err == nil {
			view = quizView{Meeting: m, Quiz: q, Attempt: at}
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	view.Action = resource + "?" + signedQuery(c)
	view.CSRF = h.access.csrfToken(c, resource)
	return &view, who, nil
}

func (h *Quiz) show(c echo.Context) error {
	view, _, err := h.open(c)
	if err != nil || view == nil {
		return err
	}
	view.Answered = c.QueryParam("done") == "1"
	view.Wrong = wrongOnes(view.Quiz, view.Attempt)
	return h.render(c, http.StatusOK, "quiz-page", view)
}

// answer marks the posted choices (q1…qN) and shows the score.
func (h *Quiz) answer(c echo.Context) error {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	if err := h.access.checkCSRF(c, quizResource(id), c.FormValue("csrf")); err != nil {
		return err
	}
	view, who, err := h.open(c)
	if err != nil || view == nil {
		return err
	}
	answers := make([]string, len(view.Quiz.Questions))
	for i := range answers {
		answers[i] = c.FormValue(fmt.Sprintf("q%d", i+1))
	}
	if _, err := h.Meetings.AnswerQuizAs(c.Request().Context(), id, who, answers); err != nil {
		if errs.Is(err, errs.Invalid) {
			view.Problem = errs.MessageOf(err)
			return h.render(c, http.StatusBadRequest, "quiz-page", view)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, view.Action+"&done=1#score")
}

// wrongOnes names the questions an attempt got wrong, with the right answer.
func wrongOnes(q *meeting.Quiz, a *meeting.Attempt) []string {
	if a == nil || len(a.Answers) != len(q.Questions) {
		return nil
	}
	var out []string
	for i, qu := range q.Questions {
		if a.Answers[i] != qu.Answer[0] {
			right := qu.Options[qu.Answer[0]-'A']
			out = append(out, fmt.Sprintf("第%d题：%s（正确答案 %s. %s）", i+1, qu.Q, qu.Answer, right))
		}
	}
	return out
}
