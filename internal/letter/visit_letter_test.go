package letter_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// report is a quick check of the business by the cadre with one problem,
// asking for a letter.
func (w *district) report(t *testing.T, key string, businessID, cadreID int64) supervision.VisitInput {
	t.Helper()
	b, err := w.reg.Business(context.Background(), businessID)
	if err != nil {
		t.Fatal(err)
	}
	in := supervision.VisitInput{SubmissionKey: key, BusinessID: businessID, CadreID: cadreID,
		Mode: supervision.ModeOnsite, Check: supervision.CheckQuick, WithLetter: true}
	for i, it := range w.sup.Checklists().Expected(supervision.CheckQuick, b.Category, b.Grade) {
		r := supervision.ResultOK
		if i == 0 {
			r = supervision.ResultIssue
			in.Findings = append(in.Findings, supervision.FindingInput{ItemID: it.ID, Description: "冷藏柜温度超标", Requirement: "立即调整并记录"})
		}
		in.Items = append(in.Items, supervision.ItemResult{ItemID: it.ID, Result: r})
	}
	return in
}

func (w *district) countRows(t *testing.T, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := w.d.Gorm(context.Background()).Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSubmitWithLetter: a report that asks for a letter is stored with it
// in one transaction — the letter carries the visit's findings and their
// rectifications without reading the visit back, a repeated or racing
// submission returns the same visit and the same letter, and a letter
// that cannot be issued keeps the report from being stored.
func TestSubmitWithLetter(t *testing.T) {
	each(t, func(t *testing.T, w *district) {
		ctx := context.Background()
		seen := w.visitWithFindings(t)
		contact := w.bindContact(t, seen.BusinessID, "o-biz-letter")

		t.Run("StoredTogether", func(t *testing.T) {
			in := w.report(t, "letter-together", seen.BusinessID, seen.CadreID)
			v, created, err := w.sup.Submit(ctx, in)
			if err != nil || !created {
				t.Fatalf("submit: %v %v", created, err)
			}
			l, err := w.letters.ForVisit(ctx, v.ID)
			if err != nil || l == nil {
				t.Fatalf("letter of the visit: %+v %v", l, err)
			}
			if l.BusinessID != v.BusinessID || l.CadreID != v.CadreID || l.IssuedBy != registry.ActorOf("cadre", v.CadreID) ||
				!l.IssuedAt.Equal(v.SubmittedAt) || l.Status != letter.StatusDelivered {
				t.Fatalf("letter = %+v", l)
			}
			d, err := w.sup.Visit(ctx, v.ID)
			if err != nil || len(d.Findings) != 1 {
				t.Fatalf("visit: %+v %v", d, err)
			}
			c := l.Content
			if c.Visit == nil || c.Visit.ID != v.ID || c.Visit.ModeLabel != "现场督导" || c.Cadre == nil || c.Business.Name != d.Business.Name {
				t.Fatalf("content = %+v", c)
			}
			if len(c.Findings) != 1 || c.Findings[0].RectificationID != d.Findings[0].RectificationID ||
				c.Findings[0].Label != d.Findings[0].Label || c.Findings[0].Description != "冷藏柜温度超标" {
				t.Fatalf("letter findings %+v, visit findings %+v", c.Findings, d.Findings)
			}
			if n := w.countRows(t, "letter_deliveries", "letter_id = ? AND contact_id = ?", l.ID, contact.ID); n != 1 {
				t.Fatalf("%d deliveries to the bound contact", n)
			}

			again, created, err := w.sup.Submit(ctx, in)
			if err != nil || created || again.ID != v.ID {
				t.Fatalf("again: %+v %v %v", again, created, err)
			}
			if n := w.countRows(t, "letters", "visit_id = ?", v.ID); n != 1 {
				t.Fatalf("%d letters for the visit", n)
			}
		})

		t.Run("Racing", func(t *testing.T) {
			in := w.report(t, "letter-race", seen.BusinessID, seen.CadreID)
			before := w.countRows(t, "letters", "business_id = ?", seen.BusinessID)
			var wg sync.WaitGroup
			ids := make([]int64, 4)
			for i := range ids {
				wg.Go(func() {
					v, _, err := w.sup.Submit(ctx, in)
					if err != nil {
						t.Errorf("submit %d: %v", i, err)
						return
					}
					ids[i] = v.ID
				})
			}
			wg.Wait()
			for _, id := range ids[1:] {
				if id != ids[0] {
					t.Fatalf("visits %v", ids)
				}
			}
			if n := w.countRows(t, "letters", "business_id = ?", seen.BusinessID); n != before+1 {
				t.Fatalf("%d letters issued by racing submissions, want 1", n-before)
			}
		})

		t.Run("LetterFailsVisitNotStored", func(t *testing.T) {
			office, err := w.reg.OfficeFor(ctx, seen.Business.RegionID)
			if err != nil {
				t.Fatal(err)
			}
			var seqBefore []int
			w.d.Gorm(ctx).Raw(`SELECT next_seq FROM letter_counters WHERE office_id = ?`, office.ID).Scan(&seqBefore)
			// A long number format and the longest short name make the
			// number overflow its column: the letter fails inside the
			// transaction, after the visit's rows are written.
			long := letter.NewService(w.d, w.reg, w.sup, w.accounts, w.out, links{},
				letter.Config{NumberFormat: "{office}" + strings.Repeat("督", 40) + "{seq}"}, w.clk)
			w.sup.IssueLettersWith(long)
			t.Cleanup(func() { w.sup.IssueLettersWith(w.letters) })
			if err := w.d.Gorm(ctx).Exec(`UPDATE offices SET short_name = ? WHERE id = ?`, strings.Repeat("长", 32), office.ID).Error; err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				w.d.Gorm(ctx).Exec(`UPDATE offices SET short_name = ? WHERE id = ?`, office.ShortName, office.ID)
			})
			rects := w.countRows(t, "rectifications", "business_id = ?", seen.BusinessID)

			_, _, err = w.sup.Submit(ctx, w.report(t, "letter-fails", seen.BusinessID, seen.CadreID))
			if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), "提示函编号过长") || !strings.Contains(errs.MessageOf(err), "本次督导尚未保存") {
				t.Fatalf("err = %v (%s)", err, errs.MessageOf(err))
			}
			if n := w.countRows(t, "visits", "submission_key = ?", "letter-fails"); n != 0 {
				t.Fatal("the visit was stored without the letter it asked for")
			}
			if n := w.countRows(t, "rectifications", "business_id = ?", seen.BusinessID); n != rects {
				t.Fatalf("rectifications %d → %d", rects, n)
			}
			var seqAfter []int
			w.d.Gorm(ctx).Raw(`SELECT next_seq FROM letter_counters WHERE office_id = ?`, office.ID).Scan(&seqAfter)
			if len(seqAfter) != 1 || len(seqBefore) != 1 || seqAfter[0] != seqBefore[0] {
				t.Fatalf("counter %v → %v: the failed letter kept its number", seqBefore, seqAfter)
			}
		})

		t.Run("NoOffice", func(t *testing.T) {
			// Caught before the transaction, with the same advice.
			for {
				office, err := w.reg.OfficeFor(ctx, seen.Business.RegionID)
				if errs.Is(err, errs.NotFound) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := w.d.Gorm(ctx).Exec(`DELETE FROM offices WHERE id = ?`, office.ID).Error; err != nil {
					t.Fatal(err)
				}
			}
			_, _, err := w.sup.Submit(ctx, w.report(t, "letter-no-office", seen.BusinessID, seen.CadreID))
			if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), "尚未设置食安办") || !strings.Contains(errs.MessageOf(err), "本次督导尚未保存") {
				t.Fatalf("err = %v (%s)", err, errs.MessageOf(err))
			}
			if n := w.countRows(t, "visits", "submission_key = ?", "letter-no-office"); n != 0 {
				t.Fatal("the visit was stored without the letter it asked for")
			}
		})
	})
}
