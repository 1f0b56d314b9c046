package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Choosing the business of a report, and what follows from it: a business
// already covered this cycle is asked about (加报), and a name that fits
// several gets a short pick list, never a guess.

// chooseBusiness sets the report's business and whether it was covered
// already this cycle.
func (b *Bot) chooseBusiness(ctx context.Context, st *visitState, biz *registry.Business) error {
	st.setBusiness(biz)
	st.Picking, st.CoveredOn, st.CycleWord = "", "", ""
	at, c, err := b.supervision.CoveredAt(ctx, *biz)
	if err != nil {
		return err
	}
	if !at.IsZero() {
		st.CoveredOn, st.CycleWord = at.Format("1月2日"), cycleWord(c)
	}
	return nil
}

// cycleWord names the current cycle as a cadre says it: 本季度.
func cycleWord(c supervision.Cycle) string {
	switch c.Period {
	case supervision.PeriodYear:
		return "本年度"
	case supervision.PeriodHalf:
		return "本半年"
	case supervision.PeriodMonth:
		return "本月"
	}
	return "本季度"
}

// againStep asks, for a business already covered this cycle, whether to
// report again; 否 ends the conversation.
func againStep() dialog.Step {
	return dialog.Step{
		Key: sAgain, Kind: dialog.KindYesNo, Help: msgHelpAgain,
		When: func(s *dialog.Session) bool { return visitOf(s).CoveredOn != "" },
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
			st := visitOf(s)
			return fmt.Sprintf(msgAskAgain, st.BusinessName, st.CycleWord, st.CoveredOn), nil
		},
		Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
			if !v.Bool {
				return v, "", dialog.End(msgNotAgain)
			}
			return v, "", nil
		},
	}
}

// candidatesPrompt lists the businesses a one-message report's name fits.
func (b *Bot) candidatesPrompt(ctx context.Context, st *visitState) (string, error) {
	lines := make([]string, 0, len(st.Listed))
	st.listedNames = nil
	for i, id := range st.Listed {
		biz, err := b.registry.Business(ctx, id)
		if err != nil {
			return "", err
		}
		st.listedNames = append(st.listedNames, biz.Name)
		lines = append(lines, fmt.Sprintf("%d. %s（%s）", i+1, biz.Name, biz.Address))
	}
	return fmt.Sprintf(msgPickAmong, len(st.Listed), st.Picking) + "\n" + strings.Join(lines, "\n"), nil
}

// findBusiness resolves what a one-message report said of the business: a
// number from 我的任务, a credit code or a name fragment. It returns the
// business, or the candidates when several fit, or the reason none does.
// A number is one of shown, the 我的任务 the cadre last saw, when there
// is one; else of the task list as it is now.
func (b *Bot) findBusiness(ctx context.Context, cadreID int64, ref string, shown []int64) (*registry.Business, []int64, string, error) {
	if n, err := strconv.Atoi(toASCIIDigits(ref)); err == nil && len(ref) <= 4 {
		ids := shown
		if ids == nil {
			tasks, err := b.supervision.Tasks(ctx, cadreID)
			if err != nil {
				return nil, nil, "", err
			}
			for _, t := range tasks {
				ids = append(ids, t.BusinessID)
			}
		}
		if n < 1 || n > len(ids) {
			return nil, nil, fmt.Sprintf(msgNoSuchNumber, max(len(ids), 1)), nil
		}
		biz, err := b.supervision.CheckCanReport(ctx, cadreID, ids[n-1])
		if err != nil {
			return nil, nil, userReason(err), nil
		}
		return biz, nil, "", nil
	}
	if len([]rune(ref)) < 2 {
		return nil, nil, msgNameTooShort, nil
	}
	mine, _, err := b.query.Businesses(ctx, query.BusinessFilter{CadreID: cadreID, Query: ref, Limit: maxPick + 1})
	if err != nil {
		return nil, nil, "", err
	}
	switch {
	case len(mine) == 1:
		biz, err := b.registry.Business(ctx, mine[0].ID)
		return biz, nil, "", err
	case len(mine) > 1:
		ids := make([]int64, 0, maxPick)
		for i, m := range mine {
			if i == maxPick {
				break
			}
			ids = append(ids, m.ID)
		}
		return nil, ids, "", nil
	}
	_, reason, err := b.pickBusiness(ctx, cadreID, nil, ref)
	return nil, nil, reason, err
}

// maxPick is how many businesses a pick list shows: short enough to read
// and to tap.
const maxPick = 5

// statusShortcuts let the cadre change the status at the summary in one
// word: 停业, 搬迁, 变更 (then the note), 对接人 (then the name).
func statusShortcuts() map[string]func(context.Context, *dialog.Session) (string, error) {
	set := func(kind registry.EventKind) func(context.Context, *dialog.Session) (string, error) {
		return func(_ context.Context, s *dialog.Session) (string, error) {
			s.Set(sStatus, dialog.Value{Text: string(kind)})
			return sStatusNote, nil
		}
	}
	return map[string]func(context.Context, *dialog.Session) (string, error){
		"停业":   set(registry.EventSuspended),
		"停产停业": set(registry.EventSuspended),
		"搬迁":   set(registry.EventRelocated),
		"变更":   set(registry.EventChanged),
		"对接人":  func(context.Context, *dialog.Session) (string, error) { return sContact, nil },
	}
}
