package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// TestConsoleSelfCheckRates: three of 胡埭镇's businesses that kept no
// daily control this week record it (one of them on two days); 胡埭镇's
// manager sees exactly those added to what the town already had, by
// village, and so does the export, while 蠡湖街道's manager sees only
// 蠡湖街道's own. The figures are counted here from the records themselves,
// so the test asserts the same thing whatever history the district starts
// with (the demo's week of records, on either engine).
func TestConsoleSelfCheckRates(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	ctx := context.Background()
	today := a.Clock.Now().In(clock.China)
	from := today.AddDate(0, 0, -6)
	var quiet []struct {
		ID      int64
		Village string
	}
	if err := a.DB.Gorm(ctx).Raw(`SELECT b.id, r.name AS village FROM businesses b JOIN regions r ON r.id = b.region_id
WHERE b.status = ? AND r.path LIKE ? AND NOT EXISTS (SELECT 1 FROM selfcheck_records s
	WHERE s.business_id = b.id AND s.kind = ? AND s.period >= ? AND s.period <= ?)
ORDER BY b.id LIMIT 3`, registry.StatusOperating, a.HudaiTown.Path+"%", selfcheck.Daily,
		from.Format("2006-01-02"), today.Format("2006-01-02")).Scan(&quiet).Error; err != nil || len(quiet) < 3 {
		t.Fatalf("胡埭镇 businesses without records this week: %v %v", quiet, err)
	}
	hudaiBefore := countDailyRecords(t, a, a.HudaiTown.Path, from, today)
	lihuBefore := countDailyRecords(t, a, a.LihuTown.Path, from, today)
	var villages []string
	for i, q := range quiet {
		id := q.ID
		villages = append(villages, q.Village)
		c, err := a.Accounts.EnsureContact(ctx, id, account.ContactOfficer)
		if err != nil {
			t.Fatal(err)
		}
		days := 1
		if i == 0 {
			days = 2
		}
		for d := 0; d < days; d++ {
			if _, err := a.SelfCheck.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: fmt.Sprintf("con-sc-%d-%d", id, d),
				ContactID: c.ID, Day: today.AddDate(0, 0, -d)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	after := countDailyRecords(t, a, a.HudaiTown.Path, from, today)
	if after.keeping != hudaiBefore.keeping+3 || after.records != hudaiBefore.records+4 {
		t.Fatalf("records in the database went %+v → %+v, want +3 businesses, +4 business-days", hudaiBefore, after)
	}

	hudai := a.SignIn(t, a.Hudai)
	hudai.Get("/console/selfcheck")
	text := hudai.Text()
	want := fmt.Sprintf("正常经营主体 %d 家，其中 %d 家有日管控记录", after.operating, after.keeping)
	if hudai.Status != 200 || !strings.Contains(text, want) || !strings.Contains(text, fmt.Sprintf("已记录 %d 主体·天", after.records)) {
		t.Fatalf("status %d; want %q and %d business-days in: %.800s", hudai.Status, want, after.records, text)
	}
	if !strings.Contains(hudai.Body, `<svg class="chart"`) {
		t.Error("no chart by village")
	}
	for _, v := range villages {
		if !strings.Contains(text, v) {
			t.Errorf("village %s of a recording business is not listed", v)
		}
	}
	hudai.Get("/console/selfcheck.xlsx")
	if sheet := conXLSXText([]byte(hudai.Body)); !strings.Contains(sheet, fmt.Sprintf("合计\t%s至%s\t%d\t%d\t%d\t",
		from.Format("2006-01-02"), today.Format("2006-01-02"), after.operating, after.keeping, after.records)) {
		t.Errorf("export has no matching total row: %.600s", sheet)
	}
	hudai.Get("/console/selfcheck?from=2026-13-01")
	if hudai.Status != 400 || !strings.Contains(hudai.Text(), "日期格式应为") {
		t.Errorf("bad date = %d %.200s", hudai.Status, hudai.Text())
	}

	lihu := a.SignIn(t, a.Lihu)
	lihu.Get("/console/selfcheck")
	if want := fmt.Sprintf("正常经营主体 %d 家，其中 %d 家有日管控记录", lihuBefore.operating, lihuBefore.keeping); lihu.Status != 200 || !strings.Contains(lihu.Text(), want) {
		t.Errorf("蠡湖街道 wants %q: %.400s", want, lihu.Text())
	}
}

// dailyCount is a town's daily-control record keeping over a span, counted
// straight from the records.
type dailyCount struct{ operating, keeping, records int64 }

func countDailyRecords(t *testing.T, a *webtest.App, scopePath string, from, to time.Time) dailyCount {
	t.Helper()
	var c dailyCount
	g := a.DB.Gorm(context.Background())
	inScope := `FROM businesses b JOIN regions r ON r.id = b.region_id WHERE b.status = ? AND r.path LIKE ?`
	if err := g.Raw(`SELECT COUNT(*) `+inScope, registry.StatusOperating, scopePath+"%").Scan(&c.operating).Error; err != nil {
		t.Fatal(err)
	}
	recorded := ` AND EXISTS (SELECT 1 FROM selfcheck_records s WHERE s.business_id = b.id AND s.kind = ? AND s.period >= ? AND s.period <= ? AND s.revision > 0)`
	args := []any{registry.StatusOperating, scopePath + "%", selfcheck.Daily, from.Format("2006-01-02"), to.Format("2006-01-02")}
	if err := g.Raw(`SELECT COUNT(*) `+inScope+recorded, args...).Scan(&c.keeping).Error; err != nil {
		t.Fatal(err)
	}
	if err := g.Raw(`SELECT COUNT(*) FROM selfcheck_records s JOIN businesses b ON b.id = s.business_id JOIN regions r ON r.id = b.region_id
WHERE b.status = ? AND r.path LIKE ? AND s.kind = ? AND s.period >= ? AND s.period <= ? AND s.revision > 0`, args...).Scan(&c.records).Error; err != nil {
		t.Fatal(err)
	}
	return c
}
