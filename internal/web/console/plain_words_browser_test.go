package console_test

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web/browsertest"
	"github.com/shianbao/shianbao/internal/web/h5"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// codeInText is what a page people read must never show: a stored actor
// or recipient ("cadre:12"), an action or kind code ("cadre.handover"),
// what a broken script prints, and a count of days that went negative
// ("逾期 -168 天").
var codeInText = regexp.MustCompile(`[a-z]+:[0-9]+|[a-z]+\.[a-z_]+|undefined|NaN|-[0-9]+ ?天`)

// TestPlainWordsBrowser signs in as the 胡埭 manager in headless Chromium,
// opens every console page and every H5 page type — each with a whole
// loop behind it (a finding with its feedback and extension, a letter,
// a code, a handover, a notice nobody could receive) — and fails where the
// visible text shows an internal code. Screenshots of every page are kept
// in the test's temporary directory (or SHIANBAO_TEST_SHOTS).
// Not parallel: the H5 pages sign in through the fake WeChat API.
func TestPlainWordsBrowser(t *testing.T) {
	b := browsertest.New(t)
	ctx := context.Background()
	// The app serves on a port known before it starts, so the links it
	// signs and the authorisation round trip come back to it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	a := webtest.BootWith(t, func(cfg *config.Config) {
		cfg.HTTP.Addr, cfg.HTTP.BaseURL = addr, base
	})
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	if a.FakeAPI == nil {
		t.Fatal("the embedded default runs without its fake WeChat API")
	}
	loop := newRectLoop(t, a)
	someUnreachable(t, a, a.HudaiTown.Path, 2)
	l, err := a.Letters.Issue(ctx, loop.business.ID, letter.IssueInput{Findings: []letter.FindingInput{{Description: "从业人员未戴口罩", Requirement: "立即整改"}}},
		registry.Actor("user:"+a.Hudai))
	if err != nil {
		t.Fatal(err)
	}
	var visitID, managerID, officeID int64
	g := a.DB.Gorm(ctx)
	g.Raw(`SELECT f.visit_id FROM rectifications r JOIN findings f ON f.id = r.finding_id WHERE r.id = ?`, loop.id).Scan(&visitID)
	g.Raw(`SELECT m.id FROM managers m JOIN offices o ON o.id = m.office_id WHERE o.region_id = ? ORDER BY m.id LIMIT 1`, a.HudaiTown.ID).Scan(&managerID)
	g.Raw(`SELECT id FROM offices WHERE region_id = ?`, a.HudaiTown.ID).Scan(&officeID)
	if visitID == 0 || managerID == 0 || officeID == 0 {
		t.Fatalf("fixture: visit %d manager %d office %d", visitID, managerID, officeID)
	}

	// Console: sign in, then every page.
	hudai := a.SignIn(t, a.Hudai)
	from, to, _ := twoCadres(t, a)
	hudai.Get(fmt.Sprintf("/console/cadres/%d", from.ID))
	hudai.Post(fmt.Sprintf("/console/cadres/%d/handover", from.ID), map[string][]string{"to_cadre_id": {fmt.Sprint(to.ID)}, "reason": {"调岗"}})
	hudai.Get(fmt.Sprintf("/console/cadres/%d", loop.cadre.ID))
	hudai.Post(fmt.Sprintf("/console/cadres/%d/codes", loop.cadre.ID), nil)
	var shown []string
	check := func(t *testing.T, name, url string, p browsertest.Page) {
		t.Helper()
		if len(p.PNG) > 0 {
			browsertest.Save(t, "plain-"+name+".png", p.PNG)
		}
		if strings.TrimSpace(p.Text) == "" {
			t.Errorf("%s (%s) shows nothing", name, url)
			return
		}
		for _, bad := range []string{"页面不存在", "出错了", "无权", "链接无效"} {
			if strings.Contains(p.Text, bad) {
				t.Errorf("%s (%s) shows an error page: %.300s", name, url, p.Text)
				return
			}
		}
		for _, line := range strings.Split(p.Text, "\n") {
			if m := codeInText.FindString(line); m != "" {
				t.Errorf("%s shows %q in %q", name, m, strings.TrimSpace(line))
			}
		}
		shown = append(shown, name)
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
	console := map[string]string{
		"dashboard": "/console/", "businesses": "/console/businesses", "business": fmt.Sprintf("/console/businesses/%d", loop.business.ID),
		"cadres": "/console/cadres", "cadre": fmt.Sprintf("/console/cadres/%d", loop.cadre.ID), "handed-over": fmt.Sprintf("/console/cadres/%d", from.ID),
		"visits": "/console/visits", "visit": fmt.Sprintf("/console/visits/%d", visitID),
		"rectifications": "/console/rectifications", "rectification": fmt.Sprintf("/console/rectifications/%d", loop.id),
		"overdue": "/console/overdue", "progress": "/console/progress", "relocations": "/console/relocations?status=all",
		"letters": "/console/letters", "letter-print": fmt.Sprintf("/console/letters/%d/print", l.ID),
		"notifications": "/console/notifications?status=", "codes": "/console/codes", "audit": "/console/audit",
		"import": "/console/import", "selfcheck": "/console/selfcheck", "tokens": "/console/tokens",
	}
	// look opens a page and reads what it shows, with a screenshot of the
	// first screen (a whole sheet of village cards would take minutes).
	look := func(url string) browsertest.Page {
		b.Do(90*time.Second, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
		return browsertest.Page{Text: browsertest.Eval(b, 30*time.Second, chromedp.Evaluate[string](`document.body.innerText`)),
			PNG: browsertest.Eval(b, 30*time.Second, chromedp.CaptureScreenshot())}
	}
	for name, path := range console {
		t.Run("console-"+name, func(t *testing.T) { check(t, "console-"+name, path, look(base+path)) })
	}

	// H5: one WeChat user bound as the cadre, the office's manager and the
	// business's contact opens every kind of page through the fake API's
	// authorisation.
	const openid = "o-plain-words"
	for _, who := range []struct {
		role account.Role
		id   int64
	}{{account.RoleCadre, loop.cadre.ID}, {account.RoleManager, managerID}, {account.RoleContact, loop.contact.ID}} {
		code, _, err := a.Accounts.IssueCode(ctx, who.role, who.id, "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Accounts.Bind(ctx, chat.ChannelOA, openid, code); err != nil {
			t.Fatal(err)
		}
	}
	a.FakeAPI.SetPersona(openid)
	b.Do(30*time.Second, chromedp.EmulateViewport(browsertest.PhoneWidth, browsertest.PhoneHeight, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	links := h5.Links{BaseURL: base, Secret: []byte(a.Config.Security.SecretKey)}
	valid := a.Clock.Now().Add(24 * time.Hour)
	cadre, manager, contact := registry.ActorOf("cadre", loop.cadre.ID), registry.ActorOf("manager", managerID), registry.ActorOf("contact", loop.contact.ID)
	public, err := a.Cards.PublicURL(ctx, loop.business.ID)
	if err != nil {
		t.Fatal(err)
	}
	letterURL := a.Letters.URL(l, contact)
	h5 := map[string]string{
		"visit":         links.VisitReceipt(visitID, cadre, valid),
		"tasks":         links.CadreTasks(loop.cadre.ID, cadre, valid),
		"overdue":       links.OfficeOverdue(officeID, manager, valid),
		"rectification": links.Rectification(loop.id, contact, valid),
		"letter":        letterURL,
		"letter-print":  strings.Replace(letterURL, "?", "/print?", 1),
		"card":          a.Cards.URL(loop.business.ID, contact),
		"public-card":   public,
		"village-cards": links.VillageCards(loop.business.RegionID, cadre, valid),
		"ledger":        a.SelfCheck.LedgerURL(loop.business.ID, contact),
	}
	for name, url := range h5 {
		t.Run("h5-"+name, func(t *testing.T) {
			if !strings.HasPrefix(url, base) {
				t.Fatalf("%s link %q is not on %s", name, url, base)
			}
			check(t, "h5-"+name, url, look(url))
		})
	}
	if want := len(console) + len(h5); len(shown) != want {
		t.Errorf("%d of %d pages checked", len(shown), want)
	}
}
