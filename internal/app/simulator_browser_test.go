package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shianbao/shianbao/internal/web/browsertest"
)

// TestSimulatorInBrowser opens /dev/simulator in headless Chromium, picks a
// cadre, sends a message and sees the service's answer in the phone.
func TestSimulatorInBrowser(t *testing.T) {
	b := browsertest.New(t)
	a := bootSQLite(t)
	b.Do(60*time.Second,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(a.URL()+"/dev/simulator"),
		chromedp.WaitVisible(chromedp.CSS(`#personas .persona`)),
		// The third persona is the first cadre (after the stranger and the
		// new user who has not followed the account yet).
		chromedp.Click(chromedp.CSS(`#personas .persona:nth-child(3)`)),
		chromedp.WaitVisible(chromedp.CSS(`#log .msg`)),
		chromedp.SendKeys(chromedp.CSS(`#text`), "我的任务\n"),
	)
	browsertest.Eval(b, 30*time.Second, chromedp.Poll[bool](`document.querySelector('#log').innerText.includes('本周期待督导')`))
	log := browsertest.Eval(b, 10*time.Second, chromedp.Text(chromedp.CSS(`#log`)))
	browsertest.Save(t, "simulator.png", browsertest.Eval(b, 10*time.Second, chromedp.FullScreenshot(100)))
	for _, want := range []string{"绑定成功", "我的任务", "本周期待督导"} {
		if !strings.Contains(log, want) {
			t.Errorf("the phone does not show %q:\n%s", want, log)
		}
	}
}
