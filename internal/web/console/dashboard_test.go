package console_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// dbFigures are the dashboard's figures worked out again, the long way,
// from the rows in the database: what the page must show.
type dbFigures struct {
	Due, Covered       int
	Villages           map[string][2]int // name → due, covered
	Overdue            int
	RectOpen, RectLate int
	Letters            int
	Unreachable        int
}

func figures(t *testing.T, a *webtest.App, scopePath string) dbFigures {
	t.Helper()
	ctx := context.Background()
	g := a.DB.Gorm(ctx)
	now := a.Clock.Now()
	rules := a.Supervision.Rules()
	var bs []struct {
		ID      int64
		Grade   registry.Grade
		Village string
	}
	if err := g.Raw(`SELECT b.id, b.grade, r.name AS village FROM businesses b JOIN regions r ON r.id = b.region_id
WHERE b.status = 'operating' AND r.path LIKE ?`, scopePath+"%").Scan(&bs).Error; err != nil {
		t.Fatal(err)
	}
	var vs []struct {
		BusinessID  int64
		SubmittedAt time.Time
		Mode        supervision.Mode
	}
	if err := g.Raw(`SELECT business_id, submitted_at, mode FROM visits WHERE is_current = ?`, true).Scan(&vs).Error; err != nil {
		t.Fatal(err)
	}
	visits := map[int64][]int{}
	for i, v := range vs {
		visits[v.BusinessID] = append(visits[v.BusinessID], i)
	}
	f := dbFigures{Villages: map[string][2]int{}}
	for _, b := range bs {
		cy := rules.CycleFor(b.Grade, now)
		covered := slices.ContainsFunc(visits[b.ID], func(i int) bool {
			return cy.Contains(vs[i].SubmittedAt) && rules.Counts(b.Grade, vs[i].Mode)
		})
		v := f.Villages[b.Village]
		v[0]++
		f.Due++
		if covered {
			v[1]++
			f.Covered++
		}
		f.Villages[b.Village] = v
	}
	overdue, err := a.Query.Overdue(ctx, scopePath)
	if err != nil {
		t.Fatal(err)
	}
	f.Overdue = len(overdue)
	today := clock.Date(now).UTC()
	count := func(q string, args ...any) int {
		var n int64
		if err := g.Raw(q, args...).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	in := "JOIN businesses b ON b.id = x.business_id JOIN regions r ON r.id = b.region_id WHERE r.path LIKE ?"
	f.RectOpen = count("SELECT COUNT(*) FROM rectifications x "+in+" AND x.status = 'open'", scopePath+"%")
	f.RectLate = count("SELECT COUNT(*) FROM rectifications x "+in+" AND x.status = 'open' AND x.deadline < ?", scopePath+"%", today)
	f.Letters = count("SELECT COUNT(*) FROM letters x "+in+" AND x.acknowledged_at IS NULL", scopePath+"%")
	f.Unreachable = count(`SELECT COUNT(*) FROM outbox o WHERE o.status = 'unreachable' AND o.recipient_kind = 'cadre'
AND o.recipient_id IN (SELECT c.id FROM cadres c JOIN regions r ON r.id = c.region_id WHERE r.path LIKE ?)`, scopePath+"%")
	return f
}

// shown reads the figures off the dashboard's HTML.
func shown(t *testing.T, html string) dbFigures {
	t.Helper()
	num := func(figure string) int {
		m := regexp.MustCompile(`data-figure="` + figure + `"[^>]*>(?:[^<]|<[^b/][^>]*>)*<b[^>]*>(\d+)`).FindStringSubmatch(html)
		if figure == "rect-overdue" {
			m = regexp.MustCompile(`data-figure="rect-overdue">(\d+)<`).FindStringSubmatch(html)
		}
		if m == nil {
			t.Fatalf("figure %s not on the dashboard", figure)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	f := dbFigures{Villages: map[string][2]int{}}
	m := regexp.MustCompile(`data-figure="coverage"><a[^>]*>[^<]*<b>(\d+) / (\d+)</b>`).FindStringSubmatch(html)
	if m == nil {
		t.Fatal("coverage not on the dashboard")
	}
	f.Covered, _ = strconv.Atoi(m[1])
	f.Due, _ = strconv.Atoi(m[2])
	f.Overdue = num("overdue")
	f.RectOpen = num("rect-open")
	f.RectLate = num("rect-overdue")
	f.Letters = num("letters")
	f.Unreachable = num("unreachable")
	for _, r := range regexp.MustCompile(`<tr data-village="([^"]+)"><td>.*?</td><td class="num">(\d+)</td><td class="num">(\d+)</td>`).FindAllStringSubmatch(html, -1) {
		due, _ := strconv.Atoi(r[2])
		cov, _ := strconv.Atoi(r[3])
		f.Villages[r[1]] = [2]int{due, cov}
	}
	return f
}

// someUnreachable makes n notifications to cadres of a scope unreachable,
// as the dispatcher leaves them for people who never bound.
func someUnreachable(t *testing.T, a *webtest.App, scopePath string, n int) {
	t.Helper()
	ctx := context.Background()
	cs, _, err := a.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: scopePath, Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		if _, err := a.Notify.Enqueue(ctx, notify.Message{Kind: "reminder.due", To: notify.Recipient{Kind: notify.ToCadre, ID: c.ID},
			Channel: notify.ChannelTemplate, Subject: fmt.Sprintf("dash-%d", i), Title: "督导提醒"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.DB.Gorm(ctx).Exec("UPDATE outbox SET status = 'unreachable', last_error = '未绑定微信' WHERE kind = 'reminder.due'").Error; err != nil {
		t.Fatal(err)
	}
}

// TestConsoleDashboard: each manager's dashboard shows what the database
// holds for their town, and nothing of the other's.
func TestConsoleDashboard(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	someUnreachable(t, a, a.HudaiTown.Path, 3)
	someLetter(t, a, a.HudaiTown.Path)
	for _, u := range []struct {
		name string
		path string
	}{{a.Hudai, a.HudaiTown.Path}, {a.Lihu, a.LihuTown.Path}, {a.Viewer, a.District.Path}} {
		t.Run(u.name, func(t *testing.T) {
			c := a.SignIn(t, u.name)
			want := figures(t, a, u.path)
			got := shown(t, c.Body)
			t.Logf("%s sees %+v", u.name, got)
			if want.Due == 0 || want.Covered == 0 || want.Covered == want.Due {
				t.Fatalf("the demo should be part-way through the cycle: %d/%d", want.Covered, want.Due)
			}
			if len(want.Villages) <= 15 {
				if fmt.Sprint(got.Villages) != fmt.Sprint(want.Villages) {
					t.Errorf("villages shown %v, database %v", got.Villages, want.Villages)
				}
			}
			got.Villages, want.Villages = nil, nil
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
				t.Errorf("dashboard shows %+v, database holds %+v", got, want)
			}
			if !strings.Contains(c.Body, `<svg class="chart" role="img"`) || !strings.Contains(c.Body, "<title id=\"chart-village-t\">") {
				t.Error("charts are missing or without titles")
			}
			// A town's office is not shown its one town as a list of towns.
			if byTown := strings.Contains(c.Body, `id="h-town"`); byTown != (u.path == a.District.Path) {
				t.Errorf("按镇(街道) shown: %v", byTown)
			}
		})
	}
}

// someLetter issues a prompt letter to a business of the scope.
func someLetter(t *testing.T, a *webtest.App, scopePath string) {
	t.Helper()
	ctx := context.Background()
	bs, _, err := a.Query.Businesses(ctx, query.BusinessFilter{ScopePath: scopePath, Status: string(registry.StatusOperating), Limit: 1})
	if err != nil || len(bs) == 0 {
		t.Fatal(err)
	}
	if _, err := a.Letters.Issue(ctx, bs[0].ID, letter.IssueInput{Findings: []letter.FindingInput{{Description: "从业人员未戴口罩"}}},
		registry.Actor("user:"+a.Hudai)); err != nil {
		t.Fatal(err)
	}
}

// TestConsoleProgressTable: the table an office sends upward adds up to
// what the database holds: businesses, due, covered, findings of this
// cycle's visits and how many of those are rectified.
func TestConsoleProgressTable(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	ctx := context.Background()
	hudai := a.SignIn(t, a.Hudai)
	hudai.Get("/console/progress.xlsx")
	if hudai.Status != 200 || hudai.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("progress.xlsx = %d %s", hudai.Status, hudai.Header.Get("Content-Type"))
	}
	var total []string
	for _, line := range strings.Split(conXLSXText([]byte(hudai.Body)), "\n") {
		if cells := strings.Split(line, "\t"); len(cells) > 8 && cells[1] == "合计" {
			total = cells
		}
	}
	if total == nil {
		t.Fatal("no 合计 row in the progress table")
	}
	want := figures(t, a, a.HudaiTown.Path)
	g := a.DB.Gorm(ctx)
	var businesses int64
	g.Raw(`SELECT COUNT(*) FROM businesses b JOIN regions r ON r.id = b.region_id WHERE b.status <> 'deregistered' AND r.path LIKE ?`,
		a.HudaiTown.Path+"%").Scan(&businesses)
	var fs []struct {
		Grade       registry.Grade
		SubmittedAt time.Time
		Status      string
	}
	g.Raw(`SELECT b.grade, v.submitted_at, COALESCE(rc.status, '') AS status FROM findings f JOIN visits v ON v.id = f.visit_id
JOIN businesses b ON b.id = f.business_id JOIN regions r ON r.id = b.region_id LEFT JOIN rectifications rc ON rc.finding_id = f.id
WHERE v.is_current = ? AND b.status <> 'deregistered' AND r.path LIKE ?`, true, a.HudaiTown.Path+"%").Scan(&fs)
	findings, rectified := 0, 0
	for _, f := range fs {
		if a.Supervision.Rules().CycleFor(f.Grade, a.Clock.Now()).Contains(f.SubmittedAt) {
			findings++
			if f.Status == supervision.StatusRectified {
				rectified++
			}
		}
	}
	got := fmt.Sprint(total[3:6], total[7:9])
	exp := fmt.Sprint([]string{fmt.Sprint(businesses), fmt.Sprint(want.Due), fmt.Sprint(want.Covered)}, []string{fmt.Sprint(findings), fmt.Sprint(rectified)})
	if got != exp || findings == 0 {
		t.Errorf("合计 row %v (businesses, due, covered; findings, rectified), database %v", got, exp)
	}
}
