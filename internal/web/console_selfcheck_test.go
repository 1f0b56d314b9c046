package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/supervision"
)

// TestConsoleSelfCheckRates: three of 胡埭镇's businesses record their
// daily control (one of them on two days); 胡埭镇's manager sees exactly
// that against the town's operating businesses, by village, and so does
// the export, while 蠡湖街道's manager sees none of it.
func TestConsoleSelfCheckRates(t *testing.T) {
	a := bootConsole(t)
	ctx := context.Background()
	bs, _, err := a.Supervision.FindBusinesses(ctx, supervision.BusinessQuery{ScopePath: a.hudaiTown.Path, Status: registry.StatusOperating, Limit: 3})
	if err != nil || len(bs) < 3 {
		t.Fatalf("胡埭镇 businesses: %d %v", len(bs), err)
	}
	today := a.Clock.Now().In(clock.China)
	for i, b := range bs {
		c, err := a.Accounts.EnsureContact(ctx, b.ID, account.ContactOfficer)
		if err != nil {
			t.Fatal(err)
		}
		days := 1
		if i == 0 {
			days = 2
		}
		for d := 0; d < days; d++ {
			if _, err := a.SelfCheck.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: fmt.Sprintf("con-sc-%d-%d", b.ID, d),
				ContactID: c.ID, Day: today.AddDate(0, 0, -d)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var operating int64
	if err := a.DB.Gorm(ctx).Raw(`SELECT COUNT(*) FROM businesses b JOIN regions r ON r.id = b.region_id
WHERE b.status = ? AND r.path LIKE ?`, registry.StatusOperating, a.hudaiTown.Path+"%").Scan(&operating).Error; err != nil {
		t.Fatal(err)
	}

	hudai := a.signIn(t, a.hudai)
	hudai.get("/console/selfcheck")
	text := hudai.text()
	want := fmt.Sprintf("正常经营主体 %d 家，其中 3 家有日管控记录", operating)
	if hudai.status != 200 || !strings.Contains(text, want) || !strings.Contains(text, "已记录 4 主体·天") {
		t.Fatalf("status %d; want %q and 4 business-days in: %.800s", hudai.status, want, text)
	}
	if !strings.Contains(hudai.body, `<svg class="chart"`) {
		t.Error("no chart by village")
	}
	for _, b := range bs {
		if !strings.Contains(text, b.Village) {
			t.Errorf("village %s of a recording business is not listed", b.Village)
		}
	}
	hudai.get("/console/selfcheck.xlsx")
	if sheet := conXLSXText([]byte(hudai.body)); !strings.Contains(sheet, fmt.Sprintf("合计\t%s至%s\t%d\t3\t4\t",
		today.AddDate(0, 0, -6).Format("2006-01-02"), today.Format("2006-01-02"), operating)) {
		t.Errorf("export has no matching total row: %.600s", sheet)
	}
	hudai.get("/console/selfcheck?from=2026-13-01")
	if hudai.status != 400 || !strings.Contains(hudai.text(), "日期格式应为") {
		t.Errorf("bad date = %d %.200s", hudai.status, hudai.text())
	}

	lihu := a.signIn(t, a.lihu)
	lihu.get("/console/selfcheck")
	if lihu.status != 200 || !strings.Contains(lihu.text(), "其中 0 家有日管控记录") {
		t.Errorf("蠡湖街道 sees others' records: %.400s", lihu.text())
	}
}
