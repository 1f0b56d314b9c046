package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shianbao/shianbao/internal/web/browsertest"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// TestConsoleBrowser drives the console in headless Chromium as a new
// user would: sign in, read this quarter's figures (equal to the
// database's), try an import with bad rows (every one shown, nothing
// written), hand one cadre's businesses over to another — with
// screenshots at a laptop's and a phone's width.
func TestConsoleBrowser(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	a := webtest.Boot(t)
	someUnreachable(t, a, a.HudaiTown.Path, 2)
	ctx := context.Background()
	const wait = 60 * time.Second

	q := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	b.Do(wait,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(a.URL+"/console/"),
		chromedp.WaitVisible(q(`#username`)),
		chromedp.SendKeys(q(`#username`), a.Hudai),
		chromedp.SendKeys(q(`#password`), webtest.Password),
		chromedp.Submit(q(`#password`)),
		chromedp.WaitVisible(q(`[data-figure="coverage"]`)),
	)
	html := browsertest.Eval(b, wait, chromedp.OuterHTML(q(`html`)))

	t.Run("DashboardMatchesDatabase", func(t *testing.T) {
		want, got := figures(t, a, a.HudaiTown.Path), shown(t, html)
		if fmt.Sprint(got.Villages) != fmt.Sprint(want.Villages) {
			t.Errorf("villages shown %v, database %v", got.Villages, want.Villages)
		}
		got.Villages, want.Villages = nil, nil
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("dashboard shows %+v, database holds %+v", got, want)
		}
	})

	t.Run("Screenshots", func(t *testing.T) {
		for _, size := range []struct {
			name   string
			w, h   int64
			mobile bool
		}{{"laptop", 1280, 800, false}, {"phone", 390, 844, true}} {
			for _, page := range []string{"dashboard", "progress", "businesses", "selfcheck"} {
				path := map[string]string{"dashboard": "/console/", "progress": "/console/progress", "businesses": "/console/businesses",
					"selfcheck": "/console/selfcheck"}[page]
				opts := []chromedp.EmulateViewportOption{}
				if size.mobile {
					opts = append(opts, chromedp.EmulateScale(2), chromedp.EmulateMobile)
				}
				b.Do(wait,
					chromedp.EmulateViewport(size.w, size.h, opts...),
					chromedp.Navigate(a.URL+path),
					chromedp.WaitVisible(q(`main`)),
				)
				browsertest.Eval(b, wait, chromedp.Evaluate[bool](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise))
				scroll := browsertest.Eval(b, wait, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
				inner := browsertest.Eval(b, wait, chromedp.Evaluate[int](`window.innerWidth`))
				shot := browsertest.Eval(b, wait, chromedp.FullScreenshot(100))
				if !browsertest.IsPNG(shot) {
					t.Errorf("%s %s: no screenshot", page, size.name)
				}
				browsertest.Save(t, fmt.Sprintf("console-%s-%dx%d.png", page, size.w, size.h), shot)
				if size.mobile && page == "dashboard" {
					// What a phone shows first, at its own resolution.
					browsertest.Save(t, "console-dashboard-390x844-screen.png", browsertest.Eval(b, wait, chromedp.CaptureScreenshot()))
				}
				if (page == "dashboard" || page == "selfcheck") && scroll > inner+1 {
					t.Errorf("%s at %s is %dpx wide in a %dpx window: something is cut off", page, size.name, scroll, inner)
				}
			}
		}
	})

	t.Run("BadImport", func(t *testing.T) {
		before := conSnapshot(t, a)
		file := filepath.Join(t.TempDir(), "干部名单.csv")
		os.WriteFile(file, []byte("姓名,层级,镇(街道),村(社区),工作电话\n周新,村级,胡埭镇,马鞍村,13900006666\n吴错,县级以上,胡埭镇,马鞍村,13900007777\n"+
			"郑外,村级,蠡湖街道,,13900008888\n"), 0o644)
		b.Do(wait,
			chromedp.EmulateViewport(1280, 800),
			chromedp.Navigate(a.URL+"/console/import"),
			chromedp.WaitVisible(q(`#file`)),
			chromedp.SetValue(q(`#kind`), "cadres"),
			chromedp.SetUploadFiles(q(`#file`), []string{file}),
			chromedp.Submit(q(`#file`)),
			chromedp.WaitVisible(q(`[data-import="rejected"]`)),
		)
		rows := browsertest.Eval(b, wait, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('tr[data-row]')).map(r => r.innerText)`))
		text := browsertest.Eval(b, wait, chromedp.Text(q(`main`)))
		if len(rows) != 2 || !strings.Contains(rows[0], "层级") || !strings.Contains(rows[1], "不在您的管辖范围内") {
			t.Errorf("error rows shown: %q", rows)
		}
		if !strings.Contains(text, "没有写入任何数据") {
			t.Errorf("page does not say nothing was written: %.300s", text)
		}
		if after := conSnapshot(t, a); after != before {
			t.Errorf("a rejected import changed data:\nbefore %s\nafter  %s", before, after)
		}
		browsertest.Save(t, "console-import-errors-1280x800.png", browsertest.Eval(b, wait, chromedp.FullScreenshot(100)))
	})

	t.Run("Handover", func(t *testing.T) {
		from, to, _ := twoCadres(t, a)
		moving, _ := a.Registry.AssignedBusinesses(ctx, from.ID)
		b.Do(wait,
			chromedp.Navigate(fmt.Sprintf("%s/console/cadres/%d", a.URL, from.ID)),
			chromedp.WaitVisible(q(`#to_cadre_id`)),
			chromedp.SetValue(q(`#to_cadre_id`), fmt.Sprint(to.ID)),
			chromedp.SendKeys(q(`#reason`), "离岗交接"),
			chromedp.Submit(q(`#reason`)),
			chromedp.WaitVisible(q(`.flash`)),
		)
		flash := browsertest.Eval(b, wait, chromedp.Text(q(`.flash`)))
		if !strings.Contains(flash, fmt.Sprintf("%d 家主体已移交", len(moving))) {
			t.Errorf("confirmation: %q", flash)
		}
		if left, _ := a.Registry.AssignedBusinesses(ctx, from.ID); len(left) != 0 {
			t.Errorf("%s still packs %d businesses", from.Name, len(left))
		}
		for _, biz := range moving {
			if cur, err := a.Registry.CurrentAssignment(ctx, biz.ID); err != nil || cur.CadreID != to.ID {
				t.Errorf("%s is packed by %+v (%v), want %s", biz.Name, cur, err, to.Name)
			}
		}
		b.Do(wait, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		browsertest.Save(t, "console-handover-390x844.png", browsertest.Eval(b, wait, chromedp.FullScreenshot(100)))
	})
}
