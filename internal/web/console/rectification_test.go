package console_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// rectLoop is a rectification of 胡埭镇 with its whole loop: the finding
// (with a photo), the business's feedback with a stored photo, and the
// cadre's extension with its reason.
type rectLoop struct {
	id       int64
	business registry.Business
	cadre    registry.Cadre
	contact  *account.Contact
}

func newRectLoop(t *testing.T, a *webtest.App) rectLoop {
	t.Helper()
	ctx := context.Background()
	cadre, _, biz := twoCadres(t, a)
	in := webtest.QuickReport(a.App, biz.ID, cadre.ID)
	item := in.Items[0].ItemID
	in.Items[0].Result = supervision.ResultIssue
	in.Findings = []supervision.FindingInput{{ItemID: item, Description: "冷藏柜温度超标", Requirement: "调整温度并每日记录",
		Photos: []supervision.PhotoInput{{MediaID: "rect-finding-" + webtest.RandHex(4)}}}}
	v, _, err := a.Supervision.Submit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := a.DB.Gorm(ctx).Raw(`SELECT r.id FROM rectifications r JOIN findings f ON f.id = r.finding_id WHERE f.visit_id = ?`, v.ID).
		Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("rectification of visit %d: %v", v.ID, err)
	}
	contact, err := a.Accounts.CreateContact(ctx, biz.ID, "张桂兰", "", account.ContactPrincipal)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("feedback-photo-" + webtest.RandHex(4))
	sum := sha256.Sum256(data)
	obj, err := a.Media.Put(ctx, hex.EncodeToString(sum[:])+".jpg", data, "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.DB.InTx(ctx, func(tx *gorm.DB) error {
		_, err := a.Supervision.FeedbackTx(tx, []int64{id}, supervision.Feedback{Note: "已更换温控器，温度正常", Stored: []media.Object{obj},
			Actor: registry.ActorOf("contact", contact.ID)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r, err := a.Supervision.RectificationByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Supervision.Recheck(ctx, id, cadre.ID, supervision.RecheckInput{NewDeadline: r.Deadline.AddDate(0, 0, 10),
		Reason: "配件需要厂家上门更换"}); err != nil {
		t.Fatal(err)
	}
	return rectLoop{id: id, business: biz, cadre: cadre, contact: contact}
}

// TestConsoleRectification: the rectification page shows the finding, the
// deadline as first set and as extended, the business's feedback with its
// photo, the extension with its reason and who did each, by name; it is
// linked from the business, the visit and the list; and a manager of
// another town gets the same "not found" as for a missing one.
func TestConsoleRectification(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	loop := newRectLoop(t, a)
	page := fmt.Sprintf("/console/rectifications/%d", loop.id)
	c := a.SignIn(t, a.Hudai)

	t.Run("OK", func(t *testing.T) {
		c.Get(page)
		if c.Status != http.StatusOK {
			t.Fatalf("GET %s = %d: %.300s", page, c.Status, c.Body)
		}
		text := c.Text()
		for _, want := range []string{"冷藏柜温度超标", "调整温度并每日记录", loop.business.Name, loop.cadre.Name, "整改反馈",
			"已更换温控器，温度正常", "张桂兰", "主要负责人", "延长整改期限", "配件需要厂家上门更换", "原定", "整改反馈 1 次", "照片正在从微信取回"} {
			if !strings.Contains(text, want) {
				t.Errorf("page lacks %q: %.1500s", want, text)
			}
		}
		if m := webtest.InternalCode.FindString(text); m != "" {
			t.Errorf("page shows the code %q", m)
		}
		photo := regexp.MustCompile(`<img class="photo" src="(/console/photos/\d+)"`).FindStringSubmatch(c.Body)
		if photo == nil {
			t.Fatalf("no feedback photo shown")
		}
		if c.Get(photo[1]); c.Status != http.StatusOK || !strings.HasPrefix(c.Body, "feedback-photo-") {
			t.Errorf("feedback photo = %d %.40q", c.Status, c.Body)
		}
	})

	t.Run("Linked", func(t *testing.T) {
		var visitID int64
		a.DB.Gorm(context.Background()).Raw(`SELECT f.visit_id FROM rectifications r JOIN findings f ON f.id = r.finding_id WHERE r.id = ?`, loop.id).Scan(&visitID)
		for _, from := range []string{fmt.Sprintf("/console/businesses/%d", loop.business.ID), fmt.Sprintf("/console/visits/%d", visitID),
			"/console/rectifications?status=open"} {
			if c.Get(from); c.Status != http.StatusOK || !strings.Contains(c.Body, `href="`+page+`"`) {
				t.Errorf("%s (%d) does not link to %s", from, c.Status, page)
			}
		}
	})

	t.Run("ErrNotInScope", func(t *testing.T) {
		other := a.SignIn(t, a.Lihu)
		requestID := regexp.MustCompile(`请求编号：\w+`)
		other.Get(page)
		elsewhere := requestID.ReplaceAllString(other.Text(), "")
		if other.Status != http.StatusNotFound {
			t.Errorf("another town's manager: %d", other.Status)
		}
		other.Get("/console/rectifications/999999999")
		if other.Status != http.StatusNotFound || requestID.ReplaceAllString(other.Text(), "") != elsewhere {
			t.Errorf("missing and out of scope differ:\n%s\n%s", other.Text(), elsewhere)
		}
		for _, bad := range []string{"abc", "0", "-1"} {
			if other.Get("/console/rectifications/" + bad); other.Status != http.StatusNotFound {
				t.Errorf("id %q: %d", bad, other.Status)
			}
		}
	})
}
