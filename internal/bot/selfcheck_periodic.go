package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
)

// 周排查 and 月调度: the weekly review and the monthly dispatch of the
// business's own records.

// startPeriodic begins 周排查 or 月调度: for this week (month), or the one
// before while it may still be recorded and is not.
func (b *Bot) startPeriodic(ctx context.Context, u user, c *account.Contact, biz *registry.Business, k selfcheck.Kind) (dialog.Reply, error) {
	now := b.clock.Now()
	cur := selfcheck.PeriodOf(k, now)
	st := newSCState(c, biz)
	st.PeriodKey = cur.Key
	if prev := cur.Prev(); prevOpen(prev, now) {
		_, err := b.selfcheck.Record(ctx, biz.ID, prev)
		switch {
		case errs.Is(err, errs.NotFound):
			st.PeriodKey, st.Choose = "", true
		case err != nil:
			return dialog.Reply{}, err
		}
	}
	if st.PeriodKey != "" {
		if err := b.preparePeriod(ctx, st, cur, now); err != nil {
			return dialog.Reply{}, err
		}
	}
	flow, cmd := flowWeekly, cmdWeekly
	if k == selfcheck.Monthly {
		flow, cmd = flowMonthly, cmdMonthly
	}
	return b.start(ctx, u, flow, st, cmd)
}

func prevOpen(p selfcheck.Period, now time.Time) bool {
	ok, _ := p.Open(now)
	return ok
}

// preparePeriod records the chosen period in the flow's state: whether
// it is late, what was recorded of it before, and (for a week) how many
// problems its days found, which decides the steps.
func (b *Bot) preparePeriod(ctx context.Context, st *scState, p selfcheck.Period, now time.Time) error {
	late, err := p.Check(now)
	if err != nil {
		return err
	}
	st.PeriodKey, st.Late, st.Existing = p.Key, late, ""
	r, err := b.selfcheck.Record(ctx, st.BusinessID, p)
	switch {
	case err == nil:
		format := msgWeekExisting
		if p.Kind == selfcheck.Monthly {
			format = msgMonthExisting
		}
		st.Existing = fmt.Sprintf(format, p.Label(), r.UpdatedAt.In(clock.China).Format("1月2日15:04"))
	case !errs.Is(err, errs.NotFound):
		return err
	}
	if p.Kind == selfcheck.Weekly {
		sum, err := b.selfcheck.WeekSummary(ctx, st.BusinessID, p)
		if err != nil {
			return err
		}
		st.Problems = len(sum.Problems)
	}
	return nil
}

// whichStep asks which period to record when the previous one is still
// open and empty.
func (b *Bot) whichStep(k selfcheck.Kind) dialog.Step {
	format := msgWeekChoose
	if k == selfcheck.Monthly {
		format = msgMonthChoose
	}
	names := map[selfcheck.Kind][2]string{selfcheck.Weekly: {"上周", "本周"}, selfcheck.Monthly: {"上月", "本月"}}[k]
	return dialog.Step{
		Key: sSCWhich, Kind: dialog.KindChoice,
		When: func(s *dialog.Session) bool { return scOf(s).Choose },
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
			prev := selfcheck.PeriodOf(k, b.clock.Now()).Prev()
			return fmt.Sprintf(format, names[0]+"（"+prev.Label()+"）"), nil
		},
		Choices: func(ctx context.Context, s *dialog.Session) ([]dialog.Choice, error) {
			cur := selfcheck.PeriodOf(k, b.clock.Now())
			return []dialog.Choice{
				{Key: cur.Prev().Key, Label: names[0] + "（" + cur.Prev().Label() + "，补记）", Aliases: []string{names[0], "补记"}},
				{Key: cur.Key, Label: names[1] + "（" + cur.Label() + "）", Aliases: []string{names[1]}},
			}, nil
		},
		Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
			p, err := selfcheck.ParsePeriod(k, v.Text)
			if err != nil {
				return v, "", err
			}
			if err := b.preparePeriod(ctx, scOf(s), p, b.clock.Now()); err != nil {
				return v, "", err
			}
			return v, "", nil
		},
	}
}

func (b *Bot) weeklyFlow() *dialog.Flow {
	problems := func(s *dialog.Session) bool { return scOf(s).Problems > 0 }
	notFixed := func(s *dialog.Session) bool { v, ok := s.Answer(sSCFixed); return problems(s) && ok && !v.Bool }
	return &dialog.Flow{
		Name:    flowWeekly,
		Noun:    cmdWeekly,
		Command: cmdWeekly,
		Label:   scLabel(selfcheck.Weekly),
		Steps: func(ctx context.Context, s *dialog.Session) ([]dialog.Step, error) {
			return []dialog.Step{
				b.whichStep(selfcheck.Weekly),
				{Key: sSCFixed, Kind: dialog.KindYesNo, Help: msgHelpWeekFix, When: problems,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
						sum, err := b.weekText(ctx, s)
						return sum + msgAskWeekFixed, err
					}},
				{Key: sSCOpen, Kind: dialog.KindText, Help: msgHelpOpen, When: notFixed,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) { return msgAskOpenItems, nil }},
				{Key: sSCRisks, Kind: dialog.KindText, Help: msgHelpRisks,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
						if problems(s) {
							return msgAskNextRisks, nil
						}
						sum, err := b.weekText(ctx, s)
						return sum + "\n\n" + msgAskNextRisks, err
					}},
			}, nil
		},
		Submit: func(ctx context.Context, s *dialog.Session) (dialog.Reply, error) {
			p := scPeriod(s, selfcheck.Weekly)
			fixed, _ := s.Answer(sSCFixed)
			saved, err := b.selfcheck.SubmitWeekly(ctx, selfcheck.WeeklyInput{SubmissionKey: s.ID, ContactID: scOf(s).ContactID,
				Week: p.Start, Resolved: !problems(s) || fixed.Bool, OpenItems: answerText(s, sSCOpen), NextRisks: answerText(s, sSCRisks)})
			if err != nil {
				return dialog.Reply{}, err
			}
			w := saved.Record.Body.Week
			state := msgWeekAllFixed
			if !saved.Record.Body.Resolved {
				state = msgWeekOpen
			}
			text := fmt.Sprintf(msgWeeklyDone, p.Label(), lateShort(s), w.Recorded, w.Days, len(w.Problems), state)
			return dialog.Reply{Text: text + b.scTail(s, saved), Done: true}, nil
		},
	}
}

// weekText is the week's daily summary, after what was recorded before.
func (b *Bot) weekText(ctx context.Context, s *dialog.Session) (string, error) {
	p := scPeriod(s, selfcheck.Weekly)
	st := scOf(s)
	sum, err := b.selfcheck.WeekSummary(ctx, st.BusinessID, p)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.WriteString(st.Existing)
	fmt.Fprintf(&sb, msgWeekSummary, st.Name, p.Label()+lateMark(s), sum.Recorded, sum.Days)
	if len(sum.Missing) > 0 {
		fmt.Fprintf(&sb, msgWeekMissing, strings.Join(sum.MissingLabels(), "、"))
	}
	if len(sum.Problems) == 0 {
		sb.WriteString(msgWeekNoIssues)
		return sb.String(), nil
	}
	fmt.Fprintf(&sb, msgWeekIssues, len(sum.Problems), sum.Open)
	for _, pr := range sum.Problems {
		state := "已处置"
		if !pr.Resolved {
			state = "需跟进"
		}
		fmt.Fprintf(&sb, msgWeekIssue, pr.DayLabel(), shortLabel(pr.Label), pr.Note, state)
	}
	return sb.String(), nil
}

func (b *Bot) monthlyFlow() *dialog.Flow {
	return &dialog.Flow{
		Name:    flowMonthly,
		Noun:    cmdMonthly,
		Command: cmdMonthly,
		Label:   scLabel(selfcheck.Monthly),
		Steps: func(ctx context.Context, s *dialog.Session) ([]dialog.Step, error) {
			return []dialog.Step{
				b.whichStep(selfcheck.Monthly),
				{Key: sSCConclusions, Kind: dialog.KindText, Help: msgHelpConclude,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
						fig, err := b.monthText(ctx, s)
						return fig + msgAskConclusions, err
					}},
				{Key: sSCKeyWork, Kind: dialog.KindText, Help: msgHelpKeyWork,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) { return msgAskKeyWork, nil }},
			}, nil
		},
		Submit: func(ctx context.Context, s *dialog.Session) (dialog.Reply, error) {
			p := scPeriod(s, selfcheck.Monthly)
			saved, err := b.selfcheck.SubmitMonthly(ctx, selfcheck.MonthlyInput{SubmissionKey: s.ID, ContactID: scOf(s).ContactID,
				Month: p.Start, Conclusions: answerText(s, sSCConclusions), KeyWork: answerText(s, sSCKeyWork)})
			if err != nil {
				return dialog.Reply{}, err
			}
			text := fmt.Sprintf(msgMonthlyDone, p.Label(), lateShort(s))
			return dialog.Reply{Text: text + b.scTail(s, saved), Done: true}, nil
		},
	}
}

// monthText is the month's figures, after what was recorded before.
func (b *Bot) monthText(ctx context.Context, s *dialog.Session) (string, error) {
	p := scPeriod(s, selfcheck.Monthly)
	st := scOf(s)
	f, err := b.selfcheck.MonthFigures(ctx, st.BusinessID, p)
	if err != nil {
		return "", err
	}
	through := p.End
	if today := clock.Date(b.clock.Now()); today.Before(through) {
		through = today
	}
	var sb strings.Builder
	sb.WriteString(st.Existing)
	fmt.Fprintf(&sb, msgMonthFigures, st.Name, p.Label()+lateMark(s), through.Format("1月2日"),
		f.Recorded, f.Days, f.Problems, f.Open, f.Weekly)
	if f.Supervision {
		fmt.Fprintf(&sb, msgMonthOversight, f.Visits, f.VisitFindings, f.Letters, f.LettersAcked)
	}
	return sb.String(), nil
}

// scTail ends a weekly or monthly receipt: who made it when it is not the
// post's own, and the ledger link.
func (b *Bot) scTail(s *dialog.Session, saved *selfcheck.Saved) string {
	var sb strings.Builder
	if saved.Revision > 1 {
		fmt.Fprintf(&sb, msgResubmit, saved.Revision)
	}
	if !saved.RoleMatches {
		r := saved.Record
		fmt.Fprintf(&sb, msgRoleNote, r.Kind.Label(), roleNames[string(r.Kind)], r.ContactName, r.ContactRole.Label())
	}
	st := scOf(s)
	if url := b.selfcheck.LedgerURL(st.BusinessID, registry.ActorOf("contact", st.ContactID)); url != "" {
		fmt.Fprintf(&sb, msgSeeLedger, url)
	}
	return sb.String()
}
