package bot

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/visitform"
)

// flowVisit is the supervision visit report (上报督导).
const flowVisit = "visit"

// Step keys of the visit flow: those the H5 form maps onto (visitform).
const (
	sBusiness   = visitform.KeyBusiness
	sMode       = visitform.KeyMode
	sCheck      = visitform.KeyCheck
	sLocation   = visitform.KeyLocation
	sStatus     = visitform.KeyStatus
	sStatusNote = visitform.KeyStatusNote
	sContact    = visitform.KeyContact
	sConfirm    = visitform.KeyConfirm
	sLetterAsk  = visitform.KeyLetter
	itemPrefix  = visitform.ItemPrefix
	sAgain      = "again"
)

// maxListed is how many businesses a prompt lists: enough for a cadre's
// whole load (5–14 businesses), short enough for one chat bubble.
const maxListed = 10

// visitFlow builds the visit report on the dialog engine. Steps depend on
// answers: the checklist comes from the business's category and the
// quick/full choice, and every item marked "有问题" adds its issue steps.
func (b *Bot) visitFlow() *dialog.Flow {
	return &dialog.Flow{
		Name:     flowVisit,
		Noun:     "督导",
		Command:  cmdReport,
		Label:    func(s *dialog.Session) string { return visitOf(s).BusinessName },
		Progress: b.visitProgress,
		Steps:    b.visitSteps,
		Submit: func(ctx context.Context, s *dialog.Session) (dialog.Reply, error) {
			return b.submitVisit(ctx, s)
		},
	}
}

func (b *Bot) visitSteps(ctx context.Context, s *dialog.Session) ([]dialog.Step, error) {
	which := checkStep(b.supervision.Checklists())
	if b.selfcheck != nil {
		// The business's own records since the last visit: fetched once
		// the check is chosen, shown in the daily_weekly_monthly item.
		which.Validate = b.prefillSelfCheck
	}
	steps := []dialog.Step{b.businessStep(), againStep(), modeStep(), which}
	items := b.checklistFor(s)
	check, _ := s.Answer(sCheck)
	for i, it := range items {
		st := itemStep(it, check.Text, i, items)
		if it.ID == itemSelfCheck {
			st.Prompt = withSelfCheckCounts(st.Prompt)
		}
		if i == 0 && check.Text == supervision.CheckFull {
			st.Prompt = b.withFormLink(st.Prompt)
		}
		steps = append(steps, st)
	}
	for _, it := range items {
		it := it
		if v, ok := s.Answer(itemPrefix + it.ID); ok && v.Text == string(supervision.ResultIssue) {
			steps = append(steps, b.issueSteps(it, b.itemLabel(s, it.ID))...)
		}
	}
	return append(steps, b.locationStep(), statusStep(), statusNoteStep(), contactStep(), b.letterStep(), b.confirmStep()), nil
}

// visitProgress says where a report stands, for the resume question:
// 第2/4项 on a checklist item, else what the step asks.
func (b *Bot) visitProgress(s *dialog.Session, step string) string {
	if id, ok := strings.CutPrefix(step, itemPrefix); ok {
		items := b.checklistFor(s)
		for i, it := range items {
			if it.ID == id {
				return fmt.Sprintf(msgProgressItem, i+1, len(items))
			}
		}
	}
	switch {
	case strings.HasSuffix(step, ":photo"):
		return msgProgressPhoto
	case strings.HasSuffix(step, ":deadline"):
		return msgProgressDeadline
	case strings.HasPrefix(step, "issue:"):
		return msgProgressIssue
	}
	return stepNames[step]
}

// letterStep asks whether to send the business a prompt letter, when the
// visit found problems.
func (b *Bot) letterStep() dialog.Step {
	return dialog.Step{
		Key: sLetterAsk, Kind: dialog.KindYesNo, Help: msgHelpLetter,
		When: func(s *dialog.Session) bool { return b.lettersSvc != nil && b.issueCount(s) > 0 },
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
			// Right after the location: how far from the shop it was sent.
			return distanceLine(s) + fmt.Sprintf(msgAskLetter, b.issueCount(s)), nil
		},
	}
}

func (b *Bot) issueCount(s *dialog.Session) int {
	n := 0
	for _, it := range b.checklistFor(s) {
		if v, ok := s.Answer(itemPrefix + it.ID); ok && v.Text == string(supervision.ResultIssue) {
			n++
		}
	}
	return n
}

// itemLabel is an item's name as the chosen check shows it.
func (b *Bot) itemLabel(s *dialog.Session, id string) string {
	check, _ := s.Answer(sCheck)
	return b.supervision.Checklists().Label(id, check.Text)
}

// checklistFor is the items of the chosen check for the chosen business.
func (b *Bot) checklistFor(s *dialog.Session) []supervision.Item {
	v, ok := s.Answer(sCheck)
	st := visitOf(s)
	if !ok || st.Category == "" {
		return nil
	}
	return b.supervision.Checklists().Expected(v.Text, st.Category, st.Grade)
}

func (b *Bot) businessStep() dialog.Step {
	return dialog.Step{
		Key:     sBusiness,
		Kind:    dialog.KindText,
		Help:    msgHelpBusiness,
		Options: func(s *dialog.Session) []string { return visitOf(s).listedNames },
		When:    func(s *dialog.Session) bool { return !visitOf(s).Preselected },
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
			st := visitOf(s)
			if st.Picking != "" {
				return b.candidatesPrompt(ctx, st)
			}
			tasks, err := b.supervision.Tasks(ctx, st.CadreID)
			if err != nil {
				return "", err
			}
			if len(tasks) == 0 {
				st.Listed = nil
				return msgPickBusinessNoTasks, nil
			}
			var ids []int64
			var lines []string
			st.listedNames = nil
			for i, t := range tasks {
				if i == maxListed {
					break
				}
				ids = append(ids, t.BusinessID)
				st.listedNames = append(st.listedNames, t.Name)
				lines = append(lines, fmt.Sprintf("%d. %s（%s）", i+1, t.Name, taskDue(t)))
			}
			st.Listed = ids
			more := ""
			if len(tasks) > maxListed {
				more = fmt.Sprintf(msgMoreTasks, len(tasks)-maxListed)
			}
			if _, ok := b.links.(formLinker); ok {
				more += msgPickFormHint
			}
			return msgPickBusiness + "\n" + strings.Join(lines, "\n") + more, nil
		},
		Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
			st := visitOf(s)
			biz, reason, err := b.pickBusiness(ctx, st.CadreID, st.Listed, v.Text)
			if err != nil || reason != "" {
				return v, reason, err
			}
			if err := b.chooseBusiness(ctx, st, biz); err != nil {
				return v, "", err
			}
			if st.Pending != "" {
				// A one-message report's checklist, now that the business is known.
				q, _ := parseQuick(st.Pending)
				st.Pending = ""
				answers, reason := q.answers(b.supervision.Checklists().Expected(supervision.CheckQuick, st.Category, st.Grade))
				if reason != "" {
					return v, reason, nil
				}
				for k, a := range answers {
					s.Preset(k, a)
				}
			}
			return dialog.Value{Text: strconv.FormatInt(biz.ID, 10)}, "", nil
		},
	}
}

// pickBusiness resolves "2", a name fragment or a code fragment to one of
// the cadre's businesses, or explains why it cannot.
func (b *Bot) pickBusiness(ctx context.Context, cadreID int64, listed []int64, text string) (*registry.Business, string, error) {
	text = strings.TrimSpace(text)
	if n, err := strconv.Atoi(toASCIIDigits(text)); err == nil {
		if n < 1 || n > len(listed) {
			// An empty list still says "1 到 1", as it always has.
			return nil, fmt.Sprintf(msgNoSuchNumber, max(len(listed), 1)), nil
		}
		biz, err := b.supervision.CheckCanReport(ctx, cadreID, listed[n-1])
		if err != nil {
			return nil, userReason(err), nil
		}
		return biz, "", nil
	}
	if len([]rune(text)) < 2 {
		return nil, msgNameTooShort, nil
	}
	mine, _, err := b.query.Businesses(ctx, query.BusinessFilter{CadreID: cadreID, Query: text, Limit: 6})
	if err != nil {
		return nil, "", err
	}
	switch {
	case len(mine) == 1:
		biz, err := b.registry.Business(ctx, mine[0].ID)
		return biz, "", err
	case len(mine) > 1:
		var names []string
		for i, m := range mine {
			if i == 5 {
				break
			}
			names = append(names, "· "+m.Name)
		}
		return nil, msgManyMatches + "\n" + strings.Join(names, "\n"), nil
	}
	// Not one of mine: say whose it is, so the cadre knows whom to ask.
	others, _, err := b.query.Businesses(ctx, query.BusinessFilter{Query: text, Limit: 2})
	if err != nil {
		return nil, "", err
	}
	if len(others) == 1 {
		if _, err := b.supervision.CheckCanReport(ctx, cadreID, others[0].ID); err != nil {
			return nil, userReason(err), nil
		}
	}
	return nil, fmt.Sprintf(msgNoMatch, text), nil
}

func modeStep() dialog.Step {
	return dialog.Step{
		Key: sMode, Kind: dialog.KindChoice, Help: msgHelpMode,
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
			return fmt.Sprintf(msgAskMode, visitOf(s).BusinessName), nil
		},
		Choices: func(ctx context.Context, s *dialog.Session) ([]dialog.Choice, error) {
			return []dialog.Choice{
				{Key: string(supervision.ModeOnsite), Label: supervision.ModeOnsite.Label(), Aliases: modeWords[supervision.ModeOnsite]},
				{Key: string(supervision.ModeOnline), Label: supervision.ModeOnline.Label(), Aliases: modeWords[supervision.ModeOnline]},
				{Key: string(supervision.ModeCentralized), Label: supervision.ModeCentralized.Label(), Aliases: modeWords[supervision.ModeCentralized]},
			}, nil
		},
	}
}

func checkStep(lists *supervision.Checklists) dialog.Step {
	return dialog.Step{
		Key: sCheck, Kind: dialog.KindChoice, Help: msgHelpCheck,
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) { return msgAskCheck, nil },
		Choices: func(ctx context.Context, s *dialog.Session) ([]dialog.Choice, error) {
			st := visitOf(s)
			full := len(lists.ForGrade(st.Category, st.Grade))
			return []dialog.Choice{
				{Key: "quick", Label: fmt.Sprintf("快速检查（%d项关键点）", len(lists.Quick())), Aliases: []string{"快速", "快速检查"}},
				{Key: "full", Label: fmt.Sprintf("全面检查（%d项）", full), Aliases: []string{"全面", "全面检查"}},
			}, nil
		},
	}
}

func itemStep(it supervision.Item, check string, i int, all []supervision.Item) dialog.Step {
	return dialog.Step{
		Key: itemPrefix + it.ID, Kind: dialog.KindChoice, Help: msgHelpItem,
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
			return fmt.Sprintf(msgAskItem, i+1, len(all), it.LabelFor(check)), nil
		},
		Choices: func(ctx context.Context, s *dialog.Session) ([]dialog.Choice, error) {
			return []dialog.Choice{
				{Key: string(supervision.ResultOK), Label: "合格", Aliases: []string{"好", "正常", "ok", "OK", "√"}},
				{Key: string(supervision.ResultIssue), Label: "有问题", Aliases: []string{"问题", "不合格", "×"}},
				{Key: string(supervision.ResultNA), Label: "不适用", Aliases: []string{"无", "不涉及"}},
			}, nil
		},
		Shortcuts: map[string]func(ctx context.Context, s *dialog.Session) (string, error){
			"全部合格": func(ctx context.Context, s *dialog.Session) (string, error) {
				jump := ""
				for _, rest := range all[i:] {
					if v, ok := s.Answer(itemPrefix + rest.ID); ok && v.Text != string(supervision.ResultOK) && rest.ID != it.ID {
						continue
					}
					s.Set(itemPrefix+rest.ID, dialog.Value{Text: string(supervision.ResultOK)})
				}
				// Continue with the first issue's questions, if any, else the location.
				for _, x := range all {
					if v, ok := s.Answer(itemPrefix + x.ID); ok && v.Text == string(supervision.ResultIssue) {
						return issueKey(x.ID, "desc"), nil
					}
				}
				jump = sLocation
				return jump, nil
			},
		},
	}
}

func issueKey(itemID, part string) string { return visitform.IssueKey(itemID, part) }

func (b *Bot) issueSteps(it supervision.Item, label string) []dialog.Step {
	deadlineDays := b.supervision.Rules().DeadlineDays
	return []dialog.Step{
		{
			Key: issueKey(it.ID, "desc"), Kind: dialog.KindText, Help: msgHelpIssueDesc, Title: msgTitleIssueDesc,
			Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
				return fmt.Sprintf(msgAskIssueDesc, label), nil
			},
		},
		{
			Key: issueKey(it.ID, "photo"), Kind: dialog.KindPhoto, Multi: true, Skippable: true, Help: msgHelpIssuePhoto,
			Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
				if it.PhotoExpected {
					return msgAskIssuePhotoExpected, nil
				}
				return msgAskIssuePhoto, nil
			},
		},
		{
			Key: issueKey(it.ID, "deadline"), Kind: dialog.KindDate, Skippable: true, Help: msgHelpDeadline,
			// Not asked: the configured deadline unless the cadre goes back to it.
			Default: func(*dialog.Session) dialog.Value {
				return dialog.Value{Date: clock.Date(b.clock.Now()).AddDate(0, 0, deadlineDays)}
			},
			Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
				def := clock.Date(b.clock.Now()).AddDate(0, 0, deadlineDays)
				return fmt.Sprintf(msgAskDeadline, deadlineDays, def.Format("1月2日")), nil
			},
			Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
				if v.Skipped {
					return v, "", nil
				}
				today := clock.Date(b.clock.Now())
				d := clock.Date(v.Date)
				switch {
				case d.Before(today):
					return v, msgDeadlinePast, nil
				case d.After(today.AddDate(0, 0, 90)):
					return v, msgDeadlineTooFar, nil
				}
				return v, "", nil
			},
		},
	}
}

func (b *Bot) locationStep() dialog.Step {
	return dialog.Step{
		Key: sLocation, Kind: dialog.KindLocation, Skippable: true, Help: msgHelpLocation,
		When: func(s *dialog.Session) bool {
			v, ok := s.Answer(sMode)
			return ok && v.Text == string(supervision.ModeOnsite)
		},
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) { return msgAskLocation, nil },
		Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
			st := visitOf(s)
			st.Distance, st.Far = nil, false
			if v.Skipped || v.Location == nil {
				return v, "", nil
			}
			biz, err := b.placeOf(ctx, st)
			if err != nil {
				return v, "", err
			}
			if m, far, ok := b.supervision.Distance(biz, supervision.Location{Lat: v.Location.Lat, Lng: v.Location.Lng}); ok {
				// Whole metres, rounded as the stored text always was.
				m = math.RoundToEven(m)
				st.Distance, st.Far = &m, far
			}
			return v, "", nil
		},
	}
}

func statusStep() dialog.Step {
	return dialog.Step{
		Key: sStatus, Kind: dialog.KindChoice, Help: msgHelpStatus,
		// 正常经营 is not asked; the cadre says 停业 or 搬迁 when it is not.
		Default: func(*dialog.Session) dialog.Value { return dialog.Value{Text: "normal"} },
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
			return distanceLine(s) + msgAskStatus, nil
		},
		Choices: func(ctx context.Context, s *dialog.Session) ([]dialog.Choice, error) {
			return []dialog.Choice{
				{Key: "normal", Label: "正常经营", Aliases: []string{"正常"}},
				{Key: string(registry.EventChanged), Label: "信息变更（名称、负责人等）", Aliases: []string{"变更"}},
				{Key: string(registry.EventRelocated), Label: "搬迁", Aliases: []string{"迁址"}},
				{Key: string(registry.EventSuspended), Label: "停产停业", Aliases: []string{"停业", "停产", "关门"}},
			}, nil
		},
	}
}

func statusNoteStep() dialog.Step {
	return dialog.Step{
		Key: sStatusNote, Kind: dialog.KindText, Help: msgHelpStatusNote, Title: msgTitleStatusNote,
		When: func(s *dialog.Session) bool {
			v, ok := s.Answer(sStatus)
			return ok && v.Text != "normal"
		},
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
			v, _ := s.Answer(sStatus)
			return statusNotePrompts[v.Text], nil
		},
	}
}

func contactStep() dialog.Step {
	return dialog.Step{
		Key: sContact, Kind: dialog.KindText, Skippable: true, Help: msgHelpContact, Title: msgTitleContact,
		// Optional, so not asked: 对接人 at the summary records one.
		Default: func(*dialog.Session) dialog.Value { return dialog.Value{Skipped: true} },
		Prompt:  func(ctx context.Context, s *dialog.Session) (string, error) { return msgAskContact, nil },
		Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
			if !v.Skipped && len([]rune(strings.TrimSpace(v.Text))) > 32 {
				return v, msgContactTooLong, nil
			}
			return v, "", nil
		},
	}
}

func (b *Bot) confirmStep() dialog.Step {
	return dialog.Step{
		Key: sConfirm, Kind: dialog.KindYesNo, Help: msgHelpConfirm, Menu: []string{"确认", "返回", "取消"},
		Prompt:    func(ctx context.Context, s *dialog.Session) (string, error) { return b.summary(s), nil },
		Shortcuts: statusShortcuts(),
		Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
			if !v.Bool {
				return v, msgConfirmNo, nil
			}
			return v, "", nil
		},
	}
}
