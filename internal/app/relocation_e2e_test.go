package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/wechat"
)

// TestRelocationLoop: a cadre reports in chat, through the signed callback,
// that a business moved (搬迁) and gives its new address; the town office
// approves it in the console. The business then has the new address and
// the coordinates the cadre sent from the visit, its status history keeps
// the old address and coordinates, and its knowledge card is reissued
// with the new address.
func TestRelocationLoop(t *testing.T) {
	a := bootSQLite(t)
	ctx := context.Background()
	ph := newPhone(t, a, wechat.ModeSafe)
	ph.p.Now = a.Clock.Now

	// A cadre of 胡埭镇 (the "hudai" console user's town) with a task.
	regions, err := a.Registry.Regions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var town registry.Region
	for _, r := range regions {
		if r.Name == "胡埭镇" {
			town = r
		}
	}
	var cadre registry.Cadre
	var biz *registry.Business
	for _, c := range cadresWithTasks(t, a, 50) {
		tasks, err := a.Supervision.Tasks(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := a.Registry.Business(ctx, tasks[0].BusinessID)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := a.Registry.Region(ctx, b.RegionID); err == nil && strings.HasPrefix(r.Path, town.Path) {
			cadre, biz = c, b
			break
		}
	}
	if biz == nil {
		t.Fatal("no cadre of 胡埭镇 with a task")
	}
	oldAddress, oldLat := biz.Address, biz.Latitude
	code, _, err := a.Accounts.IssueCode(ctx, account.RoleCadre, cadre.ID, "relocation test")
	if err != nil {
		t.Fatal(err)
	}
	const openid, newAddress = "o-reloc-cadre", "胡埭镇新街88号"
	const lat, lng = 31.5901, 120.1822
	say := func(msg wechat.Message, want string) string {
		t.Helper()
		got := ph.say(openid, msg)
		if !strings.Contains(got, want) {
			t.Fatalf("reply lacks %q:\n%s", want, got)
		}
		return got
	}
	text := func(s, want string) string {
		t.Helper()
		return say(wechat.TextMessage(openid, "gh_test", s, msgIDs.Add(1), time.Now()), want)
	}
	text("绑定 "+code, "绑定成功")
	text("上报督导", "请选择")
	text("1", "督导方式")
	text("现场", "检查内容")
	text("1", "第1/")
	text("全部合格", "请发送当前位置")
	say(wechat.LocationMessage(openid, "gh_test", lat, lng, "新门店", msgIDs.Add(1), time.Now()), "经营状态")
	text("搬迁", "搬迁情况")
	text("已搬至"+newAddress, "对接人")
	text("跳过", "请核对")
	text("确认", "督导已提交")

	// The request waits for the office.
	reqs, err := a.Query.Relocations(ctx, town.Path, query.RelocationPending)
	if err != nil {
		t.Fatal(err)
	}
	var req *query.RelocationLine
	for i := range reqs {
		if reqs[i].BusinessID == biz.ID {
			req = &reqs[i]
		}
	}
	if req == nil {
		t.Fatalf("no pending relocation of %s among %+v", biz.Name, reqs)
	}
	cardBefore, err := a.Cards.Card(ctx, biz.ID)
	if err != nil {
		t.Fatal(err)
	}

	// The office approves it in the console, confirming the address.
	br := newBrowser(t, a).login("hudai", app.DemoPassword)
	br.do(http.MethodGet, "/console/relocations", nil)
	if br.status != http.StatusOK || !strings.Contains(br.body, biz.Name) || !strings.Contains(br.body, "已搬至"+newAddress) {
		t.Fatalf("relocations page = %d, lacks the request:\n%.2000s", br.status, br.body)
	}
	br.do(http.MethodPost, fmt.Sprintf("/console/relocations/%d/decide", req.ID), url.Values{
		"_csrf": {br.csrf()}, "decision": {"approve"}, "address": {newAddress}})
	if br.status != http.StatusSeeOther {
		t.Fatalf("approve = %d:\n%.2000s", br.status, br.body)
	}

	// The business is where the cadre found it.
	b, err := a.Registry.Business(ctx, biz.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Address != newAddress || b.Latitude == nil || b.Longitude == nil || *b.Latitude != lat || *b.Longitude != lng || b.LocatePending {
		t.Errorf("after approval: address %q, lat %v, lng %v, pending %v; want %q at %v,%v",
			b.Address, deref(b.Latitude), deref(b.Longitude), b.LocatePending, newAddress, lat, lng)
	}
	// Its history keeps where it was.
	hist, err := a.Registry.StatusHistory(ctx, biz.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := hist[len(hist)-1]
	if last.Kind != registry.EventRelocated || !strings.Contains(last.Note, "原地址「"+oldAddress+"」") ||
		!strings.Contains(last.Note, "新地址「"+newAddress+"」") {
		t.Errorf("last event %s %q", last.Kind, last.Note)
	}
	if oldLat != nil && !strings.Contains(last.Note, fmt.Sprintf("纬度%.6f", *oldLat)) {
		t.Errorf("old coordinates not kept: %q", last.Note)
	}
	// Its card is reissued, and the public card shows the new address.
	card, err := a.Cards.Card(ctx, biz.ID)
	if err != nil {
		t.Fatal(err)
	}
	if card.Version != cardBefore.Version+1 || card.Address != newAddress {
		t.Errorf("card version %d → %d, address %q", cardBefore.Version, card.Version, card.Address)
	}
	pub, err := a.Cards.PublicURL(ctx, biz.ID)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(pub)
	if err != nil {
		t.Fatal(err)
	}
	page := getPage(t, http.DefaultClient, a.URL()+u.RequestURI())
	if !strings.Contains(page, newAddress) {
		t.Errorf("public card lacks the new address:\n%.2000s", page)
	}
	// The visit frequency is said once (issue 16 item 10).
	if n := strings.Count(page, "至少督导"); n != 1 {
		t.Errorf("the card says 至少督导 %d times", n)
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}
