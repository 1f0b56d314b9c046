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
	sLetter      = "letter"
	sFeedback    = "feedback_text"
	sFBPhotos    = "feedback_photos"

	// linkTTL is how long a card or letter link sent in chat stays valid.
	linkTTL = 30 * 24 * time.Hour
)

// feedbackState is what the feedback flow knows besides the answers.
type feedbackState struct {
	ContactID int64  `dialog:"contact_id"`
	LetterID  int64  `dialog:"letter_id"`
	LetterNo  string `dialog:"letter_no"`
	// Listed is the letters the first step numbered.
	Listed []letterRef `dialog:"letter_list"`
}

func feedbackOf(s *dialog.Session) *feedbackState { return dialog.StateOf[feedbackState](s) }

// letterRef is a letter in a numbered list, stored as "id|number".
type letterRef struct {
	ID     int64
	Number string
}

func (l letterRef) MarshalText() ([]byte, error) {
	return fmt.Appendf(nil, "%d|%s", l.ID, l.Number), nil
}

func (l *letterRef) UnmarshalText(b []byte) error {
	id, number, _ := strings.Cut(string(b), "|")
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("letter in list: %w", err)
	}
	l.ID, l.Number = n, number
	return nil
}

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
	st := &feedbackState{ContactID: c.ID}
	if len(ls) == 1 {
		st.LetterID, st.LetterNo = ls[0].ID, ls[0].Number
	}
	return b.start(ctx, u, flowFeedback, st, cmdFeedback)
}

func (b *Bot) feedbackFlow() *dialog.Flow {
	return &dialog.Flow{
		Name:    flowFeedback,
		Noun:    "整改反馈",
		Command: cmdFeedback,
		Label:   func(s *dialog.Session) string { return feedbackOf(s).LetterNo },
		Steps: func(ctx context.Context, s *dialog.Session) ([]dialog.Step, error) {
			return []dialog.Step{
				{
					Key: sLetter, Kind: dialog.KindText, Help: msgHelpPickLetter,
					When: func(s *dialog.Session) bool { st := feedbackOf(s); return st.LetterID == 0 || len(st.Listed) > 0 },
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
						st := feedbackOf(s)
						c, err := b.accounts.Contact(ctx, st.ContactID)
						if err != nil {
							return "", err
						}
						ls, err := b.lettersSvc.ForBusiness(ctx, c.BusinessID)
						if err != nil {
							return "", err
						}
						var listed []letterRef
						var lines []string
						for i, l := range ls {
							if i == maxListed {
								break
							}
							listed = append(listed, letterRef{ID: l.ID, Number: l.Number})
							lines = append(lines, fmt.Sprintf("%d. %s", i+1, l.Number))
						}
						st.Listed = listed
						return msgPickLetter + "\n" + strings.Join(lines, "\n"), nil
					},
					Validate: func(ctx context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
						st := feedbackOf(s)
						n, err := strconv.Atoi(toASCIIDigits(strings.TrimSpace(v.Text)))
						if err != nil || n < 1 || n > len(st.Listed) {
							return v, fmt.Sprintf(msgNoSuchLetter, max(len(st.Listed), 1)), nil
						}
						l := st.Listed[n-1]
						st.LetterID, st.LetterNo = l.ID, l.Number
						return dialog.Value{Text: strconv.FormatInt(l.ID, 10)}, "", nil
					},
				},
				{Key: sFeedback, Kind: dialog.KindText, Skippable: true, Help: msgHelpFeedback,
					Prompt: func(ctx context.Context, s *dialog.Session) (string, error) {
						return fmt.Sprintf(msgAskFeedback, feedbackOf(s).LetterNo), nil
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
			st := feedbackOf(s)
			var photos []supervision.PhotoInput
			if p, ok := s.Answer(sFBPhotos); ok {
				for _, ph := range p.Photos {
					photos = append(photos, supervision.PhotoInput{MediaID: ph.MediaID, PicURL: ph.PicURL, ReceivedAt: b.clock.Now()})
				}
			}
			if err := b.lettersSvc.Feedback(ctx, st.LetterID, st.ContactID, answerText(s, sFeedback), photos); err != nil {
				return dialog.Reply{}, err
			}
			return dialog.Reply{Text: fmt.Sprintf(msgFeedbackDone, st.LetterNo), Done: true}, nil
		},
	}
}

// letterIssued says whether the prompt letter stored with a visit reached
// the business.
func (b *Bot) letterIssued(ctx context.Context, visitID int64) string {
	l, err := b.lettersSvc.ForVisit(ctx, visitID)
	if err != nil {
		// The visit is stored with its letter; only reading it back failed.
		b.log.ErrorContext(ctx, "read visit letter failed", "visit", visitID, "err", err.Error())
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
