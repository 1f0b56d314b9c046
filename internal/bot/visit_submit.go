package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// The end of a report: the summary the cadre checks, the submission and
// its receipt.

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
	} else {
		sb.WriteString(msgSummaryNormal)
	}
	if c := answerText(s, sContact); c != "" {
		fmt.Fprintf(&sb, "现场对接人：%s\n", c)
	}
	if st := visitOf(s); st.CoveredOn != "" {
		fmt.Fprintf(&sb, msgSummaryExtra, st.CoveredOn)
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
		Extra:         st.CoveredOn != "",
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
	if fromForm(ctx) {
		// The page shows its own receipt; the chat, where the cadre goes
		// back to, hears of it too (a customer-service message inside the
		// 48-hour window), queued with the visit.
		in.Confirm = func(v *supervision.Visit) notify.Message {
			body := b.receiptBody(s, v, in)
			return notify.Message{Title: fmt.Sprintf(msgFormConfirmTitle, st.BusinessName),
				Text: msgFormConfirmHead + strings.TrimRight(body, "\n"), URL: b.receiptLink(v.ID, cadreID),
				Fields: map[string]string{"business": st.BusinessName, "cycle": v.CycleLabel, "findings": strconv.Itoa(len(in.Findings))}}
		}
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
	text := b.receiptBody(s, v, in)
	if link := b.receiptLink(v.ID, cadreID); link != "" {
		text += fmt.Sprintf(msgReceiptLink, link)
	}
	return strings.TrimRight(text, "\n")
}

// receiptLink is the visit's receipt page for its cadre ("" without links).
func (b *Bot) receiptLink(visitID, cadreID int64) string {
	if b.links == nil {
		return ""
	}
	return b.links.VisitReceipt(visitID, registry.ActorOf("cadre", cadreID), b.clock.Now().Add(linkTTL))
}

// receiptBody is the receipt without its link.
func (b *Bot) receiptBody(s *dialog.Session, v *supervision.Visit, in supervision.VisitInput) string {
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
	return sb.String()
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

// taskDue says when a task is due. An overdue one names the cycle that
// was missed (the previous one), then what is left of the current one.
func taskDue(t supervision.Task) string {
	left := fmt.Sprintf("剩%d天", t.DaysLeft)
	if t.DaysLeft <= 0 {
		left = "今天到期"
	}
	if t.Overdue {
		return fmt.Sprintf(msgOverdueCycle, t.Cycle.Prev().Label, t.Cycle.Label, left)
	}
	return left
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
