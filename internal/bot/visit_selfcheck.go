package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// The visit's view of the business's own records: the counts since the
// last visit, shown in the daily_weekly_monthly checklist item.

// prefillSelfCheck validates the visit's check step: once the check is
// chosen, when its items include daily_weekly_monthly, the business's
// record counts since the last visit are fetched for that item's question
// and the visit's remarks, and the item is pre-set to 合格 when the
// business keeps daily records online (the cadre sees it as the current
// answer and can change it; 全部合格 keeps it). Without records nothing is
// pre-set: a paper ledger is the cadre's to judge.
func (b *Bot) prefillSelfCheck(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
	st := visitOf(s)
	items := b.supervision.Checklists().Expected(v.Text, st.Category, st.Grade)
	st.SelfCheck, st.SelfCheckLink = "", ""
	if !slices.ContainsFunc(items, func(it supervision.Item) bool { return it.ID == itemSelfCheck }) {
		return v, "", nil
	}
	c, err := b.selfcheck.SinceLastVisit(ctx, st.BusinessID)
	if err != nil {
		return v, "", err
	}
	since := fmt.Sprintf(msgVisitSelfCheckNew, int(clock.Date(b.clock.Now()).Sub(c.Since).Hours()/24))
	if c.Visited {
		since = fmt.Sprintf(msgVisitSelfCheckSince, c.Since.Format("2006年1月2日"))
	}
	line := fmt.Sprintf(msgVisitSelfCheck, since, c.Daily, c.Weekly, c.Monthly)
	if c.Daily+c.Weekly+c.Monthly == 0 {
		line += msgVisitSelfCheckNone
	}
	st.SelfCheck = line
	st.SelfCheckLink = b.selfcheck.LedgerURL(st.BusinessID, registry.ActorOf("cadre", st.CadreID))
	if _, answered := s.Answer(itemPrefix + itemSelfCheck); !answered && c.Daily > 0 {
		s.Set(itemPrefix+itemSelfCheck, dialog.Value{Text: string(supervision.ResultOK)})
	}
	return v, "", nil
}

// withSelfCheckCounts adds the record counts prefillSelfCheck fetched to
// the daily_weekly_monthly item's question, after its first line.
func withSelfCheckCounts(prompt func(context.Context, *dialog.Session) (string, error)) func(context.Context, *dialog.Session) (string, error) {
	return func(ctx context.Context, s *dialog.Session) (string, error) {
		p, err := prompt(ctx, s)
		st := visitOf(s)
		if err != nil || st.SelfCheck == "" {
			return p, err
		}
		extra := st.SelfCheck
		if l := st.SelfCheckLink; l != "" {
			extra += fmt.Sprintf(msgVisitLedger, l)
		}
		head, rest, ok := strings.Cut(p, "\n")
		if !ok {
			return p + "\n" + extra, nil
		}
		return head + "\n" + extra + "\n" + rest, nil
	}
}
