package h5_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/meeting"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/h5"
)

// TestQuizPage: an absentee's contact opens the meeting's quiz from the
// follow-up link, answers it, and sees the score with the question got
// wrong; a business not expected at the meeting is refused; an
// unanswered question is asked for again.
func TestQuizPage(t *testing.T) {
	e := newH5(t, base, nil)
	ctx := context.Background()
	if _, err := e.d.Migrate(ctx, meeting.Schema); err != nil {
		t.Fatal(err)
	}
	svc, err := meeting.NewService(meeting.Deps{DB: e.d, Registry: e.reg, Accounts: e.accounts, Visits: e.sup, Outbox: e.out,
		Links: e.links, Clock: e.clk, Secret: []byte("quiz-test")})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	access := h5.NewAccess(h5.AccessOptions{Links: e.links, Accounts: e.accounts, Clock: e.clk, Log: slog.New(slog.DiscardHandler)})
	if err := h5.Mount(srv, access, &h5.Quiz{Meetings: svc}); err != nil {
		t.Fatal(err)
	}
	e.handler = srv.Handler()

	bs := demoBusinesses(t, e, 2)
	invited := e.bind(t, bs[0].ID, "o-quiz-invited")
	other := e.bind(t, bs[1].ID, "o-quiz-other")
	r, err := e.reg.Region(ctx, bs[0].RegionID)
	if err != nil {
		t.Fatal(err)
	}
	town := strings.Split(strings.Trim(r.Path, "/"), "/")
	var townID int64
	e.d.Gorm(ctx).Raw(`SELECT id FROM regions WHERE path = ?`, "/"+strings.Join(town[:3], "/")+"/").Scan(&townID)
	m, err := svc.Create(ctx, "", meeting.Input{Kind: meeting.KindBusinessTraining, Title: "餐饮主体培训", StartsAt: now.Add(-3 * time.Hour),
		EndsAt: now.Add(-time.Hour), Place: "社区服务中心", RegionID: townID, QuizID: "business_main_duty",
		Rule: meeting.Rule{BusinessIDs: []int64{bs[0].ID}}}, "user:test")
	if err != nil {
		t.Fatal(err)
	}
	link := e.links.MeetingQuiz(m.ID, registry.ActorOf("contact", invited.ID), now.Add(linkTTL))
	page := e.get(t, link, csrfCookie)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "食品安全第一责任人") {
		t.Fatalf("quiz page = %d: %.300s", page.Code, page.Body.String())
	}
	action, token := form(t, page.Body.String())
	res := e.post(t, action, map[string]string{"csrf": token, "q1": "B", "q2": "A"}, nil, csrfCookie)
	if res.Code != http.StatusBadRequest || !strings.Contains(res.Body.String(), "第3题请选择一个答案") {
		t.Fatalf("half answered = %d: %.300s", res.Code, res.Body.String())
	}
	res = e.post(t, action, map[string]string{"csrf": token, "q1": "B", "q2": "A", "q3": "A", "q4": "A"}, nil, csrfCookie)
	if res.Code != http.StatusSeeOther {
		t.Fatalf("answers = %d: %.300s", res.Code, res.Body.String())
	}
	page = e.get(t, res.Header().Get("Location"), csrfCookie)
	if text := page.Body.String(); !strings.Contains(text, "答对 3 / 4 题，已及格") || !strings.Contains(text, "第4题") {
		t.Fatalf("score page: %.600s", text)
	}
	if res := e.post(t, action, map[string]string{"csrf": "forged", "q1": "A", "q2": "A", "q3": "A", "q4": "A"}, nil, csrfCookie); res.Code != http.StatusForbidden {
		t.Fatalf("forged CSRF = %d", res.Code)
	}
	refused := e.get(t, e.links.MeetingQuiz(m.ID, registry.ActorOf("contact", other.ID), now.Add(linkTTL)), csrfCookie)
	if refused.Code != http.StatusForbidden {
		t.Fatalf("a business not expected = %d", refused.Code)
	}
}

func demoBusinesses(t *testing.T, e *h5env, n int) []registry.Business {
	t.Helper()
	var out []registry.Business
	for _, o := range e.offices(t) {
		if !strings.HasPrefix(o.Name, "胡埭") {
			continue
		}
		r, _ := e.reg.Region(context.Background(), o.RegionID)
		q := query.New(e.d)
		bs, _, err := q.Businesses(context.Background(), query.BusinessFilter{ScopePath: r.Path, Status: string(registry.StatusOperating), Limit: n})
		if err != nil || len(bs) < n {
			t.Fatalf("businesses: %v", err)
		}
		for _, b := range bs {
			full, err := e.reg.Business(context.Background(), b.ID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, *full)
		}
		return out
	}
	t.Fatal("no office of 胡埭镇")
	return nil
}
