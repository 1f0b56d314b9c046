package app_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdpnetwork "github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web/browsertest"
	"github.com/shianbao/shianbao/internal/wechat"
)

// formLink finds the visit form's link in a chat reply.
var formLink = regexp.MustCompile(`https?://\S+/h5/visitform/\d+\?\S+`)

// formCadre binds a new WeChat user as the i-th cadre with tasks and
// returns the openid, the cadre and the business of the first task.
func formCadre(t *testing.T, a *app.App, ph *phone, i int, openid string) (registry.Cadre, supervision.Task) {
	t.Helper()
	ctx := context.Background()
	cadres := cadresWithTasks(t, a, i+1)
	if len(cadres) <= i {
		t.Fatalf("only %d cadres with tasks", len(cadres))
	}
	c := cadres[i]
	code, _, err := a.Accounts.IssueCode(ctx, account.RoleCadre, c.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if got := ph.text(openid, "绑定 "+code); !strings.Contains(got, "绑定成功") {
		t.Fatalf("bind: %q", got)
	}
	tasks, err := a.Supervision.Tasks(ctx, c.ID)
	if err != nil || len(tasks) == 0 {
		t.Fatalf("tasks: %v, %v", tasks, err)
	}
	return c, tasks[0]
}

// startFull starts a full check of the first task in the chat and returns
// the form's link from the first question.
func startFull(t *testing.T, ph *phone, openid string) (string, string) {
	t.Helper()
	ph.text(openid, "上报督导")
	ph.text(openid, "1")
	ph.text(openid, "现场")
	first := ph.text(openid, "全面")
	link := formLink.FindString(first)
	if link == "" || !strings.Contains(first, "第1/") {
		t.Fatalf("the full check's first question has no form link:\n%s", first)
	}
	return link, first
}

// visitsOf returns the visits a cadre stored for a business since a time.
func visitsOf(t *testing.T, a *app.App, cadreID, businessID int64, since time.Time) []supervision.VisitSummary {
	t.Helper()
	vs, err := a.Supervision.RecentVisits(context.Background(), cadreID, 50)
	if err != nil {
		t.Fatal(err)
	}
	var out []supervision.VisitSummary
	for _, v := range vs {
		if v.BusinessID == businessID && !v.SubmittedAt.Before(since) {
			out = append(out, v)
		}
	}
	return out
}

func testPhoto(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 90, 255})
		}
	}
	p := filepath.Join(t.TempDir(), "积水.png")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// js runs an expression in the page.
func js[T any](b *browsertest.Browser, expr string) T {
	return browsertest.Eval(b, 30*time.Second, chromedp.Evaluate[T](expr))
}

// waitFor polls a condition in the page.
func waitFor(b *browsertest.Browser, cond string) {
	browsertest.Eval(b, 30*time.Second, chromedp.Poll[bool](cond))
}

// openForm opens the form at a phone's size, signed in with WeChat as
// openid, and waits for the stand-in wx to be ready.
func openForm(t *testing.T, b *browsertest.Browser, a *app.App, openid, link string) {
	t.Helper()
	a.FakeAPI.SetPersona(openid)
	b.Do(60*time.Second,
		chromedp.EmulateViewport(browsertest.PhoneWidth, browsertest.PhoneHeight, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`#vf`)),
	)
	waitFor(b, `!document.querySelector('#locate').disabled`)
}

// fillIssue marks the first item 有问题, describes it and attaches a photo
// through the stand-in wx (a file picker, then the fake's upload).
func fillIssue(t *testing.T, b *browsertest.Browser, desc string) string {
	t.Helper()
	id := js[string](b, `document.querySelector('#vf fieldset.item').dataset.id`)
	js[bool](b, `document.querySelector('input[name="r-`+id+`"][value=issue]').click(), true`)
	b.Do(30*time.Second,
		chromedp.WaitVisible(chromedp.CSS(`#desc-`+id)),
		chromedp.SendKeys(chromedp.CSS(`#desc-`+id), desc),
		chromedp.Click(chromedp.CSS(`#item-`+id+` .add-photo`)),
		chromedp.WaitVisible(chromedp.CSS(`#fakewx-file`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#fakewx-file`), []string{testPhoto(t)}),
		chromedp.Click(chromedp.CSS(`#fakewx-ok`)),
	)
	waitFor(b, `document.querySelectorAll('#photos-`+id+` .thumb img').length === 1`)
	return id
}

func locateAndSubmit(b *browsertest.Browser) {
	b.Do(30*time.Second, chromedp.Click(chromedp.CSS(`#locate`)))
	waitFor(b, `document.querySelector('#loc-text').textContent.includes('已定位')`)
	b.Do(30*time.Second, chromedp.Click(chromedp.CSS(`#submit`)))
	waitFor(b, `!document.querySelector('#done').hidden`)
}

// TestVisitFormInBrowser fills the whole checklist on the H5 form at a
// phone's width — one issue with a photo from the (stand-in) JS-SDK, the
// location — and submits it: one visit is stored with the finding and
// its photo, and the chat knows the report is done.
func TestVisitFormInBrowser(t *testing.T) {
	b := browsertest.New(t)
	a := bootSQLite(t)
	ctx := context.Background()
	ph := newPhone(t, a, wechat.ModeCompatible)
	openid := "o-form-page"
	since := time.Now()
	cadre, task := formCadre(t, a, ph, 0, openid)
	// The plain-text task list (the passive reply) offers the form, and
	// 全面 1 answers with the link to this business's page.
	if got := ph.text(openid, "我的任务"); !strings.Contains(got, "回复“全面 序号”获取检查表链接") {
		t.Errorf("我的任务 does not offer the form:\n%s", got)
	}
	if got := formLink.FindString(ph.text(openid, "全面 1")); !strings.Contains(got, fmt.Sprintf("/h5/visitform/%d?", task.BusinessID)) {
		t.Errorf("全面 1 links to %q, want the form of %s", got, task.Name)
	}
	link, _ := startFull(t, ph, openid)
	// The cadre leaves the chat for the page right away.
	openForm(t, b, a, openid, link)

	text := js[string](b, `document.body.innerText`)
	for _, want := range []string{"督导检查表", task.Name, "督导方式", "现场督导", "经营状态", "搬迁", "提交督导"} {
		if !strings.Contains(text, want) {
			t.Errorf("the form does not show %q", want)
		}
	}
	wantPhoneWidth(t, b)
	b.Do(30*time.Second, chromedp.Click(chromedp.CSS(`#all-ok`)))
	id := fillIssue(t, b, "后厨地面积水")
	locateAndSubmit(b)
	browsertest.Save(t, "visitform-done.png", browsertest.Eval(b, 30*time.Second, chromedp.FullScreenshot(50)))
	receipt := js[string](b, `document.querySelector('#receipt').textContent`)
	if !strings.Contains(receipt, task.Name) || !strings.Contains(receipt, "问题") {
		t.Errorf("the page's receipt reads:\n%s", receipt)
	}

	vs := visitsOf(t, a, cadre.ID, task.BusinessID, since)
	if len(vs) != 1 || vs[0].Findings != 1 || vs[0].Mode != supervision.ModeOnsite {
		t.Fatalf("visits stored: %+v, want one onsite with one finding", vs)
	}
	d, err := a.Supervision.Visit(ctx, vs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Findings) != 1 || d.Findings[0].ItemID != id || d.Findings[0].Description != "后厨地面积水" {
		t.Errorf("findings: %+v", d.Findings)
	}
	if len(d.Photos) != 1 || !strings.HasPrefix(d.Photos[0].MediaID, "FAKE_JSMEDIA_") || d.Photos[0].FindingID == nil {
		t.Errorf("photos: %+v, want the uploaded one on the finding", d.Photos)
	} else if _, ct, ok := a.FakeAPI.Media(d.Photos[0].MediaID); !ok || ct != "image/png" {
		t.Errorf("the fake holds no PNG for %s", d.Photos[0].MediaID)
	}
	if d.Visit.Latitude == nil {
		t.Errorf("the visit has no location")
	}
	// The photo is fetched from the platform like a chat photo (by the
	// background fetcher, or here).
	for deadline := time.Now().Add(time.Minute); ; {
		if _, _, err := a.Supervision.FetchPhotos(ctx, a.WeChat, a.Media, 10); err != nil {
			t.Fatal(err)
		}
		if d, err = a.Supervision.Visit(ctx, vs[0].ID); err != nil {
			t.Fatal(err)
		}
		if len(d.Photos) == 1 && d.Photos[0].Status == supervision.PhotoStored {
			if d.Photos[0].ContentType != "image/png" || d.Photos[0].Size == 0 {
				t.Errorf("stored photo: %+v", d.Photos[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the form's photo was never fetched: %+v", d.Photos)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The chat knows: the confirmation is pushed to it, an answer meant
	// for its old question hears that the report is in, nothing is left to
	// resume, the business is no longer a task, and reporting it again is
	// asked about as an extra visit.
	wantPushed(t, a, openid, "网页上填写的督导已收到", task.Name)
	if got := ph.text(openid, "合格"); !strings.Contains(got, "已在网页上提交") || !strings.Contains(got, task.Name) || strings.Contains(got, "第2/") {
		t.Errorf("after the page, the chat answers %q", got)
	}
	if got := ph.text(openid, "上报督导"); strings.Contains(got, "继续") || strings.Contains(got, task.Name) {
		t.Errorf("上报督导 after the page answers %q", got)
	}
	ph.text(openid, "取消")
	if got := ph.text(openid, "上报 "+task.Name); !strings.Contains(got, "督导过，仍要再报一次吗") {
		t.Errorf("上报 %s after the page answers %q", task.Name, got)
	}
	ph.text(openid, "2")
	if got := ph.text(openid, "我的记录"); !strings.Contains(got, task.Name) {
		t.Errorf("我的记录 does not list the visit: %q", got)
	}
	if n := len(visitsOf(t, a, cadre.ID, task.BusinessID, since)); n != 1 {
		t.Errorf("%d visits, want 1", n)
	}
}

// wantPhoneWidth checks nothing on the page is wider than the phone.
func wantPhoneWidth(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	if w := js[int](b, `document.documentElement.scrollWidth`); w > browsertest.PhoneWidth {
		t.Errorf("the form is %d px wide on a %d px phone", w, browsertest.PhoneWidth)
	}
}

// TestVisitFormFromChat starts a full check in the chat, answers two
// items there and finishes on the page, which shows the chat's answers;
// then the other way round: filled on the page, finished in the chat,
// and the page's late 提交 stores nothing more.
func TestVisitFormFromChat(t *testing.T) {
	browsertest.New(t) // skips without a browser before the app boots
	a := bootSQLite(t)
	ph := newPhone(t, a, wechat.ModeCompatible)
	since := time.Now()

	t.Run("ChatThenPage", func(t *testing.T) {
		b := browsertest.New(t) // a phone of its own: its own WeChat sign-in
		openid := "o-form-chat-first"
		cadre, task := formCadre(t, a, ph, 1, openid)
		link, _ := startFull(t, ph, openid)
		ph.text(openid, "合格")
		if got := ph.text(openid, "不适用"); !strings.Contains(got, "第3/") {
			t.Fatalf("the chat's third question: %q", got)
		}
		openForm(t, b, a, openid, link)
		ids := js[[]string](b, `Array.from(document.querySelectorAll('#vf fieldset.item')).map(f => f.dataset.id)`)
		if got := js[[]string](b, `Array.from(document.querySelectorAll('#vf fieldset.item')).slice(0, 3).map(f => (f.querySelector('input:checked') || {value: ''}).value)`); strings.Join(got, ",") != "ok,na," {
			t.Fatalf("the page shows the chat's answers as %v, want ok, na and nothing", got)
		}
		browsertest.Save(t, "visitform-phone.png", browsertest.Eval(b, 30*time.Second, chromedp.FullScreenshot(50)))
		wantPhoneWidth(t, b)
		// The status changes: the shop has moved.
		js[bool](b, `document.querySelector('input[name=status][value=relocated]').click(), true`)
		b.Do(30*time.Second,
			chromedp.WaitVisible(chromedp.CSS(`#status-note`)),
			chromedp.SendKeys(chromedp.CSS(`#status-note`), "胡埭镇富安路18号"),
			chromedp.Click(chromedp.CSS(`#all-ok`)),
		)
		if v := js[string](b, `document.querySelector('input[name="r-`+ids[1]+`"]:checked').value`); v != "na" {
			t.Errorf("未选的全部记为合格 changed an answered item to %q", v)
		}
		locateAndSubmit(b)
		vs := visitsOf(t, a, cadre.ID, task.BusinessID, since)
		if len(vs) != 1 || vs[0].Findings != 0 {
			t.Fatalf("visits: %+v, want one without findings", vs)
		}
		d, err := a.Supervision.Visit(context.Background(), vs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		results := map[string]supervision.Result{}
		for _, it := range d.Items {
			results[it.ItemID] = it.Result
		}
		if results[ids[0]] != supervision.ResultOK || results[ids[1]] != supervision.ResultNA || results[ids[2]] != supervision.ResultOK || len(results) != len(ids) {
			t.Errorf("stored results %v for items %v", results, ids)
		}
		if d.Visit.StatusSeen != registry.EventRelocated {
			t.Errorf("status seen %q, want relocated", d.Visit.StatusSeen)
		}
		wantPushed(t, a, openid, "网页上填写的督导已收到", task.Name, "已登记经营状态变化")
		if got := ph.text(openid, "合格"); !strings.Contains(got, "已在网页上提交") || strings.Contains(got, "第4/") {
			t.Errorf("after the page, the chat answers %q", got)
		}
	})

	t.Run("PageThenChat", func(t *testing.T) {
		b := browsertest.New(t)
		openid := "o-form-page-first"
		cadre, task := formCadre(t, a, ph, 2, openid)
		link, _ := startFull(t, ph, openid)
		openForm(t, b, a, openid, link)
		// The connection drops: the change stays in the phone, and goes to
		// the server when the connection is back.
		b.Do(30*time.Second, network(false), chromedp.Click(chromedp.CSS(`#all-ok`)))
		waitFor(b, `document.querySelector('#banner').textContent.includes('网络不通')`)
		if !js[bool](b, `Object.keys(localStorage).some(k => JSON.parse(localStorage.getItem(k)).pending)`) {
			t.Fatal("the change made offline is not kept in the phone")
		}
		b.Do(30*time.Second, network(true))
		waitFor(b, `document.querySelector('#banner').textContent.includes('已自动保存')`)
		fillIssue(t, b, "消毒柜未通电")
		waitFor(b, `document.querySelector('#banner').textContent.includes('已自动保存')`)
		// Back in the chat: it asks whether to go on, then only what is left.
		if got := ph.text(openid, "在吗"); !strings.Contains(got, "继续上次「"+task.Name+"」的督导") {
			t.Fatalf("the chat after the page: %q", got)
		}
		got := ph.text(openid, "继续")
		if !strings.Contains(got, "整改期限") {
			t.Fatalf("the chat resumes at %q, want the deadline", got)
		}
		// The deadline, the location and the contact: the page's answers
		// (the status, the letter) are not asked again.
		for i, answer := range []string{"跳过", "跳过", "跳过"} {
			if got = ph.text(openid, answer); strings.Contains(got, "系统开小差") || got == "" {
				t.Fatalf("answer %d %q: %q", i+1, answer, got)
			}
		}
		if !strings.Contains(got, "请核对督导记录") || !strings.Contains(got, "消毒柜未通电") {
			t.Fatalf("after the deadline, the location and the contact the chat asks %q, want the summary", got)
		}
		if got = ph.text(openid, "确认"); !strings.Contains(got, "督导已提交") {
			t.Fatalf("confirm: %q", got)
		}
		// The page, still open, submits late: it learns the report is in.
		b.Do(30*time.Second, chromedp.Click(chromedp.CSS(`#submit`)))
		waitFor(b, `!document.querySelector('#done').hidden`)
		if got := js[string](b, `document.querySelector('#receipt').textContent`); !strings.Contains(got, "已经提交") {
			t.Errorf("the late page reads %q", got)
		}
		vs := visitsOf(t, a, cadre.ID, task.BusinessID, since)
		if len(vs) != 1 || vs[0].Findings != 1 {
			t.Fatalf("visits: %+v, want one with the page's finding", vs)
		}
	})
}

// network takes the page's connection down or brings it back, as a phone
// losing its signal: requests fail and the page hears offline / online.
func network(up bool) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		var v chromedp.Void
		if _, err := chromedp.Call(ctx, cdpnetwork.Enable, cdpnetwork.EnableParams{}); err != nil {
			return v, err
		}
		rule := cdpnetwork.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*cdpnetwork.Conditions{
			{Offline: !up, DownloadThroughput: -1, UploadThroughput: -1}}}
		if _, err := chromedp.Call(ctx, cdpnetwork.EmulateNetworkConditionsByRule, rule); err != nil {
			return v, err
		}
		_, err := chromedp.Call(ctx, cdpnetwork.OverrideNetworkState, cdpnetwork.OverrideNetworkStateParams{Offline: !up, DownloadThroughput: -1, UploadThroughput: -1})
		return v, err
	}
}

// wantPushed waits for the customer-service message to openid that holds
// every want (the app's dispatcher sends it in the background).
func wantPushed(t *testing.T, a *app.App, openid string, want ...string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, c := range a.FakeAPI.CallsTo("/cgi-bin/message/custom/send") {
			all := c.ToUser == openid && c.Delivered()
			for _, w := range want {
				all = all && strings.Contains(c.Content, w)
			}
			if all {
				return
			}
		}
	}
	t.Errorf("no customer-service message to %s with %q", openid, want)
}
