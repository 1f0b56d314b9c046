package bot

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// flowVisit is the supervision visit report (上报督导).
const flowVisit = "visit"

// Step keys of the visit flow.
const (
	sBusiness   = "business"
	sMode       = "mode"
	sCheck      = "check"
	sLocation   = "location"
	sStatus     = "status"
	sStatusNote = "status_note"
	sContact    = "contact"
	sConfirm    = "confirm"
	sLetterAsk  = "send_letter"
	itemPrefix  = "item:"
)

// maxListed is how many businesses a prompt lists: enough for a cadre's
// whole load (5–14 businesses), short enough for one chat bubble.
const maxListed = 10

// visitFlow builds the visit report on the dialog engine. Steps depend on
// answers: the checklist comes from the business's category and the
// quick/full choice, and every item marked "有问题" adds its issue steps.
func (b *Bot) visitFlow() *dialog.Flow {
	return &dialog.Flow{
		Name:  flowVisit,
		Noun:  "督导",
		Label: func(s *dialog.Session) string { return visitOf(s).BusinessName },
		Steps: b.visitSteps,
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
	steps := []dialog.Step{b.businessStep(), modeStep(), which}
	items := b.checklistFor(s)
	check, _ := s.Answer(sCheck)
	for i, it := range items {
		st := itemStep(it, check.Text, i, items)
		if it.ID == itemSelfCheck {
			st.Prompt = withSelfCheckCounts(st.Prompt)
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

// letterStep asks whether to send the business a prompt letter, when the
// visit found problems.
func (b *Bot) letterStep() dialog.Step {
	return dialog.Step{
		Key: sLetterAsk, Kind: dialog.KindYesNo, Help: msgHelpLetter,
		When: func(s *dialog.Session) bool { return b.lettersSvc != nil && b.issueCount(s) > 0 },
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
			return fmt.Sprintf(msgAskLetter, b.issueCount(s)), nil
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
		Key:  sBusiness,
		Kind: dialog.KindText,
		Help: msgHelpBusiness,
		When: func(s *dialog.Session) bool { return !visitOf(s).Preselected },
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
			st := visitOf(s)
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
			for i, t := range tasks {
				if i == maxListed {
					break
				}
				ids = append(ids, t.BusinessID)
				lines = append(lines, fmt.Sprintf("%d. %s（%s）", i+1, t.Name, taskDue(t)))
			}
			st.Listed = ids
			more := ""
			if len(tasks) > maxListed {
				more = fmt.Sprintf(msgMoreTasks, len(tasks)-maxListed)
			}
			return msgPickBusiness + "\n" + strings.Join(lines, "\n") + more, nil
		},
		Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
			st := visitOf(s)
			biz, reason, err := b.pickBusiness(ctx, st.CadreID, st.Listed, v.Text)
			if err != nil || reason != "" {
				return v, reason, err
			}
			st.setBusiness(biz)
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
				{Key: string(supervision.ModeOnsite), Label: "现场督导", Aliases: []string{"现场"}},
				{Key: string(supervision.ModeOnline), Label: "在线督导（视频/远程）", Aliases: []string{"在线", "视频", "远程"}},
				{Key: string(supervision.ModeCentralized), Label: "集中督导（会议/培训）", Aliases: []string{"集中", "会议", "培训"}},
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

func issueKey(itemID, part string) string { return "issue:" + itemID + ":" + part }

func (b *Bot) issueSteps(it supervision.Item, label string) []dialog.Step {
	deadlineDays := b.supervision.Rules().DeadlineDays
	return []dialog.Step{
		{
			Key: issueKey(it.ID, "desc"), Kind: dialog.KindText, Help: msgHelpIssueDesc,
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
			biz, err := b.registry.Business(ctx, st.BusinessID)
			if err != nil {
				return v, "", err
			}
			if m, far, ok := b.supervision.Distance(*biz, supervision.Location{Lat: v.Location.Lat, Lng: v.Location.Lng}); ok {
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
		Key: sStatusNote, Kind: dialog.KindText, Help: msgHelpStatusNote,
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
		Key: sContact, Kind: dialog.KindText, Skippable: true, Help: msgHelpContact,
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) { return msgAskContact, nil },
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
		Key: sConfirm, Kind: dialog.KindYesNo, Help: msgHelpConfirm,
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) { return b.summary(s), nil },
		Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
			if !v.Bool {
				return v, msgConfirmNo, nil
			}
			return v, "", nil
		},
	}
}

// summary is what the cadre checks before 确认.
func (b *Bot) summary(s *dialog.Session) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, msgSummaryHead, visitOf(s).BusinessName)
	if v, ok := s.Answer(sMode); ok {
		fmt.Fprintf(&sb, "方式：%s\n", supervision.Mode(v.Text).Label())
	}
	items := b.checklistFor(s)
	var ok, na int
	var issues []string
	for _, it := range items {
		v, _ := s.Answer(itemPrefix + it.ID)
		switch v.Text {
		case string(supervision.ResultOK):
			ok++
		case string(supervision.ResultNA):
			na++
		case string(supervision.ResultIssue):
			issues = append(issues, fmt.Sprintf("· %s：%s（%s前整改）", b.itemLabel(s, it.ID), answerText(s, issueKey(it.ID, "desc")), b.deadlineOf(s, it.ID).Format("1月2日")))
		}
	}
	fmt.Fprintf(&sb, "检查：%d项，合格%d，不适用%d，问题%d\n", len(items), ok, na, len(issues))
	for _, l := range issues {
		sb.WriteString(l + "\n")
	}
	sb.WriteString(distanceLine(s))
	if v, ok := s.Answer(sStatus); ok && v.Text != "normal" {
		fmt.Fprintf(&sb, "经营状态：%s（%s）\n", registry.EventKind(v.Text).Label(), answerText(s, sStatusNote))
	}
	if c := answerText(s, sContact); c != "" {
		fmt.Fprintf(&sb, "现场对接人：%s\n", c)
	}
	sb.WriteString(msgSummaryTail)
	return sb.String()
}

func (b *Bot) deadlineOf(s *dialog.Session, itemID string) time.Time {
	if v, ok := s.Answer(issueKey(itemID, "deadline")); ok && !v.Skipped && !v.Date.IsZero() {
		return clock.Date(v.Date)
	}
	return clock.Date(b.clock.Now()).AddDate(0, 0, b.supervision.Rules().DeadlineDays)
}

func (b *Bot) submitVisit(ctx context.Context, s *dialog.Session) (dialog.Reply, error) {
	st := visitOf(s)
	bizID, cadreID := st.BusinessID, st.CadreID
	mode, _ := s.Answer(sMode)
	check, _ := s.Answer(sCheck)
	in := supervision.VisitInput{
		SubmissionKey: s.ID,
		BusinessID:    bizID,
		CadreID:       cadreID,
		Mode:          supervision.Mode(mode.Text),
		Check:         check.Text,
		StartedAt:     s.Started,
		ContactName:   answerText(s, sContact),
		Remarks:       st.SelfCheck,
		Source:        registry.SourceChat,
		Provenance:    []string{"dialog:" + s.ID},
	}
	for _, it := range b.checklistFor(s) {
		v, _ := s.Answer(itemPrefix + it.ID)
		in.Items = append(in.Items, supervision.ItemResult{ItemID: it.ID, Result: supervision.Result(v.Text)})
		if v.Text != string(supervision.ResultIssue) {
			continue
		}
		f := supervision.FindingInput{
			ItemID:      it.ID,
			Description: answerText(s, issueKey(it.ID, "desc")),
			Deadline:    b.deadlineOf(s, it.ID),
		}
		f.Requirement = fmt.Sprintf(msgRequirement, f.Description, f.Deadline.Format("2006年1月2日"))
		if p, ok := s.Answer(issueKey(it.ID, "photo")); ok {
			for _, ph := range p.Photos {
				f.Photos = append(f.Photos, supervision.PhotoInput{MediaID: ph.MediaID, PicURL: ph.PicURL, ReceivedAt: b.clock.Now()})
			}
		}
		in.Findings = append(in.Findings, f)
	}
	if v, ok := s.Answer(sLocation); ok && v.Location != nil {
		in.Location = &supervision.Location{Lat: v.Location.Lat, Lng: v.Location.Lng, Label: v.Location.Label}
	}
	if v, ok := s.Answer(sStatus); ok && v.Text != "normal" {
		in.StatusSeen = registry.EventKind(v.Text)
		in.StatusNote = answerText(s, sStatusNote)
	}
	if v, ok := s.Answer(sLetterAsk); ok && v.Bool && b.lettersSvc != nil {
		in.WithLetter = true
	}
	visit, _, err := b.supervision.Submit(ctx, in)
	if err != nil {
		return dialog.Reply{}, err
	}
	text := b.receipt(s, visit, in, cadreID)
	if in.WithLetter {
		text += "\n" + strings.TrimRight(b.letterIssued(ctx, visit.ID), "\n")
	}
	return dialog.Reply{Text: text, Done: true}, nil
}

// receipt is the answer to a stored report: what is now covered, what must
// be fixed by when, and the link to the full record.
func (b *Bot) receipt(s *dialog.Session, v *supervision.Visit, in supervision.VisitInput, cadreID int64) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, msgReceiptHead, visitOf(s).BusinessName, v.CycleLabel)
	if len(in.Findings) == 0 {
		sb.WriteString(msgReceiptNoFindings)
	} else {
		fmt.Fprintf(&sb, msgReceiptFindings, len(in.Findings))
		for _, f := range in.Findings {
			fmt.Fprintf(&sb, "· %s：%s前整改\n", b.itemLabel(s, f.ItemID), f.Deadline.Format("1月2日"))
		}
	}
	if in.StatusSeen != "" {
		fmt.Fprintf(&sb, msgReceiptStatus, in.StatusSeen.Label())
		if in.StatusSeen == registry.EventRelocated {
			sb.WriteString(msgReceiptRelocation)
		}
	}
	if b.links != nil {
		fmt.Fprintf(&sb, msgReceiptLink, b.links.VisitReceipt(v.ID, registry.ActorOf("cadre", cadreID), b.clock.Now().Add(linkTTL)))
	}
	return strings.TrimRight(sb.String(), "\n")
}

func distanceLine(s *dialog.Session) string {
	st := visitOf(s)
	if st.Distance == nil {
		if v, ok := s.Answer(sLocation); ok && v.Skipped {
			return msgNoLocation
		}
		return ""
	}
	if st.Far {
		return fmt.Sprintf(msgFar, formatDistance(*st.Distance))
	}
	return fmt.Sprintf(msgNear, formatDistance(*st.Distance))
}

func formatDistance(m float64) string {
	if m >= 1000 {
		return fmt.Sprintf("%.1f公里", m/1000)
	}
	return fmt.Sprintf("%.0f米", m)
}

func answerText(s *dialog.Session, key string) string {
	v, ok := s.Answer(key)
	if !ok || v.Skipped {
		return ""
	}
	return strings.TrimSpace(v.Text)
}

func taskDue(t supervision.Task) string {
	switch {
	case t.Overdue:
		return "已逾期"
	case t.DaysLeft <= 0:
		return "今天到期"
	}
	return fmt.Sprintf("剩%d天", t.DaysLeft)
}

func userReason(err error) string { return errs.MessageOf(err) }

// toASCIIDigits turns full-width digits (from Chinese keyboards) into ASCII.
func toASCIIDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		return r
	}, s)
}
