package console_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web/browsertest"
	"github.com/shianbao/shianbao/internal/web/h5"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// TestIncidentPagesBrowser opens the incident list and an incident with a
// stored photo in headless Chromium as 胡埭's manager, accepts it through
// the form, and fails on any code, "undefined" or broken photo shown.
// Screenshots go to the test's temporary directory (or SHIANBAO_TEST_SHOTS).
func TestIncidentPagesBrowser(t *testing.T) {
	b := browsertest.New(t)
	ctx := t.Context()
	// The app serves on a port known before it starts, so the H5 link it
	// signs and the authorisation round trip come back to it.
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
	bs, _, err := a.Query.Businesses(ctx, query.BusinessFilter{ScopePath: a.HudaiTown.Path, Status: string(registry.StatusOperating), Limit: 1})
	if err != nil || len(bs) == 0 {
		t.Fatalf("businesses: %v", err)
	}
	inc, _, err := a.Incidents.Report(ctx, incident.Report{Key: "browser-" + webtest.RandHex(4), Kind: incident.Poisoning,
		BusinessID: bs[0].ID, Description: "午饭后3人腹痛", Affected: 3, Reporter: registry.ActorOf("cadre", bs[0].CadreID),
		Photos: []supervision.PhotoInput{{MediaID: "browser-photo"}}})
	if err != nil {
		t.Fatal(err)
	}
	if stored, _, err := a.Incidents.FetchPhotos(ctx, conMedia{}, a.Media, 10); err != nil || stored != 1 {
		t.Fatalf("photo fetch: %d, %v", stored, err)
	}
	b.Do(60*time.Second,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(base+"/console/"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), a.Hudai),
		chromedp.SendKeys(chromedp.CSS(`#password`), webtest.Password),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-figure="coverage"]`)),
	)
	look := func(name, path string) string {
		t.Helper()
		b.Do(60*time.Second, chromedp.Navigate(base+path), chromedp.WaitReady(chromedp.CSS("body")))
		text := browsertest.Eval(b, 30*time.Second, chromedp.Evaluate[string](`document.body.innerText`))
		browsertest.Save(t, "incident-"+name+".png", browsertest.Eval(b, 30*time.Second, chromedp.CaptureScreenshot()))
		for _, line := range strings.Split(text, "\n") {
			if m := codeInText.FindString(line); m != "" {
				t.Errorf("%s shows %q in %q", name, m, strings.TrimSpace(line))
			}
		}
		for _, bad := range []string{"页面不存在", "出错了"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s shows an error page: %.300s", name, text)
			}
		}
		return text
	}
	if text := look("list", "/console/incidents"); !strings.Contains(text, bs[0].Name) || !strings.Contains(text, "疑似食物中毒") {
		t.Fatalf("list:\n%s", text)
	}
	page := fmt.Sprintf("/console/incidents/%d", inc.ID)
	look("detail", page)
	loaded := browsertest.Eval(b, 30*time.Second, chromedp.Evaluate[bool](`[...document.querySelectorAll('img.photo')].length === 1 && [...document.querySelectorAll('img.photo')].every(i => i.complete && i.naturalWidth > 0)`))
	if !loaded {
		t.Fatal("the incident's photo does not load")
	}
	b.Do(60*time.Second,
		chromedp.SendKeys(chromedp.CSS(`textarea[name="note"]`), "已受理，派员前往"),
		chromedp.Click(chromedp.CSS(`button[value="next"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if flash := browsertest.Eval(b, 30*time.Second, chromedp.Evaluate[string](`document.querySelector('.flash').innerText`)); !strings.Contains(flash, "已受理，上报人已收到通知") {
		t.Fatalf("flash after accepting: %q", flash)
	}
	if text := look("accepted", page); !strings.Contains(text, "已受理，派员前往") || !strings.Contains(text, "开始处置") {
		t.Fatalf("after accepting:\n%s", text)
	}

	// The page the office's messages link to, on the manager's phone.
	var managerID int64
	a.DB.Gorm(ctx).Raw(`SELECT m.id FROM managers m JOIN offices o ON o.id = m.office_id WHERE o.region_id = ? ORDER BY m.id LIMIT 1`, a.HudaiTown.ID).Scan(&managerID)
	code, _, err := a.Accounts.IssueCode(ctx, account.RoleManager, managerID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Accounts.Bind(ctx, chat.ChannelOA, "o-incident-phone", code); err != nil {
		t.Fatal(err)
	}
	a.FakeAPI.SetPersona("o-incident-phone")
	link := h5.Links{BaseURL: base, Secret: []byte(a.Config.Security.SecretKey)}.Incident(inc.ID, registry.ActorOf("manager", managerID), a.Clock.Now().Add(time.Hour))
	b.Do(30*time.Second, chromedp.EmulateViewport(browsertest.PhoneWidth, browsertest.PhoneHeight, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	text := look("h5", strings.TrimPrefix(link, base))
	for _, want := range []string{bs[0].Name, "已受理", "午饭后3人腹痛", "打开工作台"} {
		if !strings.Contains(text, want) {
			t.Fatalf("H5 page lacks %q:\n%s", want, text)
		}
	}
}
