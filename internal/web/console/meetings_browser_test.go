package console_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/meeting"
	"github.com/shianbao/shianbao/internal/web/browsertest"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// TestMeetingPagesBrowser opens the meetings' console pages in headless
// Chromium as 胡埭镇's manager — the list, the demo training and 集中督导,
// the new-meeting form, the QR poster and the 签到表 — and fails where the
// visible text shows a code, "undefined" or an error page; the poster
// prints on one A4 page.
func TestMeetingPagesBrowser(t *testing.T) {
	b := browsertest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	a := webtest.BootWith(t, func(cfg *config.Config) { cfg.HTTP.Addr, cfg.HTTP.BaseURL = addr, base })
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	training := demoMeeting(t, a, meeting.KindCadreTraining)
	central := demoMeeting(t, a, meeting.KindCentralized)
	b.Do(60*time.Second,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(base+"/console/"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), a.Hudai),
		chromedp.SendKeys(chromedp.CSS(`#password`), webtest.Password),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-figure="coverage"]`)),
	)
	pages := []struct{ name, path, want string }{
		{"list", "/console/meetings", training.Title},
		{"training", fmt.Sprintf("/console/meetings/%d", training.ID), "测验及格率"},
		{"centralized", fmt.Sprintf("/console/meetings/%d", central.ID), "督导结果"},
		{"new", "/console/meetings/new", "邀请范围"},
		{"poster", fmt.Sprintf("/console/meetings/%d/poster", training.ID), "微信扫一扫"},
		{"sheet", fmt.Sprintf("/console/meetings/%d/sheet", training.ID), "签名"},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			b.Do(60*time.Second, chromedp.Navigate(base+p.path), chromedp.WaitReady(chromedp.CSS("body")))
			text := browsertest.Eval(b, 30*time.Second, chromedp.Evaluate[string](`document.body.innerText`))
			browsertest.Save(t, "meeting-"+p.name+".png", browsertest.Eval(b, 30*time.Second, chromedp.CaptureScreenshot()))
			if !strings.Contains(text, p.want) {
				t.Fatalf("%s lacks %q: %.400s", p.name, p.want, text)
			}
			for _, bad := range []string{"页面不存在", "出错了", "无权", "服务暂不可用"} {
				if strings.Contains(text, bad) {
					t.Fatalf("%s shows an error page: %.300s", p.name, text)
				}
			}
			for _, line := range strings.Split(text, "\n") {
				if m := codeInText.FindString(line); m != "" {
					t.Errorf("%s shows %q in %q", p.name, m, strings.TrimSpace(line))
				}
			}
		})
	}
	pdf := b.PDF(base + fmt.Sprintf("/console/meetings/%d/poster", training.ID))
	if n := browsertest.PDFPages(pdf); n != 1 {
		t.Errorf("the poster prints on %d pages, want 1", n)
	}
	if w, h, ok := browsertest.PDFPageSize(pdf); !ok || w < 590 || w > 600 || h < 836 || h > 848 {
		t.Errorf("poster page %vx%v, want A4", w, h)
	}
}
