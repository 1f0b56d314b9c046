package letter_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/notify/notifytest"
	"github.com/shianbao/shianbao/templates"
)

// TestLetterTeaches: a visit's problem on a checklist item reaches the
// business with the item's knowledge text — printed in the letter after
// the findings, and in a message to each bound contact that points to it.
func TestLetterTeaches(t *testing.T) {
	each(t, func(t *testing.T, w *district) {
		ctx := context.Background()
		seen := w.visitWithFindings(t)
		contact := w.bindContact(t, seen.BusinessID, "o-biz-teach")
		in := w.report(t, "letter-teach", seen.BusinessID, seen.CadreID)
		item := in.Findings[0].ItemID
		want, ok := w.sup.Checklists().ArticleFor(item)
		if !ok {
			t.Fatalf("item %s names no article", item)
		}
		v, _, err := w.sup.Submit(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		l, err := w.letters.ForVisit(ctx, v.ID)
		if err != nil || l == nil {
			t.Fatalf("letter: %v", err)
		}
		arts := l.Content.Articles
		if len(arts) != 1 || arts[0].Title != want.Title || len(arts[0].Paragraphs) != len(want.Paragraphs) ||
			len(arts[0].Items) != 1 || arts[0].Items[0] != l.Content.Findings[0].Label {
			t.Fatalf("letter articles = %+v, want %q for %q", arts, want.Title, l.Content.Findings[0].Label)
		}
		ms := notifytest.Of(w.out.Messages(t), "letter.knowledge", notify.ToContact)
		var mine []notify.Message
		for _, m := range ms {
			if m.To.ID == contact.ID && m.Subject != "" && strings.Contains(m.Text, l.Number) {
				mine = append(mine, m)
			}
		}
		if len(mine) != 1 || !strings.Contains(mine[0].Text, "《"+want.Title+"》") || !strings.Contains(mine[0].Text, want.Summary()) || mine[0].URL == "" {
			t.Fatalf("knowledge messages to the contact: %+v", mine)
		}
		sets, err := templates.Load()
		if err != nil {
			t.Fatal(err)
		}
		var page bytes.Buffer
		if err := sets.H5.ExecuteTemplate(&page, "letter-doc", l); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(page.String(), want.Title) || !strings.Contains(page.String(), want.Paragraphs[len(want.Paragraphs)-1]) {
			t.Error("the letter does not print the knowledge text")
		}
	})
}
