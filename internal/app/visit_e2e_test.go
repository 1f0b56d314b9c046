package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/wechat"
)

// bootProduction boots the app the way production runs it — MySQL and
// Redis — over the demo district, or the embedded default when the test
// environment provides no services.
func bootProduction(t *testing.T) *app.App {
	t.Helper()
	if os.Getenv(dbtest.EnvMySQLDSN) == "" || os.Getenv(dbtest.EnvRedisAddr) == "" {
		if dbtest.RequireServices() {
			t.Fatal("MySQL and Redis are required for this test")
		}
		return bootSQLite(t)
	}
	return run(t, apptest.Config(t))
}

// reportVisit drives a whole visit report through the callback: the first
// task, onsite, quick check with one failed item, a photo, no location,
// the prompt letter, and confirm (status and contact are not asked). It returns the last reply.
func reportVisit(t *testing.T, ph *phone, openid, mediaID string) string {
	t.Helper()
	steps := []func() string{
		func() string { return ph.text(openid, "上报督导") },
		func() string { return ph.text(openid, "1") },
		func() string { return ph.text(openid, "现场") },
		func() string { return ph.text(openid, "快速") },
		func() string { return ph.text(openid, "2") },
		func() string { return ph.text(openid, "全部合格") },
		func() string { return ph.text(openid, "地面有积水") },
		func() string { return ph.photo(openid, mediaID) },
		func() string { return ph.text(openid, "完成") },
		func() string { return ph.text(openid, "跳过") }, // no location
		func() string { return ph.text(openid, "1") },  // send the prompt letter
		func() string { return ph.text(openid, "确认") },
	}
	var last string
	for i, step := range steps {
		last = step()
		if last == "" || strings.Contains(last, "系统开小差") {
			t.Errorf("%s step %d answered %q", openid, i+1, last)
			return last
		}
	}
	return last
}

// cadresWithTasks returns up to n cadres that have something to report.
func cadresWithTasks(t *testing.T, a *app.App, n int) []registry.Cadre {
	t.Helper()
	ctx := context.Background()
	cadres, _, err := a.Registry.FindCadres(ctx, registry.CadreFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []registry.Cadre
	for _, c := range cadres {
		tasks, err := a.Supervision.Tasks(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) > 0 {
			out = append(out, c)
		}
		if len(out) == n {
			break
		}
	}
	return out
}

// TestConcurrentVisitReports: 200 cadres report at once through signed
// callbacks → exactly 200 visits, each item and finding stored once, the
// coverage figures move by 200, and the photos are fetched.
func TestConcurrentVisitReports(t *testing.T) {
	a := bootProduction(t)
	ctx := context.Background()
	cadres := cadresWithTasks(t, a, 200)
	if len(cadres) < 200 {
		t.Fatalf("only %d cadres with tasks in the demo district", len(cadres))
	}
	district, err := a.Registry.Regions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root := district[0].Path
	before, err := a.Query.Progress(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	// The demo district comes with letters of its own.
	var lettersBefore int64
	if err := a.DB.Gorm(ctx).Table("letters").Count(&lettersBefore).Error; err != nil {
		t.Fatal(err)
	}

	run := fmt.Sprintf("%d", time.Now().UnixNano())
	openids := make([]string, len(cadres))
	for i, c := range cadres {
		openids[i] = fmt.Sprintf("o-e2e-%s-%d", run, i)
		code, _, err := a.Accounts.IssueCode(ctx, account.RoleCadre, c.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		if a.FakeAPI != nil {
			a.FakeAPI.PutMedia("media-"+openids[i], []byte("JPEG "+openids[i]), "image/jpeg")
		}
		if got := newPhone(t, a, wechat.ModeCompatible).text(openids[i], "绑定 "+code); !strings.Contains(got, "绑定成功") {
			t.Fatalf("bind %d: %q", i, got)
		}
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	for i := range cadres {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			mode := wechat.ModeCompatible
			if i%2 == 1 {
				mode = wechat.ModeSafe
			}
			last := reportVisit(t, newPhone(t, a, mode), openids[i], "media-"+openids[i])
			if !strings.Contains(last, "督导已提交") {
				mu.Lock()
				failures++
				mu.Unlock()
				t.Errorf("cadre %d: final reply %q", i, last)
			}
		}(i)
	}
	wg.Wait()
	if failures > 0 {
		t.Fatalf("%d reports failed", failures)
	}

	g := a.DB.Gorm(ctx)
	var visits, items, findings, rects, photos int64
	g.Table("visits").Where("source = ?", "chat").Count(&visits)
	g.Table("visit_items").Where("visit_id IN (?)", g.Table("visits").Select("id").Where("source = ?", "chat")).Count(&items)
	g.Table("findings").Where("visit_id IN (?)", g.Table("visits").Select("id").Where("source = ?", "chat")).Count(&findings)
	g.Table("rectifications").Where("finding_id IN (?)", g.Table("findings").Select("id").Where("visit_id IN (?)", g.Table("visits").Select("id").Where("source = ?", "chat"))).Count(&rects)
	g.Table("photos").Where("visit_id IN (?)", g.Table("visits").Select("id").Where("source = ?", "chat")).Count(&photos)
	if visits != 200 || items != 800 || findings != 200 || rects != 200 || photos != 200 {
		t.Fatalf("stored visits %d items %d findings %d rectifications %d photos %d; want 200, 800, 200, 200, 200", visits, items, findings, rects, photos)
	}
	// 200 letters issued at once: per office and year, numbered 1…n with no gap or duplicate.
	var counts []struct {
		OfficeID       int64
		N, MinSeq, Max int64
	}
	g.Table("letters").Select("office_id, COUNT(*) AS n, MIN(seq) AS min_seq, MAX(seq) AS max").Group("office_id").Scan(&counts)
	var letters int64
	for _, c := range counts {
		letters += c.N
		if c.MinSeq != 1 || c.Max != c.N {
			t.Fatalf("office %d letters numbered %d…%d for %d letters", c.OfficeID, c.MinSeq, c.Max, c.N)
		}
	}
	if letters-lettersBefore != 200 {
		t.Fatalf("%d letters issued, want 200", letters-lettersBefore)
	}
	after, err := a.Query.Progress(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	if after.Total.Covered != before.Total.Covered+200 || after.Total.Due != before.Total.Due {
		t.Fatalf("coverage %d/%d → %d/%d, want +200 covered", before.Total.Covered, before.Total.Due, after.Total.Covered, after.Total.Due)
	}

	if a.FakeAPI != nil {
		deadline := time.Now().Add(60 * time.Second)
		var stored int64
		for time.Now().Before(deadline) {
			g.Table("photos").Where("status = ?", "stored").Where("visit_id IN (?)", g.Table("visits").Select("id").Where("source = ?", "chat")).Count(&stored)
			if stored == 200 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if stored != 200 {
			t.Fatalf("%d of 200 photos fetched into the media store", stored)
		}
	}
}

// TestCrashMidReportResumes closes the app in the middle of a report and
// starts a new one on the same database: the draft resumes and nothing the
// cadre said before the crash is lost.
func TestCrashMidReportResumes(t *testing.T) {
	cfg := apptest.SQLiteConfig(t)
	ctx := context.Background()

	first, err := app.New(ctx, cfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	cadre := cadresWithTasks(t, first, 1)[0]
	code, _, err := first.Accounts.IssueCode(ctx, account.RoleCadre, cadre.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	ph := newPhone(t, first, wechat.ModeSafe)
	ph.text("o-crash", "绑定 "+code)
	ph.text("o-crash", "上报督导")
	ph.text("o-crash", "1")
	ph.text("o-crash", "现场")
	ph.text("o-crash", "快速")
	ph.text("o-crash", "1")
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := run(t, cfg)
	ph = newPhone(t, second, wechat.ModeSafe)
	if got := ph.text("o-crash", "1"); !strings.Contains(got, "继续上次") {
		t.Fatalf("after the restart: %q, want the resume question", got)
	}
	if got := ph.text("o-crash", "1"); !strings.Contains(got, "第2/4项") {
		t.Fatalf("resume did not return to the second item: %q", got)
	}
	for _, s := range []string{"全部合格", "跳过"} {
		ph.text("o-crash", s)
	}
	receipt := ph.text("o-crash", "确认")
	if !strings.Contains(receipt, "督导已提交") {
		t.Fatalf("submit after resume: %q", receipt)
	}
	vs, err := second.Supervision.RecentVisits(ctx, cadre.ID, 1)
	if err != nil || len(vs) != 1 {
		t.Fatalf("visits after resume: %+v %v", vs, err)
	}
	detail, err := second.Supervision.Visit(ctx, vs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range detail.Items {
		if it.Result != supervision.ResultOK {
			t.Fatalf("item %s = %s; the answers before the crash were lost or changed", it.ItemID, it.Result)
		}
	}

	t.Run("ReceiptPage", func(t *testing.T) {
		i := strings.Index(receipt, "/h5/visits/")
		if i < 0 {
			t.Fatalf("no receipt link in %q", receipt)
		}
		link := second.URL() + strings.Fields(receipt[i:])[0]
		// The cadre opens it from WeChat (web authorisation as the cadre).
		jar, _ := cookiejar.New(nil)
		second.FakeAPI.SetPersona("o-crash")
		body := getPage(t, &http.Client{Jar: jar}, link)
		if !strings.Contains(body, detail.Business.Name) || !strings.Contains(body, "督导回执") {
			t.Fatalf("receipt page:\n%s", body)
		}
		// Someone whose WeChat is bound to nobody it is for cannot.
		jar, _ = cookiejar.New(nil)
		second.FakeAPI.SetPersona("o-crash-stranger")
		req, _ := http.NewRequest(http.MethodGet, link, nil)
		req.Header.Set("Accept", "text/html")
		resp, err := (&http.Client{Jar: jar}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("receipt page for a stranger = %d", resp.StatusCode)
		}
		forged := strings.Replace(link, "&s=", "&s=x", 1)
		if status, body := get(t, forged, "Accept", "text/html"); status != 403 || !strings.Contains(body, "链接无效") {
			t.Fatalf("forged receipt link = %d", status)
		}
		other := strings.Replace(link, fmt.Sprintf("/h5/visits/%d?", detail.ID), fmt.Sprintf("/h5/visits/%d?", detail.ID+1), 1)
		if status, _ := get(t, other, "Accept", "text/html"); status != 403 {
			t.Fatalf("another visit with this link's signature = %d, want 403", status)
		}
	})
}
