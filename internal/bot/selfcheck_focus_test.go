package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// TestDailyControlPutsOpenFindingsFirst: after a visit finds a problem on
// an item, the business's next 日管控 names that item first, with the
// knowledge text that explains it, until the cadre's follow-up check
// closes the rectification.
func TestDailyControlPutsOpenFindingsFirst(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	biz := w.operating(t, registry.CategorySales, 1)
	w.bindContact(t, "o-focus", biz.ID, account.ContactOfficer)
	a, err := w.reg.CurrentAssignment(ctx, biz.ID)
	if err != nil {
		t.Fatal(err)
	}
	open, err := w.sup.OpenFindingsOf(ctx, biz.ID)
	if err != nil || len(open) != 0 {
		t.Skipf("the demo business has open rectifications already: %v %v", open, err)
	}
	quick := w.sup.Checklists().Quick()
	item := quick[len(quick)-1]
	art, ok := w.sup.Checklists().ArticleFor(item.ID)
	if !ok {
		t.Fatalf("item %s names no article", item.ID)
	}
	in := supervision.VisitInput{SubmissionKey: "focus-1", BusinessID: biz.ID, CadreID: a.CadreID, Mode: supervision.ModeOnsite,
		Check: supervision.CheckQuick, Source: registry.SourceChat, Provenance: []string{"m-focus"}}
	for _, it := range quick {
		r := supervision.ResultOK
		if it.ID == item.ID {
			r = supervision.ResultIssue
			in.Findings = append(in.Findings, supervision.FindingInput{ItemID: it.ID, Description: "消毒柜未通电使用"})
		}
		in.Items = append(in.Items, supervision.ItemResult{ItemID: it.ID, Result: r})
	}
	if _, _, err := w.sup.Submit(ctx, in); err != nil {
		t.Fatal(err)
	}
	label := item.LabelFor(supervision.CheckQuick)

	c := w.chat(t, "o-focus")
	got := c.Say("日管控").Text
	for _, want := range []string{"重点检查", label, "消毒柜未通电使用", "《" + art.Title + "》"} {
		if !strings.Contains(got, want) {
			t.Errorf("日管控 does not put %q first:\n%s", want, got)
		}
	}
	if i, j := strings.Index(got, label), strings.Index(got, "共"); i < 0 || j < i {
		t.Errorf("the open finding is not before the daily list:\n%s", got)
	}
	c.Say("全部正常")

	open, err = w.sup.OpenFindingsOf(ctx, biz.ID)
	if err != nil || len(open) != 1 {
		t.Fatalf("open findings: %+v %v", open, err)
	}
	if err := w.sup.Recheck(ctx, open[0].RectificationID, a.CadreID, supervision.RecheckInput{Rectified: true, Note: "已恢复使用"}); err != nil {
		t.Fatal(err)
	}
	if got := c.Say("日管控").Text; strings.Contains(got, "重点检查") || strings.Contains(got, "消毒柜未通电使用") {
		t.Errorf("日管控 still puts a closed rectification first:\n%s", got)
	}
}
