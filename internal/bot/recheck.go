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
	// FeedbackID is the business's latest 整改反馈 on the chosen
	// rectification and FeedbackPhotos its photos, which the check can
	// take as evidence.
	FeedbackID     int64 `dialog:"feedback_id"`
	FeedbackPhotos int   `dialog:"feedback_photos"`
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
	sUseFB      = "use_feedback"
)

func (b *Bot) recheckFlow() *dialog.Flow {
	rectified := func(s *dialog.Session) bool { v, ok := s.Answer(sOutcome); return ok && v.Text == "rectified" }
	extended := func(s *dialog.Session) bool {
		v, ok := s.Answer(sOutcome)
		return ok && (v.Text == "extend" || v.Text == "unrectified")
	}
	usesFeedback := func(s *dialog.Session) bool { v, ok := s.Answer(sUseFB); return ok && v.Bool }
	offersFeedback := func(s *dialog.Session) bool { return rectified(s) && recheckOf(s).FeedbackPhotos > 0 }
	return &dialog.Flow{
		Name:    flowRecheck,
		Noun:    "整改复查",
		Command: cmdRectifications,
		Label:   func(s *dialog.Session) string { return recheckOf(s).RectLabel },
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
						for i, r := range rs {
							if i == maxListed {
								break
							}
							ids = append(ids, r.ID)
						}
						fbs, err := b.supervision.LatestFeedbacks(ctx, ids)
						if err != nil {
							return "", err
						}
						var lines []string
						for i, r := range rs[:len(ids)] {
							lines = append(lines, fmt.Sprintf("%d. %s：%s（%s）", i+1, r.BusinessName, r.ItemLabel, rectDue(r)))
							if fb, ok := fbs[r.ID]; ok {
								lines = append(lines, b.feedbackLine(r, fb, st.CadreID))
							}
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
						rs, err := b.supervision.OpenRectifications(ctx, st.CadreID)
						if err != nil {
							return v, "", err
						}
						r, reason := pickRect(rs, st.Listed, v.Text)
						if reason != "" {
							return v, reason, nil
						}
						st.RectID, st.RectLabel = r.ID, r.BusinessName+"·"+r.ItemLabel
						fbs, err := b.supervision.LatestFeedbacks(ctx, []int64{r.ID})
						if err != nil {
							return v, "", err
						}
						fb := fbs[r.ID]
						st.FeedbackID, st.FeedbackPhotos = fb.EventID, fb.Photos
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
							{Key: "rectified", Label: "已整改", Aliases: []string{"已整改，复查合格", "合格", "整改好了"}},
							{Key: "extend", Label: "延长期限", Aliases: []string{"延长整改期限", "延期", "延长"}},
							{Key: "unrectified", Label: "未整改", Aliases: []string{"没整改", "没有整改", "不合格"}},
						}, nil
					},
				},
				{Key: sUseFB, Kind: dialog.KindYesNo, When: offersFeedback, Help: msgHelpUseFeedback,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
						return fmt.Sprintf(msgAskUseFeedback, recheckOf(s).FeedbackPhotos), nil
					}},
				{Key: sEvidence, Kind: dialog.KindPhoto, Multi: true, Skippable: true, Help: msgHelpIssuePhoto,
					When:   func(s *dialog.Session) bool { return rectified(s) && !usesFeedback(s) },
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) { return msgAskEvidence, nil }},
				{Key: sNote, Kind: dialog.KindText, Skippable: true, When: rectified, Help: msgHelpRecheckNote, Title: "复查情况说明",
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
						if hasEvidence(s) {
							return msgAskRecheckNote, nil
						}
						return msgAskRecheckNoteNeeded, nil
					},
					Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
						if v.Skipped && !hasEvidence(s) {
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
				{Key: sReason, Kind: dialog.KindText, When: extended, Help: msgHelpReason, Title: "延期原因",
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
				if v, ok := s.Answer(sUseFB); ok && v.Bool {
					in.FeedbackEventID = st.FeedbackID
				}
			} else {
				d, _ := s.Answer(sNewDate)
				in.NewDeadline, in.Reason = clock.Date(d.Date), answerText(s, sReason)
				if v, _ := s.Answer(sOutcome); v.Text == "unrectified" {
					in.Reason = msgUnrectifiedReason + in.Reason
				}
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
	return b.start(ctx, u, flowRecheck, &recheckState{CadreID: cadreID}, cmdRectifications)
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

// hasEvidence reports whether the check has photos: the cadre's own or
// the business's taken as evidence.
func hasEvidence(s *dialog.Session) bool {
	if v, ok := s.Answer(sUseFB); ok && v.Bool {
		return true
	}
	ev, ok := s.Answer(sEvidence)
	return ok && len(ev.Photos) > 0
}

// pickRect resolves the answer to the list of rectifications: its number,
// or a part of the business's name or the item's; several matches are
// listed with their numbers, never guessed.
func pickRect(rs []supervision.Rectification, listed []int64, text string) (supervision.Rectification, string) {
	text = strings.TrimSpace(text)
	byID := make(map[int64]supervision.Rectification, len(rs))
	for _, r := range rs {
		byID[r.ID] = r
	}
	if n, err := strconv.Atoi(toASCIIDigits(text)); err == nil {
		if n < 1 || n > len(listed) {
			return supervision.Rectification{}, fmt.Sprintf(msgNoSuchNumber, max(len(listed), 1))
		}
		if r, ok := byID[listed[n-1]]; ok {
			return r, ""
		}
		return supervision.Rectification{}, msgRectGone
	}
	if len([]rune(text)) < 2 {
		return supervision.Rectification{}, msgNameTooShort
	}
	var hits []string
	var hit supervision.Rectification
	for i, id := range listed {
		r, ok := byID[id]
		if ok && (strings.Contains(r.BusinessName, text) || strings.Contains(r.ItemLabel, text)) {
			hit = r
			hits = append(hits, fmt.Sprintf("%d. %s：%s", i+1, r.BusinessName, r.ItemLabel))
		}
	}
	switch len(hits) {
	case 0:
		return hit, fmt.Sprintf(msgNoRectMatch, text)
	case 1:
		return hit, ""
	}
	return hit, msgManyRects + "\n" + strings.Join(hits, "\n")
}

// feedbackLine shows the business's latest feedback under its item: when,
// what it said, how many photos and where to see them.
func (b *Bot) feedbackLine(r supervision.Rectification, fb supervision.LatestFeedback, cadreID int64) string {
	note := fb.Note
	if note == "" {
		note = msgNoFeedbackNote
	}
	line := fmt.Sprintf(msgFeedbackLine, fb.At.Format("1月2日 15:04"), note)
	if fb.Photos > 0 {
		line += fmt.Sprintf(msgFeedbackPhotos, fb.Photos)
		if b.links != nil {
			line += " " + b.links.Rectification(r.ID, registry.ActorOf("cadre", cadreID), b.clock.Now().Add(linkTTL))
		}
	}
	return line
}
