package bot

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/supervision"
)

// The business's own records in chat: 日管控 (daily control), 周排查
// (weekly review) and 月调度 (monthly dispatch), the ledger link (台账) and
// the reminder time (日管控提醒 18:00). Any bound contact of a business may
// make any record: small shops have one person in every post. A record by
// someone other than the post Order 60 names is accepted, says so in the
// receipt and keeps who made it (selfcheck.RoleFits).

const (
	cmdDaily   = "日管控"
	cmdWeekly  = "周排查"
	cmdMonthly = "月调度"
	cmdLedger  = "台账"
	cmdRemind  = "日管控提醒"

	flowDaily   = "daily"
	flowWeekly  = "weekly"
	flowMonthly = "monthly"

	// Steps of the self-check flows.
	sSCItems       = "items"
	sSCPhotos      = "photos"
	sSCWhich       = "which"
	sSCFixed       = "fixed"
	sSCOpen        = "open_items"
	sSCRisks       = "next_risks"
	sSCConclusions = "conclusions"
	sSCKeyWork     = "key_work"
	problemPrefix  = "problem:"
	resolvedPrefix = "resolved:"

	// itemSelfCheck is the checklist item the counts pre-fill.
	itemSelfCheck = "daily_weekly_monthly"
	// rateDays is the span of the rates 进度 shows.
	rateDays = 7
)

// allNormal are the answers that record a day with no problem.
var allNormal = []string{"全部正常", "都正常", "正常", "无问题", "没有问题", "全部合格", "0"}

// selfCheckCommand answers the commands of the business's own records;
// ok is false when text is none of them.
func (b *Bot) selfCheckCommand(ctx context.Context, u user, text string) (chat.Outbound, bool, error) {
	if b.selfcheck == nil {
		return chat.Outbound{}, false, nil
	}
	var run func(ctx context.Context, c *account.Contact, biz *registry.Business) (dialog.Reply, error)
	switch {
	case strings.HasPrefix(text, cmdRemind):
		rest := strings.TrimLeft(strings.TrimPrefix(text, cmdRemind), " \u3000:：")
		run = func(ctx context.Context, c *account.Contact, biz *registry.Business) (dialog.Reply, error) {
			return b.setRemind(ctx, c, biz, rest)
		}
	case text == cmdLedger || text == "自查台账":
		run = func(ctx context.Context, c *account.Contact, biz *registry.Business) (dialog.Reply, error) {
			url := b.selfcheck.LedgerURL(biz.ID, registry.ActorOf("contact", c.ID))
			return dialog.Reply{Text: fmt.Sprintf(msgLedgerLink, biz.Name, url), Done: true}, nil
		}
	case strings.HasPrefix(text, cmdDaily):
		rest := strings.TrimLeft(strings.TrimPrefix(text, cmdDaily), " \u3000:：")
		run = func(ctx context.Context, c *account.Contact, biz *registry.Business) (dialog.Reply, error) {
			return b.startDaily(ctx, u, c, biz, rest)
		}
	case text == cmdWeekly:
		run = func(ctx context.Context, c *account.Contact, biz *registry.Business) (dialog.Reply, error) {
			return b.startPeriodic(ctx, u, c, biz, selfcheck.Weekly)
		}
	case text == cmdMonthly:
		run = func(ctx context.Context, c *account.Contact, biz *registry.Business) (dialog.Reply, error) {
			return b.startPeriodic(ctx, u, c, biz, selfcheck.Monthly)
		}
	default:
		return chat.Outbound{}, false, nil
	}
	var contactID int64
	for _, id := range u.ids {
		if id.Role == account.RoleContact {
			contactID = id.SubjectID
			break
		}
	}
	if contactID == 0 {
		return chat.Say(msgContactsOnly), true, nil
	}
	c, biz, err := b.selfcheck.Contact(ctx, contactID)
	if err != nil {
		out, err := userError(err)
		return out, true, err
	}
	r, err := run(ctx, c, biz)
	if err != nil {
		out, err := userError(err)
		return out, true, err
	}
	return replyOut(r), true, nil
}

// setRemind answers 日管控提醒 [time].
func (b *Bot) setRemind(ctx context.Context, c *account.Contact, biz *registry.Business, arg string) (dialog.Reply, error) {
	if arg == "" {
		m, err := b.selfcheck.ReminderMinute(ctx, biz.ID)
		if err != nil {
			return dialog.Reply{}, err
		}
		return dialog.Reply{Text: fmt.Sprintf(msgRemindNow, selfcheck.FormatMinute(m)), Done: true}, nil
	}
	m, ok := selfcheck.ParseRemindTime(arg)
	if !ok {
		return dialog.Reply{Text: msgRemindBad, Done: true}, nil
	}
	if err := b.selfcheck.SetReminder(ctx, c.ID, m); err != nil {
		return dialog.Reply{}, err
	}
	return dialog.Reply{Text: fmt.Sprintf(msgRemindSet, selfcheck.FormatMinute(m)), Done: true}, nil
}

// scState is what the self-check flows (日管控, 周排查, 月调度) know
// besides the answers.
type scState struct {
	ContactID  int64             `dialog:"contact_id"`
	BusinessID int64             `dialog:"sc_business"`
	Name       string            `dialog:"sc_name"`
	Category   registry.Category `dialog:"sc_category"`
	// PeriodKey is the key of the period recorded; "" while the user is
	// still to choose between the previous and the current one (Choose).
	PeriodKey string `dialog:"sc_period"`
	Choose    bool   `dialog:"sc_choose"`
	Late      bool   `dialog:"sc_late"`
	// Existing says what was recorded of the period before.
	Existing string `dialog:"sc_existing"`
	// Focus names the problems still being rectified, put first in 日管控.
	Focus string `dialog:"sc_focus"`
	// Problems is how many problems the week's daily records found.
	Problems int `dialog:"sc_problems"`
}

func scOf(s *dialog.Session) *scState { return dialog.StateOf[scState](s) }

// newSCState is the state every self-check flow starts with.
func newSCState(c *account.Contact, biz *registry.Business) *scState {
	return &scState{ContactID: c.ID, BusinessID: biz.ID, Name: biz.Name, Category: biz.Category}
}

// period is the period the flow records.
func (st *scState) period(k selfcheck.Kind) selfcheck.Period {
	p, err := selfcheck.ParsePeriod(k, st.PeriodKey)
	if err != nil {
		return selfcheck.Period{Kind: k}
	}
	return p
}

// scPeriod is the period the flow records.
func scPeriod(s *dialog.Session, k selfcheck.Kind) selfcheck.Period { return scOf(s).period(k) }

// lateShort marks a late record inside a receipt's brackets.
func lateShort(s *dialog.Session) string {
	if scOf(s).Late {
		return msgLateShort
	}
	return ""
}

func lateMark(s *dialog.Session) string {
	if scOf(s).Late {
		return msgLateMark
	}
	return ""
}

// scLabel names a self-check draft: the business and the period.
func scLabel(k selfcheck.Kind) func(s *dialog.Session) string {
	return func(s *dialog.Session) string {
		st := scOf(s)
		if st.PeriodKey == "" {
			return st.Name
		}
		return st.Name + " " + st.period(k).Label()
	}
}

// startDaily begins 日管控 for today, or for the day arg names (补记).
func (b *Bot) startDaily(ctx context.Context, u user, c *account.Contact, biz *registry.Business, arg string) (dialog.Reply, error) {
	now := b.clock.Now()
	day := now
	if arg != "" {
		d, ok := dialog.ParseDate(arg, now)
		if !ok {
			return dialog.Reply{Text: msgDailyBadDate, Done: true}, nil
		}
		day = d
	}
	p := selfcheck.PeriodOf(selfcheck.Daily, day)
	late, err := p.Check(now)
	if err != nil {
		return dialog.Reply{Text: errs.MessageOf(err), Done: true}, nil
	}
	st := newSCState(c, biz)
	st.PeriodKey, st.Late = p.Key, late
	if r, err := b.selfcheck.Record(ctx, biz.ID, p); err == nil {
		what := msgAllNormalShort
		if r.Problems > 0 {
			what = fmt.Sprintf(msgIssuesShort, r.Problems)
		}
		st.Existing = fmt.Sprintf(msgDailyExisting, dayName(p, now), r.UpdatedAt.In(clock.China).Format("1月2日15:04"), what)
	} else if !errs.Is(err, errs.NotFound) {
		return dialog.Reply{}, err
	}
	focus, err := b.selfcheck.Focus(ctx, biz.ID)
	if err != nil {
		return dialog.Reply{}, err
	}
	st.Focus = focusText(focus)
	return b.start(ctx, u, flowDaily, st, cmdDaily)
}

// focusText puts the items still being rectified before the daily list,
// with the text that explains each; "" when there are none.
func focusText(open []supervision.OpenFinding) string {
	if len(open) == 0 {
		return ""
	}
	var sb strings.Builder
	sb.WriteString(msgDailyFocus)
	for _, f := range open {
		fmt.Fprintf(&sb, msgDailyFocusItem, f.Label, f.Description, f.Deadline.Format("1月2日"))
		if f.Article != nil {
			fmt.Fprintf(&sb, msgDailyFocusRead, f.Article.Title)
		}
		sb.WriteString("\n")
	}
	return sb.String() + "\n"
}

// dayName is "今天" for today, else the day's date.
func dayName(p selfcheck.Period, now time.Time) string {
	if p.Contains(now) {
		return "今天"
	}
	return p.Label()
}

// dailyPoints are the risk points of the flow's business.
func (b *Bot) dailyPoints(s *dialog.Session) []selfcheck.Risk {
	return b.selfcheck.Risks().For(scOf(s).Category)
}

// shortLabel is a point's label without the explanation in brackets.
func shortLabel(label string) string {
	if i := strings.Index(label, "（"); i > 0 {
		return label[:i]
	}
	return label
}

// problemIDs are the points the user marked, in list order.
func problemIDs(s *dialog.Session) []string {
	v, ok := s.Answer(sSCItems)
	if !ok || v.Text == "" {
		return nil
	}
	return strings.Split(v.Text, ",")
}

func hasProblem(s *dialog.Session, id string) bool { return slices.Contains(problemIDs(s), id) }

func (b *Bot) dailyFlow() *dialog.Flow {
	return &dialog.Flow{
		Name:    flowDaily,
		Noun:    cmdDaily,
		Command: cmdDaily,
		Label:   scLabel(selfcheck.Daily),
		Steps:   b.dailySteps,
		Submit: func(ctx context.Context, s *dialog.Session) (dialog.Reply, error) {
			return b.submitDaily(ctx, s)
		},
	}
}

func (b *Bot) dailySteps(ctx context.Context, s *dialog.Session) ([]dialog.Step, error) {
	points := b.dailyPoints(s)
	none := func(ctx context.Context, s *dialog.Session) (string, error) {
		s.Set(sSCItems, dialog.Value{})
		return "", nil
	}
	shortcuts := make(map[string]func(ctx context.Context, s *dialog.Session) (string, error), len(allNormal))
	for _, w := range allNormal {
		shortcuts[w] = none
	}
	steps := []dialog.Step{{
		Key: sSCItems, Kind: dialog.KindText, Help: msgHelpDaily, Shortcuts: shortcuts,
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
			lines := make([]string, len(points))
			for i, r := range points {
				lines[i] = fmt.Sprintf("%d. %s", i+1, r.Label)
			}
			p := scPeriod(s, selfcheck.Daily)
			st := scOf(s)
			return st.Existing + st.Focus + fmt.Sprintf(msgDailyAsk, st.Name, dayName(p, b.clock.Now()), lateMark(s),
				len(points), strings.Join(lines, "\n")), nil
		},
		Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
			ns, ok := parseNumbers(v.Text)
			if !ok {
				return v, fmt.Sprintf(msgDailyBadItems, len(points)), nil
			}
			var ids []string
			for i, r := range points {
				if slices.Contains(ns, i+1) {
					ids = append(ids, r.ID)
				}
			}
			for _, n := range ns {
				if n < 0 || n > len(points) {
					return v, fmt.Sprintf(msgDailyBadItems, len(points)), nil
				}
			}
			return dialog.Value{Text: strings.Join(ids, ",")}, "", nil
		},
	}}
	for i, r := range points {
		marked := func(s *dialog.Session) bool { return hasProblem(s, r.ID) }
		steps = append(steps, dialog.Step{
			Key: problemPrefix + r.ID, Kind: dialog.KindText, Help: msgHelpProblem, When: marked,
			Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
				return fmt.Sprintf(msgAskProblem, i+1, shortLabel(r.Label)), nil
			},
		}, dialog.Step{
			Key: resolvedPrefix + r.ID, Kind: dialog.KindChoice, Help: msgHelpResolved, When: marked,
			Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
				return fmt.Sprintf(msgAskResolved, shortLabel(r.Label)), nil
			},
			Choices: func(ctx context.Context, s *dialog.Session) ([]dialog.Choice, error) {
				return []dialog.Choice{
					{Key: "yes", Label: "已处置", Aliases: []string{"是", "好了", "处置好了", "已处理", "处理好了"}},
					{Key: "no", Label: "需跟进", Aliases: []string{"否", "没有", "未处置", "还没", "跟进"}},
				}, nil
			},
		})
	}
	steps = append(steps, dialog.Step{
		Key: sSCPhotos, Kind: dialog.KindPhoto, Multi: true, Skippable: true, Help: msgHelpIssuePhoto,
		When:   func(s *dialog.Session) bool { return len(problemIDs(s)) > 0 },
		Prompt: func(ctx context.Context, s *dialog.Session) (string, error) { return msgAskDailyPhoto, nil },
	})
	return steps, nil
}

var numberSep = regexp.MustCompile(`[\s,，、;；/和及]+`)

// parseNumbers reads "3 7", "3、7", "第3项,第7项", "三 七" as item
// numbers; "" and "0" mean none.
func parseNumbers(text string) ([]int, bool) {
	var out []int
	for _, tok := range numberSep.Split(strings.TrimSpace(toASCIIDigits(text)), -1) {
		tok = strings.TrimSuffix(strings.TrimPrefix(tok, "第"), "项")
		if tok == "" {
			continue
		}
		f, ok := dialog.ParseNumber(tok)
		if !ok || f != float64(int(f)) {
			return nil, false
		}
		if n := int(f); n != 0 && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, true
}

func (b *Bot) submitDaily(ctx context.Context, s *dialog.Session) (dialog.Reply, error) {
	p := scPeriod(s, selfcheck.Daily)
	in := selfcheck.DailyInput{SubmissionKey: s.ID, ContactID: scOf(s).ContactID, Day: p.Start}
	resolved := 0
	for _, id := range problemIDs(s) {
		v, _ := s.Answer(resolvedPrefix + id)
		pr := selfcheck.Problem{RiskID: id, Note: answerText(s, problemPrefix+id), Resolved: v.Text == "yes"}
		if pr.Resolved {
			resolved++
		}
		in.Problems = append(in.Problems, pr)
	}
	in.Photos = scPhotos(s, b.clock.Now())
	saved, err := b.selfcheck.SubmitDaily(ctx, in)
	if err != nil {
		return dialog.Reply{}, err
	}
	now := b.clock.Now()
	var sb strings.Builder
	if saved.Revision > 1 {
		fmt.Fprintf(&sb, msgDailyAmended, dayName(p, now), lateMark(s), saved.Revision)
	} else {
		fmt.Fprintf(&sb, msgDailyRecorded, dayName(p, now), lateMark(s))
	}
	n := len(saved.Record.Body.Items)
	if len(in.Problems) == 0 {
		fmt.Fprintf(&sb, msgDailyAllNormal, n)
	} else {
		fmt.Fprintf(&sb, msgDailyIssues, n, len(in.Problems), resolved, len(in.Problems)-resolved)
		if resolved < len(in.Problems) {
			sb.WriteString(msgDailyFollowUp)
		}
	}
	if len(in.Photos) > 0 {
		fmt.Fprintf(&sb, msgDailyPhotos, len(in.Photos))
	}
	if p.Contains(now) && saved.Revision == 1 {
		m, err := b.selfcheck.ReminderMinute(ctx, scOf(s).BusinessID)
		if err != nil {
			return dialog.Reply{}, err
		}
		fmt.Fprintf(&sb, msgDailyTomorrow, selfcheck.FormatMinute(m))
	}
	return dialog.Reply{Text: sb.String(), Done: true}, nil
}

func scPhotos(s *dialog.Session, now time.Time) []supervision.PhotoInput {
	v, ok := s.Answer(sSCPhotos)
	if !ok {
		return nil
	}
	var out []supervision.PhotoInput
	for _, p := range v.Photos {
		out = append(out, supervision.PhotoInput{MediaID: p.MediaID, PicURL: p.PicURL, ReceivedAt: now})
	}
	return out
}

// selfCheckRates is the block 进度 adds: daily record-keeping in the
// manager's region over the last rateDays days, in the console's words;
// by village too when byVillage.
func (b *Bot) selfCheckRates(ctx context.Context, scopePath string, byVillage bool) (string, error) {
	if b.selfcheck == nil {
		return "", nil
	}
	today := clock.Date(b.clock.Now())
	r, err := b.selfcheck.RatesByVillage(ctx, scopePath, today.AddDate(0, 0, 1-rateDays), today)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, msgRatesHeader, rateDays, r.Total.Businesses, r.Total.Keeping, r.Total.Percent)
	if byVillage {
		for _, v := range r.ByVillage {
			fmt.Fprintf(&sb, msgRatesVillage, v.Name, v.Keeping, v.Businesses, v.Percent)
		}
	}
	return sb.String(), nil
}
