package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// flowRecheck is 整改跟踪: pick an open rectification, then record the
// follow-up check (复查): rectified with evidence, or the deadline extended.
const flowRecheck = "recheck"

// recheckState is what the recheck flow knows besides the answers.
type recheckState struct {
	CadreID int64 `dialog:"cadre_id"`
	// Listed is the rectifications the first step numbered.
	Listed    []int64 `dialog:"rect_list"`
	RectID    int64   `dialog:"rect_id"`
	RectLabel string  `dialog:"rect_label"`
}

func recheckOf(s *dialog.Session) *recheckState { return dialog.StateOf[recheckState](s) }

const (
	sRect       = "rect"
	sOutcome    = "outcome"
	sEvidence   = "evidence"
	sNote       = "note"
	sNewDate    = "new_deadline"
	sReason     = "reason"
	sRecConfirm = "confirm"
)

func (b *Bot) recheckFlow() *dialog.Flow {
	rectified := func(s *dialog.Session) bool { v, ok := s.Answer(sOutcome); return ok && v.Text == "rectified" }
	extended := func(s *dialog.Session) bool { v, ok := s.Answer(sOutcome); return ok && v.Text == "extend" }
	return &dialog.Flow{
		Name:  flowRecheck,
		Noun:  "整改复查",
		Label: func(s *dialog.Session) string { return recheckOf(s).RectLabel },
		Steps: func(ctx context.Context, s *dialog.Session) ([]dialog.Step, error) {
			return []dialog.Step{
				{
					Key: sRect, Kind: dialog.KindText, Help: msgHelpRect,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
						st := recheckOf(s)
						rs, err := b.supervision.OpenRectifications(ctx, st.CadreID)
						if err != nil {
							return "", err
						}
						var ids []int64
						var lines []string
						for i, r := range rs {
							if i == maxListed {
								break
							}
							ids = append(ids, r.ID)
							lines = append(lines, fmt.Sprintf("%d. %s：%s（%s）", i+1, r.BusinessName, r.ItemLabel, rectDue(r)))
						}
						st.Listed = ids
						more := ""
						if len(rs) > maxListed {
							more = fmt.Sprintf(msgMoreRects, len(rs)-maxListed)
						}
						return fmt.Sprintf(msgRectsHeader, len(rs)) + "\n" + strings.Join(lines, "\n") + more + msgRectsHint, nil
					},
					Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
						st := recheckOf(s)
						n, err := strconv.Atoi(toASCIIDigits(strings.TrimSpace(v.Text)))
						if err != nil || n < 1 || n > len(st.Listed) {
							return v, fmt.Sprintf(msgNoSuchNumber, max(len(st.Listed), 1)), nil
						}
						st.RectID = st.Listed[n-1]
						st.RectLabel = strings.SplitN(strings.Split(v.Text, "\n")[0], "：", 2)[0]
						rs, err := b.supervision.OpenRectifications(ctx, st.CadreID)
						if err != nil {
							return v, "", err
						}
						for _, r := range rs {
							if r.ID == st.RectID {
								st.RectLabel = r.BusinessName + "·" + r.ItemLabel
							}
						}
						return dialog.Value{Text: strconv.FormatInt(st.RectID, 10)}, "", nil
					},
				},
				{
					Key: sOutcome, Kind: dialog.KindChoice, Help: msgHelpOutcome,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
						return fmt.Sprintf(msgAskOutcome, recheckOf(s).RectLabel), nil
					},
					Choices: func(ctx context.Context, s *dialog.Session) ([]dialog.Choice, error) {
						return []dialog.Choice{
							{Key: "rectified", Label: "已整改，复查合格", Aliases: []string{"已整改", "合格"}},
							{Key: "extend", Label: "延长整改期限", Aliases: []string{"延期", "延长"}},
						}, nil
					},
				},
				{Key: sEvidence, Kind: dialog.KindPhoto, Multi: true, Skippable: true, When: rectified, Help: msgHelpIssuePhoto,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) { return msgAskEvidence, nil }},
				{Key: sNote, Kind: dialog.KindText, Skippable: true, When: rectified, Help: msgHelpRecheckNote,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) { return msgAskRecheckNote, nil },
					Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
						if ev, ok := s.Answer(sEvidence); v.Skipped && (!ok || len(ev.Photos) == 0) {
							return v, msgEvidenceNeeded, nil
						}
						return v, "", nil
					}},
				{Key: sNewDate, Kind: dialog.KindDate, When: extended, Help: msgHelpDeadline,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) { return msgAskNewDeadline, nil },
					Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
						today := clock.Date(b.clock.Now())
						if d := clock.Date(v.Date); !d.After(today) || d.After(today.AddDate(0, 0, 90)) {
							return v, msgNewDeadlineRange, nil
						}
						return v, "", nil
					}},
				{Key: sReason, Kind: dialog.KindText, When: extended, Help: msgHelpReason,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) { return msgAskReason, nil }},
			}, nil
		},
		Submit: func(ctx context.Context, s *dialog.Session) (dialog.Reply, error) {
			st := recheckOf(s)
			rectID, cadreID := st.RectID, st.CadreID
			in := supervision.RecheckInput{Actor: registry.ActorOf("cadre", cadreID)}
			if v, _ := s.Answer(sOutcome); v.Text == "rectified" {
				in.Rectified = true
				if ev, ok := s.Answer(sEvidence); ok {
					for _, p := range ev.Photos {
						in.Photos = append(in.Photos, supervision.PhotoInput{MediaID: p.MediaID, PicURL: p.PicURL, ReceivedAt: b.clock.Now()})
					}
				}
				in.Note = answerText(s, sNote)
			} else {
				d, _ := s.Answer(sNewDate)
				in.NewDeadline, in.Reason = clock.Date(d.Date), answerText(s, sReason)
			}
			if err := b.supervision.Recheck(ctx, rectID, cadreID, in); err != nil {
				return dialog.Reply{}, err
			}
			if in.Rectified {
				return dialog.Reply{Text: fmt.Sprintf(msgRectifiedDone, st.RectLabel), Done: true}, nil
			}
			return dialog.Reply{Text: fmt.Sprintf(msgExtendedDone, st.RectLabel, in.NewDeadline.Format("1月2日")), Done: true}, nil
		},
	}
}

// startRecheck begins 整改跟踪, or says there is nothing open.
func (b *Bot) startRecheck(ctx context.Context, u user) (dialog.Reply, error) {
	cadreID := u.cadreID()
	if cadreID == 0 {
		return dialog.Reply{Text: msgCadresOnly, Done: true}, nil
	}
	rs, err := b.supervision.OpenRectifications(ctx, cadreID)
	if err != nil {
		return dialog.Reply{}, err
	}
	if len(rs) == 0 {
		return dialog.Reply{Text: msgNoRects, Done: true}, nil
	}
	return b.dialog.StartFrom(ctx, dialogUser(u), flowRecheck, &recheckState{CadreID: cadreID}, inputOf(u.in))
}

func rectDue(r supervision.Rectification) string {
	switch {
	case r.DaysLeft < 0:
		return fmt.Sprintf("逾期%d天", -r.DaysLeft)
	case r.DaysLeft == 0:
		return "今天到期"
	}
	return fmt.Sprintf("%s到期", r.Deadline.In(clock.China).Format("1月2日"))
}
