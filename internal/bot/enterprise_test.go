package bot_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/dialog/dialogtest"
)

// Binding codes and letter tokens are random by design; golden files
// show placeholders instead.
var (
	bindingCode = regexp.MustCompile(`绑定 [0-9A-Z]{8}`)
	letterLink  = regexp.MustCompile(`/h5/letters/[0-9A-Z]+\?\S+`)
)

func scrub(s string) string {
	s = bindingCode.ReplaceAllString(s, "绑定 CODE")
	return letterLink.ReplaceAllString(s, "/h5/letters/TOKEN?…")
}

// TestBusinessSide: a visit with a finding produces a numbered letter that
// waits for the business to bind; once its contact binds, the letter is
// listed with a link, the card and the cadre are a message away, and the
// contact's feedback reaches the cadre's rectification.
func TestBusinessSide(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-cadre-b", account.RoleCadre, cadre.ID)

	c := w.chat(t, "o-cadre-b")
	for _, s := range []string{"上报督导", "1", "现场", "快速", "2", "全部合格", "健康证过期两人", "跳过", "跳过"} {
		c.Say(s)
	}
	c.Say("1") // 发送提示函
	receipt := c.Say("确认").Text
	if !strings.Contains(receipt, "食安督〔") || !strings.Contains(receipt, "尚未绑定微信") {
		t.Fatalf("receipt does not name the letter or its delivery state:\n%s", receipt)
	}

	contact, err := w.accounts.EnsureContact(ctx, tasks[0].BusinessID, account.ContactPrincipal)
	if err != nil {
		t.Fatal(err)
	}
	code, _, err := w.accounts.IssueCode(ctx, account.RoleContact, contact.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	b := w.chat(t, "o-business")
	b.Say("绑定 " + code)
	b.Say("提示函")
	b.Say("联系包保干部")
	b.Say("整改反馈")
	b.Say("已安排两人重新体检，健康证本周内办好")
	b.Photo("media-health-cert")
	b.Say("完成")
	dialogtest.Golden(t, "business_side", scrub(b.Transcript()))

	out, err := w.bot.Handle(ctx, chat.Inbound{Channel: chat.ChannelOA, UserID: "o-business", Kind: chat.KindEvent, Event: chat.EventClick, EventKey: "KNOWLEDGE_CARD"})
	if err != nil || len(out.Articles) != 1 || !strings.Contains(out.Articles[0].Title, tasks[0].Name) || !strings.Contains(out.Articles[0].URL, "/h5/cards/") {
		t.Fatalf("知晓卡 answered %+v %v", out, err)
	}

	ls, err := w.letters.ForBusiness(ctx, tasks[0].BusinessID)
	if err != nil || len(ls) != 1 || ls[0].DeliveredAt == nil {
		t.Fatalf("letter after binding: %+v %v", ls, err)
	}
	rects, err := w.sup.OpenRectifications(ctx, cadre.ID)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, r := range rects {
		if r.BusinessID != tasks[0].BusinessID {
			continue
		}
		events, err := w.sup.RectificationHistory(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Kind == "feedback" && strings.Contains(e.Note, "健康证") {
				found = true
			}
		}
	}
	if !found {
		t.Fatal("the business's feedback did not reach the cadre's rectification")
	}

	// The cadre's 整改跟踪 shows the feedback, and the 复查 takes the
	// business's photo as its evidence.
	c = w.chat(t, "o-cadre-b")
	c.Say("整改跟踪")
	c.Say(tasks[0].Name[len("胡埭"):])
	c.Tap("已整改")
	c.Tap("是")
	c.Say("跳过")
	dialogtest.Golden(t, "recheck_feedback", c.Transcript())
	if !strings.Contains(c.Transcript(), "店家反馈（11月28日 09:00）：已安排两人重新体检") || !strings.Contains(c.Transcript(), "照片1张") {
		t.Fatalf("整改跟踪 does not show the feedback:\n%s", c.Transcript())
	}
	var rectified []int64
	if err := w.d.Gorm(ctx).Table("rectification_events").Where("kind = ?", "rectified").Order("id DESC").Limit(1).Pluck("id", &rectified).Error; err != nil || len(rectified) != 1 {
		t.Fatalf("rectified events %v %v", rectified, err)
	}
	var photos int64
	if err := w.d.Gorm(ctx).Table("photos").Where("rectification_event_id = ?", rectified[0]).Count(&photos).Error; err != nil || photos != 1 {
		t.Fatalf("the business's photo is not the 复查's evidence: %d %v", photos, err)
	}
}
