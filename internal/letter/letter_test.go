package letter_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/notify/notifytest"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

func TestConfig(t *testing.T) {
	if err := letter.DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	bad := []letter.Config{
		{NumberFormat: "{office}号", AckReminderDays: 3, LinkTTL: time.Hour, Hotline: "12315"},
		{NumberFormat: "{seq}", AckReminderDays: 0, LinkTTL: time.Hour, Hotline: "12315"},
		{NumberFormat: "{seq}", AckReminderDays: 3, LinkTTL: time.Minute, Hotline: "12315"},
		{NumberFormat: "{seq}", AckReminderDays: 3, LinkTTL: time.Hour, Hotline: " "},
	}
	for i, c := range bad {
		if c.Validate() == nil {
			t.Errorf("config %d: want an error", i)
		}
	}
}

// TestIssueConcurrent issues 50 letters from one office at once: they
// must get 50 distinct, consecutive numbers from 0001.
func TestIssueConcurrent(t *testing.T) {
	each(t, func(t *testing.T, w *district) {
		ctx := context.Background()
		m, office := w.manager(t, "胡埭镇")
		bs := w.businessesIn(t, office, 50)
		by := registry.ActorOf("manager", m.ID)
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			letters []*letter.Letter
			failed  []error
		)
		for i, b := range bs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := w.letters.Issue(ctx, b.ID, letter.IssueInput{Findings: []letter.FindingInput{
					{Description: fmt.Sprintf("第%d家：进货台账不全", i+1), Requirement: "补齐进货查验记录"},
				}}, by)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failed = append(failed, err)
					return
				}
				letters = append(letters, l)
			}()
		}
		wg.Wait()
		if len(failed) > 0 {
			t.Fatalf("%d issues failed, first: %v", len(failed), failed[0])
		}
		seqs := make([]int, 0, len(letters))
		numbers := map[string]bool{}
		for _, l := range letters {
			seqs = append(seqs, l.Seq)
			numbers[l.Number] = true
			if want := fmt.Sprintf("%s食安督〔2026〕%04d号", office.ShortName, l.Seq); l.Number != want {
				t.Errorf("number %q, want %q", l.Number, want)
			}
		}
		slices.Sort(seqs)
		for i, s := range seqs {
			if s != i+1 {
				t.Fatalf("sequence numbers are not 1…50 without gaps: %v", seqs)
			}
		}
		if len(numbers) != 50 {
			t.Fatalf("%d distinct numbers, want 50", len(numbers))
		}
		var stored int64
		if err := w.d.Gorm(ctx).Model(&letter.Letter{}).Where("office_id = ?", office.ID).Count(&stored).Error; err != nil || stored != 50 {
			t.Fatalf("stored %d letters (%v), want 50", stored, err)
		}
		// The next letter carries on from the counter.
		l, err := w.letters.Issue(ctx, bs[0].ID, letter.IssueInput{Findings: []letter.FindingInput{{Description: "再次提示"}}}, by)
		if err != nil || l.Seq != 51 {
			t.Fatalf("next letter: %+v, %v", l, err)
		}
	})
}

func TestIssueForVisit(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	v := w.visitWithFindings(t)
	cadre := registry.ActorOf("cadre", v.CadreID)

	t.Run("OK", func(t *testing.T) {
		l, err := w.letters.IssueForVisit(ctx, v.ID, cadre)
		if err != nil {
			t.Fatal(err)
		}
		if l.VisitID == nil || *l.VisitID != v.ID || l.BusinessID != v.BusinessID || l.CadreID != v.CadreID || l.Seq != 1 {
			t.Fatalf("letter = %+v", l)
		}
		if !strings.HasSuffix(l.Number, "〔2026〕0001号") {
			t.Errorf("number %q", l.Number)
		}
		c := l.Content
		if c.Business.Name != v.Business.Name || c.Visit == nil || c.Visit.ModeLabel != v.Mode.Label() || c.Cadre == nil || c.Cadre.Name != v.CadreName {
			t.Errorf("content = %+v", c)
		}
		if len(c.Findings) == 0 || c.Findings[0].RectificationID == 0 || c.Findings[0].Label == "" {
			t.Errorf("findings = %+v", c.Findings)
		}
		if c.Season.Name != "秋季" || c.Hotline != "12315" || c.Office.Name == "" || c.Business.Village == "" {
			t.Errorf("content = %+v", c)
		}
		// Nobody of the business is bound: undelivered, and the cadre is told by the bot.
		if l.Status != letter.StatusIssued {
			t.Errorf("status %s", l.Status)
		}
		if u, err := w.letters.Undelivered(ctx, l.ID); err != nil || !u {
			t.Errorf("undelivered = %v, %v", u, err)
		}
		if ms := w.out.Messages(t); len(ms) != 0 {
			t.Errorf("messages %+v", ms)
		}
	})
	t.Run("Idempotent", func(t *testing.T) {
		a, err := w.letters.IssueForVisit(ctx, v.ID, cadre)
		if err != nil {
			t.Fatal(err)
		}
		b, err := w.letters.IssueForVisit(ctx, v.ID, cadre)
		if err != nil || a.ID != b.ID || a.Number != b.Number {
			t.Fatalf("again: %+v %+v %v", a, b, err)
		}
	})
	t.Run("ErrNoFindings", func(t *testing.T) {
		if _, err := w.letters.IssueForVisit(ctx, w.visitWithout(t), registry.Actor("user:admin")); !errs.Is(err, errs.Invalid) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrOtherCadre", func(t *testing.T) {
		other := w.visitWithFindings(t) // same visit: any other cadre id will do
		if _, err := w.letters.IssueForVisit(ctx, other.ID+1_000_000, cadre); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown visit: %v", err)
		}
		var ids []int64
		w.d.Gorm(ctx).Raw(`SELECT v.id FROM visits v JOIN findings f ON f.visit_id = v.id WHERE v.id <> ? AND v.cadre_id <> ? AND v.is_current = ? LIMIT 1`,
			v.ID, v.CadreID, true).Scan(&ids)
		if len(ids) == 0 {
			t.Skip("no second visit with findings")
		}
		if _, err := w.letters.IssueForVisit(ctx, ids[0], cadre); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestIssueByManager(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	m, office := w.manager(t, "胡埭镇")
	by := registry.ActorOf("manager", m.ID)
	b := w.businessesIn(t, office, 1)[0]
	w.bindContact(t, b.ID, "o-biz")

	t.Run("OK", func(t *testing.T) {
		l, err := w.letters.Issue(ctx, b.ID, letter.IssueInput{Findings: []letter.FindingInput{{Description: "从业人员健康证过期", Requirement: "办理健康证"}}, Remarks: "请于下周一前反馈"}, by)
		if err != nil {
			t.Fatal(err)
		}
		if l.OfficeID != office.ID || l.Status != letter.StatusDelivered || l.DeliveredAt == nil || l.Content.Remarks == "" {
			t.Fatalf("letter = %+v", l)
		}
		if got := l.Content.Findings[0].Deadline; !got.Equal(time.Date(2026, 12, 5, 0, 0, 0, 0, got.Location())) {
			t.Errorf("default deadline %v", got)
		}
		ms := w.out.Messages(t)
		if got := notifytest.Of(ms, "letter.issued", notify.ToContact); len(got) != 1 || !strings.Contains(got[0].URL, l.Token) || !strings.Contains(got[0].Text, l.Number) {
			t.Fatalf("contact messages %+v", got)
		}
		if got := notifytest.Of(ms, "letter.issued", notify.ToCadre); len(got) != 1 || got[0].To.ID != l.CadreID {
			t.Fatalf("cadre copy %+v", got)
		}
	})
	t.Run("ErrOutOfScope", func(t *testing.T) {
		_, lihu := w.manager(t, "蠡湖街道")
		other := w.businessesIn(t, lihu, 1)[0]
		_, err := w.letters.Issue(ctx, other.ID, letter.IssueInput{Findings: []letter.FindingInput{{Description: "x"}}}, by)
		if !errs.Is(err, errs.Forbidden) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for name, in := range map[string]letter.IssueInput{
			"empty":    {},
			"blank":    {Findings: []letter.FindingInput{{Description: "  "}}},
			"past":     {Findings: []letter.FindingInput{{Description: "x", Deadline: now.AddDate(0, 0, -1)}}},
			"too long": {Findings: []letter.FindingInput{{Description: strings.Repeat("长", 501)}}},
		} {
			if _, err := w.letters.Issue(ctx, b.ID, in, by); !errs.Is(err, errs.Invalid) {
				t.Errorf("%s: err = %v", name, err)
			}
		}
	})
	t.Run("OpenRectifications", func(t *testing.T) {
		v := w.visitWithFindings(t)
		l, err := w.letters.Issue(ctx, v.BusinessID, letter.IssueInput{OpenRectifications: true}, registry.Actor("user:admin"))
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Content.Findings) == 0 || l.Content.Findings[0].RectificationID == 0 {
			t.Fatalf("findings %+v", l.Content.Findings)
		}
	})
}

func TestOnBindDeliversPending(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	v := w.visitWithFindings(t)
	l, err := w.letters.IssueForVisit(ctx, v.ID, registry.ActorOf("cadre", v.CadreID))
	if err != nil {
		t.Fatal(err)
	}
	c := w.bindContact(t, v.BusinessID, "o-late")
	if err := w.letters.OnBind(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.letters.OnBind(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	got := notifytest.Of(w.out.Messages(t), "letter.issued", notify.ToContact)
	if len(got) != 1 || got[0].To.ID != c.ID || got[0].Subject != fmt.Sprintf("letter:%d", l.ID) {
		t.Fatalf("messages %+v", got)
	}
	if u, err := w.letters.Undelivered(ctx, l.ID); err != nil || u {
		t.Fatalf("undelivered = %v, %v", u, err)
	}
	again, _ := w.letters.Letter(ctx, l.ID)
	if again.Status != letter.StatusDelivered || again.DeliveredAt == nil {
		t.Fatalf("letter %+v", again)
	}
	t.Run("UnboundContactNoop", func(t *testing.T) {
		d, err := w.accounts.EnsureContact(ctx, v.BusinessID, account.ContactOfficer)
		if err != nil {
			t.Skip("business has no officer registered")
		}
		if err := w.letters.OnBind(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAcknowledge(t *testing.T) {
	each(t, func(t *testing.T, w *district) { testAcknowledge(t, w) })
}

func testAcknowledge(t *testing.T, w *district) {
	ctx := context.Background()
	v := w.visitWithFindings(t)
	c := w.bindContact(t, v.BusinessID, "o-ack")
	l, err := w.letters.IssueForVisit(ctx, v.ID, registry.ActorOf("cadre", v.CadreID))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("ErrOtherBusiness", func(t *testing.T) {
		_, office := w.manager(t, "蠡湖街道")
		other := w.businessesIn(t, office, 1)[0]
		oc := w.bindContact(t, other.ID, "o-other")
		if err := w.letters.Acknowledge(ctx, l.ID, oc.ID, "", nil); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("err = %v", err)
		}
		acc, err := w.letters.Authorize(ctx, l, registry.ActorOf("contact", oc.ID))
		if !errs.Is(err, errs.Forbidden) || acc.CanAcknowledge {
			t.Fatalf("authorize = %+v, %v", acc, err)
		}
	})
	t.Run("ErrTooLong", func(t *testing.T) {
		if err := w.letters.Acknowledge(ctx, l.ID, c.ID, strings.Repeat("长", 501), nil); !errs.Is(err, errs.Invalid) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		acc, err := w.letters.Authorize(ctx, l, registry.ActorOf("contact", c.ID))
		if err != nil || !acc.CanAcknowledge || acc.ContactID != c.ID {
			t.Fatalf("authorize = %+v, %v", acc, err)
		}
		err = w.letters.Receive(ctx, l.ID, letter.Receipt{ContactID: c.ID, Feedback: "已清理地面积水",
			Photos:  []supervision.PhotoInput{{MediaID: "wx-media-1"}},
			Uploads: []media.Object{{Key: strings.Repeat("a", 64) + ".jpg", SHA256: strings.Repeat("a", 64), ContentType: "image/jpeg", Size: 10}}})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := w.letters.Letter(ctx, l.ID)
		if got.Status != letter.StatusAcknowledged || got.AckContactID == nil || *got.AckContactID != c.ID || got.AckIdentityID == nil || got.AckFeedback != "已清理地面积水" {
			t.Fatalf("letter %+v", got)
		}
		photos, err := w.letters.ReceiptPhotos(ctx, l.ID)
		if err != nil || len(photos) != 2 {
			t.Fatalf("photos %+v %v", photos, err)
		}
		rid := l.Content.Findings[0].RectificationID
		evs, err := w.sup.RectificationHistory(ctx, rid)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 || evs[len(evs)-1].Kind != supervision.EventFeedback || evs[len(evs)-1].Note != "已清理地面积水" {
			t.Fatalf("events %+v", evs)
		}
		ms := notifytest.Of(w.out.Messages(t), "letter.acknowledged", notify.ToCadre)
		if len(ms) != 1 || !strings.Contains(ms[0].Text, "已清理地面积水") || !strings.Contains(ms[0].Text, "照片2张") {
			t.Fatalf("cadre messages %+v", ms)
		}
	})
	t.Run("Twice", func(t *testing.T) {
		err := w.letters.Acknowledge(ctx, l.ID, c.ID, "再次签收", nil)
		if !errs.Is(err, errs.Conflict) || !strings.Contains(errs.MessageOf(err), "已于") {
			t.Fatalf("err = %v", err)
		}
		got, _ := w.letters.Letter(ctx, l.ID)
		if got.AckFeedback != "已清理地面积水" {
			t.Fatalf("second receipt changed the first: %+v", got)
		}
		if ms := notifytest.Of(w.out.Messages(t), "letter.acknowledged", notify.ToCadre); len(ms) != 1 {
			t.Fatalf("%d receipts told", len(ms))
		}
		var events int64
		w.d.Gorm(ctx).Table("rectification_events").Where("kind = ? AND note = ?", supervision.EventFeedback, "再次签收").Count(&events)
		if events != 0 {
			t.Fatalf("second receipt wrote %d events", events)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		l2, err := w.letters.Issue(ctx, v.BusinessID, letter.IssueInput{Findings: []letter.FindingInput{{Description: "x"}}}, registry.Actor("user:admin"))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make([]error, 5)
		for i := range results {
			wg.Add(1)
			go func() { defer wg.Done(); results[i] = w.letters.Acknowledge(ctx, l2.ID, c.ID, "", nil) }()
		}
		wg.Wait()
		ok := 0
		for _, err := range results {
			switch {
			case err == nil:
				ok++
			case !errs.Is(err, errs.Conflict):
				t.Fatalf("err = %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d receipts accepted", ok)
		}
	})
}

func TestDue(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	v := w.visitWithFindings(t)
	c := w.bindContact(t, v.BusinessID, "o-due")
	l, err := w.letters.IssueForVisit(ctx, v.ID, registry.ActorOf("cadre", v.CadreID))
	if err != nil {
		t.Fatal(err)
	}
	due := func(at time.Time) []notify.Message {
		t.Helper()
		ms, err := w.letters.Due(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	if ms := due(now.Add(71 * time.Hour)); len(ms) != 0 {
		t.Fatalf("before 3 days: %+v", ms)
	}
	ms := due(now.Add(72 * time.Hour))
	if len(ms) != 1 || ms[0].To != (notify.Recipient{Kind: notify.ToContact, ID: c.ID}) || ms[0].Stage != letter.StageBusiness || ms[0].Kind != "letter.unacknowledged" {
		t.Fatalf("after 3 days: %+v", ms)
	}
	ms = due(now.Add(6 * 24 * time.Hour))
	if len(ms) != 2 || notifytest.Of(ms, "letter.unacknowledged", notify.ToCadre)[0].To.ID != v.CadreID {
		t.Fatalf("after 6 days: %+v", ms)
	}
	if ms[0].Key() == ms[1].Key() || ms[0].Subject != fmt.Sprintf("letter:%d", l.ID) {
		t.Fatalf("keys: %+v", ms)
	}
	if err := w.letters.Acknowledge(ctx, l.ID, c.ID, "", nil); err != nil {
		t.Fatal(err)
	}
	if ms := due(now.Add(6 * 24 * time.Hour)); len(ms) != 0 {
		t.Fatalf("after the receipt: %+v", ms)
	}
}

func TestForBusinessAndReads(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	_, office := w.manager(t, "胡埭镇")
	b := w.businessesIn(t, office, 1)[0]
	c := w.bindContact(t, b.ID, "o-list")
	var ids []int64
	for i := range 3 {
		w.clk.Set(now.Add(time.Duration(i) * time.Hour))
		l, err := w.letters.Issue(ctx, b.ID, letter.IssueInput{Findings: []letter.FindingInput{{Description: fmt.Sprintf("问题%d", i)}}}, registry.Actor("user:admin"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	if err := w.letters.Acknowledge(ctx, ids[2], c.ID, "", nil); err != nil {
		t.Fatal(err)
	}
	ls, err := w.letters.ForBusiness(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, l := range ls {
		got = append(got, l.ID)
	}
	if want := []int64{ids[1], ids[0], ids[2]}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v (unacknowledged first, newest first)", got, want)
	}
	reader := registry.ActorOf("contact", c.ID)
	if err := w.letters.RecordRead(ctx, ids[0], reader, letter.ViaH5); err != nil {
		t.Fatal(err)
	}
	rs, err := w.letters.Reads(ctx, ids[0])
	if err != nil || len(rs) != 1 || rs[0].Reader != reader || rs[0].Via != letter.ViaH5 {
		t.Fatalf("reads %+v %v", rs, err)
	}
	f, err := w.letters.FiguresFor(ctx, office.ID, now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil || f != (letter.Figures{Issued: 3, Delivered: 3, Read: 1, Acknowledged: 1}) {
		t.Fatalf("figures %+v %v", f, err)
	}
}

func TestFeedback(t *testing.T) {
	w := sqlite(t)
	ctx := context.Background()
	v := w.visitWithFindings(t)
	c := w.bindContact(t, v.BusinessID, "o-feedback")
	l, err := w.letters.IssueForVisit(ctx, v.ID, registry.ActorOf("cadre", v.CadreID))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ErrEmpty", func(t *testing.T) {
		if err := w.letters.Feedback(ctx, l.ID, c.ID, " ", nil); !errs.Is(err, errs.Invalid) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("FirstIsTheReceipt", func(t *testing.T) {
		if err := w.letters.Feedback(ctx, l.ID, c.ID, "健康证已办理", nil); err != nil {
			t.Fatal(err)
		}
		got, _ := w.letters.Letter(ctx, l.ID)
		if !got.Acknowledged() || got.AckFeedback != "健康证已办理" {
			t.Fatalf("letter %+v", got)
		}
	})
	t.Run("Later", func(t *testing.T) {
		photos := []supervision.PhotoInput{{MediaID: "wx-after-1"}}
		for range 2 {
			if err := w.letters.Feedback(ctx, l.ID, c.ID, "油污已清理", photos); err != nil {
				t.Fatal(err)
			}
		}
		ms := notifytest.Of(w.out.Messages(t), "letter.feedback", notify.ToCadre)
		if len(ms) != 1 || !strings.Contains(ms[0].Text, "油污已清理") || !strings.Contains(ms[0].Text, "照片1张") {
			t.Fatalf("messages %+v", ms)
		}
		evs, _ := w.sup.RectificationHistory(ctx, l.Content.Findings[0].RectificationID)
		if len(evs) < 2 || evs[len(evs)-1].Note != "油污已清理" {
			t.Fatalf("events %+v", evs)
		}
	})
	t.Run("ErrOtherBusiness", func(t *testing.T) {
		_, office := w.manager(t, "蠡湖街道")
		oc := w.bindContact(t, w.businessesIn(t, office, 1)[0].ID, "o-feedback-other")
		if err := w.letters.Feedback(ctx, l.ID, oc.ID, "x", nil); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("err = %v", err)
		}
	})
}
