package app_test

import (
	"context"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/sim"
)

// pledgePush reports whether a platform call delivered a reminder about an
// unsigned pledge (承诺书): the tests of the cycle's reminders count theirs
// alone, while the demo leaves some pledges unsigned on purpose.
func pledgePush(a *app.App, c sim.Call) bool {
	id, _, _ := strings.Cut(strings.TrimPrefix(c.ClientMsgID, "sab-"), "-")
	if id == "" {
		return false
	}
	var kinds []string
	a.DB.Gorm(context.Background()).Table("outbox").Where("id = ?", id).Pluck("kind", &kinds)
	return len(kinds) == 1 && kinds[0] == "pledge.unsigned"
}

// TestSimulatorOpensPledge: in the simulator a business contact says
// 承诺书, gets the card, opens its page through the (fake) WeChat
// authorisation as that person and signs by typing the full name.
func TestSimulatorOpensPledge(t *testing.T) {
	a := bootSQLite(t)
	send := a.URL() + "/dev/simulator/api/send"
	p, ok := personas(t, a)["主体联系人"]
	if !ok {
		t.Fatal("no business contact persona")
	}
	if status, out := simPost(t, send, map[string]any{"openid": p.OpenID, "bind": p.Bind, "kind": "subscribe"}); status != 200 {
		t.Fatalf("subscribe: %d %v", status, out)
	}
	_, out := simPost(t, send, map[string]any{"openid": p.OpenID, "kind": "text", "text": "承诺书"})
	arts, _ := out["articles"].([]any)
	if len(arts) != 1 {
		t.Fatalf("承诺书 answered %v", out)
	}
	card, _ := arts[0].(map[string]any)
	link, _ := card["url"].(string)
	if !strings.Contains(link, "/h5/pledges/business/") {
		t.Fatalf("card %v", card)
	}
	// Whether or not the demo signed this one, the test signs afresh.
	m := regexp.MustCompile(`/h5/pledges/business/(\d+)`).FindStringSubmatch(link)
	businessID, _ := strconv.ParseInt(m[1], 10, 64)
	if err := a.DB.Gorm(context.Background()).Exec("DELETE FROM pledges WHERE kind = 'business' AND subject_id = ?", businessID).Error; err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	a.FakeAPI.SetPersona(p.OpenID)
	page := getPage(t, browser, rebase(a, link))
	if !strings.Contains(page, "食品安全主体责任承诺书") || !strings.Contains(page, `id="pad"`) {
		t.Fatalf("pledge page:\n%s", page)
	}
	action := html.UnescapeString(regexp.MustCompile(`action="([^"]*/sign\?[^"]*)"`).FindStringSubmatch(page)[1])
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)[1]
	name := html.UnescapeString(regexp.MustCompile(`id="name" name="name" value="([^"]*)"`).FindStringSubmatch(page)[1])
	if name == "" {
		name = "测试签署人"
	}
	resp, err := browser.PostForm(a.URL()+action, url.Values{"csrf": {csrf}, "name": {name}, "typed": {name}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	page = getPage(t, browser, rebase(a, link))
	if !strings.Contains(page, "已签署") || !strings.Contains(page, "打印版（A4）") {
		t.Fatalf("after signing:\n%s", page)
	}
	// The pledge records the WeChat identity the page was signed in with.
	h, err := a.Pledges.History(context.Background(), pledge.KindBusiness, businessID)
	if err != nil || len(h) != 1 || h[0].OpenID != p.OpenID || h[0].IdentityID == 0 || h[0].Method != pledge.MethodTyped {
		t.Fatalf("stored pledge %+v, %v", h, err)
	}
}
