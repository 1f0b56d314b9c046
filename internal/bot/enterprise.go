package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// The business side in chat: its knowledge card, its prompt letters,
// rectification feedback and how to reach its cadre.

const (
	cmdCard     = "知晓卡"
	cmdLetters  = "提示函"
	cmdFeedback = "整改反馈"
	cmdContact  = "联系包保干部"

	flowFeedback = "feedback"
	dLetterID    = "letter_id"
	dLetterList  = "letter_list"
	dContactID   = "contact_id"
	dLetterNo    = "letter_no"
	sLetter      = "letter"
	sFeedback    = "feedback_text"
	sFBPhotos    = "feedback_photos"

	// linkTTL is how long a card or letter link sent in chat stays valid.
	linkTTL = 30 * 24 * time.Hour
)

// contact returns the user's business contact, if any.
func (b *Bot) contact(ctx context.Context, u user) (*account.Contact, error) {
	for _, id := range u.ids {
		if id.Role == account.RoleContact {
			return b.accounts.Contact(ctx, id.SubjectID)
		}
	}
	return nil, nil
}

// knowledgeCard answers 知晓卡: a business gets its own card; a cadre the
// printable sheet of their village.
func (b *Bot) knowledgeCard(ctx context.Context, u user) (chat.Outbound, error) {
	c, err := b.contact(ctx, u)
	if err != nil {
		return chat.Outbound{}, err
	}
	if c != nil && b.cards != nil {
		card, err := b.cards.Card(ctx, c.BusinessID)
		if err != nil {
			return chat.Outbound{}, err
		}
		desc := msgCardNoCadre
		if card.Cadre != nil {
			desc = fmt.Sprintf(msgCardDesc, card.Cadre.Name, card.Cadre.Phone, card.Frequency)
		}
		return chat.Outbound{Articles: []chat.Article{{
			Title:       fmt.Sprintf(msgCardTitle, card.Name),
			Description: desc,
			PicURL:      strings.TrimRight(card.PublicURL, "/") + "/qr.png",
			URL:         b.cards.URL(c.BusinessID, registry.ActorOf("contact", c.ID)),
		}}}, nil
	}
	if cadreID := u.cadreID(); cadreID != 0 && b.links != nil {
		cadre, err := b.registry.Cadre(ctx, cadreID)
		if err != nil {
			return chat.Outbound{}, err
		}
		url := b.links.VillageCards(cadre.RegionID, registry.ActorOf("cadre", cadreID), b.clock.Now().Add(linkTTL))
		return chat.Say(fmt.Sprintf(msgCardSheet, url)), nil
	}
	return chat.Say(msgContactsOnly), nil
}

// letters answers 提示函: the business's letters, unacknowledged first.
func (b *Bot) letters(ctx context.Context, u user) (string, error) {
	c, err := b.contact(ctx, u)
	if err != nil || c == nil || b.lettersSvc == nil {
		return msgContactsOnly, err
	}
	ls, err := b.lettersSvc.ForBusiness(ctx, c.BusinessID)
	if err != nil {
		return "", err
	}
	if len(ls) == 0 {
		return msgNoLetters, nil
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, msgLettersHeader, len(ls))
	for i, l := range ls {
		if i == 5 {
			fmt.Fprintf(&sb, msgMoreLetters, len(ls)-5)
			break
		}
		state := "已回执"
		if l.AcknowledgedAt == nil {
			state = "待回执"
		}
		fmt.Fprintf(&sb, "\n%d. %s（%s，%s）\n%s", i+1, l.Number, l.IssuedAt.In(clock.China).Format("1月2日"), state,
			b.lettersSvc.URL(&l, registry.ActorOf("contact", c.ID)))
	}
	return sb.String(), nil
}

// contactCadre answers 联系包保干部.
func (b *Bot) contactCadre(ctx context.Context, u user) (string, error) {
	c, err := b.contact(ctx, u)
	if err != nil || c == nil {
		return msgContactsOnly, err
	}
	a, err := b.registry.CurrentAssignment(ctx, c.BusinessID)
	if errs.Is(err, errs.NotFound) {
		return msgNoCadreYet, nil
	}
	if err != nil {
		return "", err
	}
	cadre, err := b.registry.Cadre(ctx, a.CadreID)
	if err != nil {
		return "", err
	}
	post := cadre.Post
	if post == "" {
		post = cadre.Level.Label() + "包保干部"
	}
	return fmt.Sprintf(msgYourCadre, cadre.Name, post, cadre.WorkPhone), nil
}

// startFeedback begins 整改反馈 on the business's letters.
func (b *Bot) startFeedback(ctx context.Context, u user) (dialog.Reply, error) {
	c, err := b.contact(ctx, u)
	if err != nil || c == nil || b.lettersSvc == nil {
		return dialog.Reply{Text: msgContactsOnly, Done: true}, err
	}
	ls, err := b.lettersSvc.ForBusiness(ctx, c.BusinessID)
	if err != nil {
		return dialog.Reply{}, err
	}
	if len(ls) == 0 {
		return dialog.Reply{Text: msgNoLetters, Done: true}, nil
	}
	data := map[string]string{dContactID: strconv.FormatInt(c.ID, 10)}
	if len(ls) == 1 {
		data[dLetterID], data[dLetterNo] = strconv.FormatInt(ls[0].ID, 10), ls[0].Number
	}
	return b.dialog.StartFrom(ctx, dialogUser(u), flowFeedback, data, inputOf(u.in))
}

func (b *Bot) feedbackFlow() *dialog.Flow {
	return &dialog.Flow{
		Name:  flowFeedback,
		Noun:  "整改反馈",
		Label: func(s *dialog.Session) string { return s.Get(dLetterNo) },
		Steps: func(ctx context.Context, s *dialog.Session) ([]dialog.Step, error) {
			return []dialog.Step{
				{
					Key: sLetter, Kind: dialog.KindText, Help: msgHelpPickLetter,
					When: func(s *dialog.Session) bool { return s.Get(dLetterID) == "" || s.Get(dLetterList) != "" },
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
						contactID, _ := strconv.ParseInt(s.Get(dContactID), 10, 64)
						c, err := b.accounts.Contact(ctx, contactID)
						if err != nil {
							return "", err
						}
						ls, err := b.lettersSvc.ForBusiness(ctx, c.BusinessID)
						if err != nil {
							return "", err
						}
						var ids, lines []string
						for i, l := range ls {
							if i == maxListed {
								break
							}
							ids = append(ids, strconv.FormatInt(l.ID, 10)+"|"+l.Number)
							lines = append(lines, fmt.Sprintf("%d. %s", i+1, l.Number))
						}
						s.Put(dLetterList, strings.Join(ids, ","))
						return msgPickLetter + "\n" + strings.Join(lines, "\n"), nil
					},
					Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
						items := strings.Split(s.Get(dLetterList), ",")
						n, err := strconv.Atoi(toASCIIDigits(strings.TrimSpace(v.Text)))
						if err != nil || n < 1 || n > len(items) {
							return v, fmt.Sprintf(msgNoSuchNumber, len(items)), nil
						}
						id, number, _ := strings.Cut(items[n-1], "|")
						s.Put(dLetterID, id)
						s.Put(dLetterNo, number)
						return dialog.Value{Text: id}, "", nil
					},
				},
				{Key: sFeedback, Kind: dialog.KindText, Skippable: true, Help: msgHelpFeedback,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
						return fmt.Sprintf(msgAskFeedback, s.Get(dLetterNo)), nil
					}},
				{Key: sFBPhotos, Kind: dialog.KindPhoto, Multi: true, Skippable: true, Help: msgHelpIssuePhoto,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) { return msgAskFeedbackPhotos, nil },
					Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
						if t, _ := s.Answer(sFeedback); t.Skipped && len(v.Photos) == 0 {
							return v, msgFeedbackEmpty, nil
						}
						return v, "", nil
					}},
			}, nil
		},
		Submit: func(ctx context.Context, s *dialog.Session) (dialog.Reply, error) {
			letterID, _ := strconv.ParseInt(s.Get(dLetterID), 10, 64)
			contactID, _ := strconv.ParseInt(s.Get(dContactID), 10, 64)
			var photos []supervision.PhotoInput
			if p, ok := s.Answer(sFBPhotos); ok {
				for _, ph := range p.Photos {
					photos = append(photos, supervision.PhotoInput{MediaID: ph.MediaID, PicURL: ph.PicURL, ReceivedAt: b.clock.Now()})
				}
			}
			if err := b.lettersSvc.Feedback(ctx, letterID, contactID, answerText(s, sFeedback), photos); err != nil {
				return dialog.Reply{}, err
			}
			return dialog.Reply{Text: fmt.Sprintf(msgFeedbackDone, s.Get(dLetterNo)), Done: true}, nil
		},
	}
}

// letterIssued says whether the prompt letter stored with a visit reached
// the business.
func (b *Bot) letterIssued(ctx context.Context, visitID int64) string {
	l, err := b.lettersSvc.ForVisit(ctx, visitID)
	if err != nil {
		// The visit is stored with its letter; only reading it back failed.
		b.log.Error("read visit letter failed", "visit", visitID, "err", err.Error())
		return msgLetterFailed
	}
	if l == nil {
		// Only a report first submitted without a letter, then again with
		// the same key, gets here.
		return msgLetterFailed
	}
	undelivered, err := b.lettersSvc.Undelivered(ctx, l.ID)
	if err == nil && undelivered {
		return fmt.Sprintf(msgLetterUndelivered, l.Number)
	}
	return fmt.Sprintf(msgLetterSent, l.Number)
}
