package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
)

// TestVisitLetterStoredTogether: a report whose letter cannot be issued is
// not stored without it. The cadre is told why, goes back to choose no
// letter, and the report is stored then.
func TestVisitLetterStoredTogether(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-cadre", account.RoleCadre, cadre.ID)
	biz, err := w.reg.Business(ctx, tasks[0].BusinessID)
	if err != nil {
		t.Fatal(err)
	}
	office, err := w.reg.OfficeFor(ctx, biz.RegionID)
	if err != nil {
		t.Fatal(err)
	}
	// A short name this long makes the letter's number overflow its column:
	// the letter fails inside the report's transaction, after the visit's
	// rows are written.
	if err := w.d.Gorm(ctx).Exec(`UPDATE offices SET short_name = ? WHERE id = ?`, strings.Repeat("长", 60), office.ID).Error; err != nil {
		t.Fatal(err)
	}
	covered := func() bool {
		t.Helper()
		ok, _, err := w.sup.Covered(ctx, biz.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if covered() {
		t.Fatal("business covered before the report")
	}

	c := w.chat(t, "o-cadre")
	c.Say("上报督导")
	c.Say("1")
	c.Say("现场")
	c.Say("1")
	c.Say("1")
	c.Say("2")
	c.Say("全部合格")
	c.Say("后厨地面积水，防蝇帘缺失")
	c.Say("完成")
	c.Say("7天")
	c.Say("跳过")
	c.Say("1")
	c.Say("跳过")
	c.Say("1") // 发送提示函
	r := c.Say("确认")
	if !strings.Contains(r.Text, "提示函编号过长") || !strings.Contains(r.Text, "本次督导尚未保存") || strings.Contains(r.Text, "督导已提交") {
		t.Fatalf("reply to 确认 with a letter that cannot be issued:\n%s\n\n%s", r.Text, c.Transcript())
	}
	if covered() {
		t.Fatalf("the report was stored without the letter it asked for:\n%s", c.Transcript())
	}

	c.Say("返回")
	c.Say("2") // 暂不发送
	r = c.Say("确认")
	if !strings.Contains(r.Text, "督导已提交") || strings.Contains(r.Text, "提示函") {
		t.Fatalf("reply to 确认 without a letter:\n%s\n\n%s", r.Text, c.Transcript())
	}
	if !covered() {
		t.Fatal("report without a letter not stored")
	}
	vs, err := w.sup.RecentVisits(ctx, cadre.ID, 1)
	if err != nil || len(vs) != 1 {
		t.Fatalf("recent visits: %+v %v", vs, err)
	}
	if l, err := w.letters.ForVisit(ctx, vs[0].ID); err != nil || l != nil {
		t.Fatalf("letter of a report that asked for none: %+v %v", l, err)
	}
}
