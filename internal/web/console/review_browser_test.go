package console_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shianbao/shianbao/internal/review"
	"github.com/shianbao/shianbao/internal/web/browsertest"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// flagCode is a flag's or outcome's stored name ("far_from_site",
// "confirmed"), which pages must say in words.
var flagCode = regexp.MustCompile(`\b(duplicate_photo|similar_photo|far_from_site|impossible_travel|burst|no_location|no_photo|photo_time|confirmed|doubtful|false|random|flagged|pending)\b`)

// TestReviewPagesBrowser opens the 异常与抽查 queue, a filtered queue and
// the evidence pages of a far report, of the demo's judged visit and of
// the photo it reused, in headless Chromium as the 胡埭 manager, and fails
// where the visible text shows a code, undefined or an error page — as
// TestPlainWordsBrowser does for the other pages.
func TestReviewPagesBrowser(t *testing.T) {
	b := browsertest.New(t)
	a := webtest.Boot(t)
	far, _, _, _ := flaggedVisits(t, a)
	ctx := context.Background()
	var doubted, reusedFrom int64
	g := a.DB.Gorm(ctx)
	g.Raw(`SELECT visit_id FROM visit_reviews WHERE outcome = ?`, string(review.False)).Scan(&doubted)
	g.Raw(`SELECT other_visit_id FROM visit_flags WHERE visit_id = ? AND kind = ?`, doubted, string(review.DuplicatePhoto)).Scan(&reusedFrom)
	if doubted == 0 || reusedFrom == 0 {
		t.Fatalf("the demo's judged visit %d and the visit whose photo it reused %d", doubted, reusedFrom)
	}
	b.Do(60*time.Second,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(a.URL+"/console/"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), a.Hudai),
		chromedp.SendKeys(chromedp.CSS(`#password`), webtest.Password),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-figure="coverage"]`)),
	)
	pages := []struct{ name, path, want string }{
		{"queue", "/console/review", "异常与抽查"},
		{"queue-burst", "/console/review?flag=burst", "短时集中上报"},
		{"queue-judged", "/console/review?outcome=false", "不属实"},
		{"far", fmt.Sprintf("/console/review/%d", far.ID), "距离过远"},
		{"judged", fmt.Sprintf("/console/review/%d", doubted), "重复照片"},
		{"reused", fmt.Sprintf("/console/review/%d", reusedFrom), "重复照片"},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			b.Do(90*time.Second, chromedp.Navigate(a.URL+p.path), chromedp.WaitReady(chromedp.CSS("body")))
			text := browsertest.Eval(b, 30*time.Second, chromedp.Evaluate[string](`document.body.innerText`))
			// The whole page: the evidence sits below the first screen.
			browsertest.Save(t, "review-"+p.name+".png", browsertest.Eval(b, 30*time.Second, chromedp.FullScreenshot(100)))
			if !strings.Contains(text, p.want) {
				t.Errorf("%s does not say %q: %.400s", p.path, p.want, text)
			}
			for _, bad := range []string{"页面不存在", "出错了", "无权"} {
				if strings.Contains(text, bad) {
					t.Fatalf("%s shows an error page: %.300s", p.path, text)
				}
			}
			for _, line := range strings.Split(text, "\n") {
				if m := codeInText.FindString(line); m != "" {
					t.Errorf("%s shows %q in %q", p.path, m, strings.TrimSpace(line))
				}
				if m := flagCode.FindString(line); m != "" {
					t.Errorf("%s shows the code %q in %q", p.path, m, strings.TrimSpace(line))
				}
			}
		})
	}
}
