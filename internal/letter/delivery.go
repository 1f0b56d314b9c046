package letter

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
)

// delivery records that a letter was sent to a contact.
type delivery struct {
	LetterID  int64 `gorm:"primaryKey;autoIncrement:false"`
	ContactID int64 `gorm:"primaryKey;autoIncrement:false"`
	SentAt    time.Time
}

func (delivery) TableName() string { return "letter_deliveries" }

// boundContacts lists the business's contacts that have a bound WeChat
// identity now: whom a letter can reach.
func (s *Service) boundContacts(ctx context.Context, businessID int64) ([]account.Contact, error) {
	return s.accounts.BoundContactsOf(ctx, businessID)
}

// deliverTx records that l goes to the contacts and returns the messages
// that carry it.
func (s *Service) deliverTx(tx *gorm.DB, l *Letter, contacts []account.Contact, now time.Time) ([]notify.Message, error) {
	if len(contacts) == 0 {
		return nil, nil
	}
	rows := make([]delivery, len(contacts))
	msgs := make([]notify.Message, len(contacts))
	for i, c := range contacts {
		rows[i] = delivery{LetterID: l.ID, ContactID: c.ID, SentAt: now}
		msgs[i] = s.issuedMessage(l, c)
	}
	for _, c := range contacts {
		if m, ok := s.knowledgeMessage(l, c); ok {
			msgs = append(msgs, m)
		}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return nil, err
	}
	return msgs, nil
}

// issuedMessage is the template message that brings a letter to a contact.
func (s *Service) issuedMessage(l *Letter, c account.Contact) notify.Message {
	return notify.Message{
		Kind: "letter.issued", To: notify.Recipient{Kind: notify.ToContact, ID: c.ID}, Channel: notify.ChannelTemplate,
		Subject: subject(l), Title: titleIssued,
		Fields: map[string]string{
			"number": l.Number, "business": l.Content.Business.Name, "office": l.Content.Office.Name,
			"date": day(l.IssuedAt), "count": strconv.Itoa(len(l.Content.Findings)) + "项", "deadline": earliest(l),
		},
		Text: fmt.Sprintf(textIssued, c.Name, l.Content.Office.Name, l.Number, len(l.Content.Findings)),
		URL:  s.url(l, registry.ActorOf("contact", c.ID)),
	}
}

// earliest is the first rectification deadline of a letter, as a day.
func earliest(l *Letter) string {
	var first time.Time
	for _, f := range l.Content.Findings {
		if first.IsZero() || f.Deadline.Before(first) {
			first = f.Deadline
		}
	}
	if first.IsZero() {
		return ""
	}
	return day(first)
}

// OnBind delivers to a contact who has just bound the business's letters
// they have not had yet and that are still unacknowledged — a business
// with no bound contact when a letter was issued gets it now. Binding
// again, or calling twice, sends nothing more. A contact without a bound
// identity is no error (nothing to do); NotFound for an unknown contact.
func (s *Service) OnBind(ctx context.Context, contactID int64) error {
	c, err := s.accounts.Contact(ctx, contactID)
	if err != nil {
		return err
	}
	ids, err := s.accounts.IdentitiesOfSubject(ctx, account.RoleContact, c.ID)
	if err != nil || len(ids) == 0 {
		return err
	}
	var ls []Letter
	err = s.db.Gorm(ctx).Where("business_id = ? AND acknowledged_at IS NULL AND id NOT IN (?)", c.BusinessID,
		s.db.Gorm(ctx).Model(&delivery{}).Select("letter_id").Where("contact_id = ?", c.ID)).Order("id").Find(&ls).Error
	if err != nil {
		return fmt.Errorf("deliver on bind: %w", err)
	}
	if len(ls) == 0 {
		return nil
	}
	now := s.now()
	rows := make([]delivery, len(ls))
	msgs := make([]notify.Message, len(ls))
	letterIDs := make([]int64, len(ls))
	for i := range ls {
		rows[i] = delivery{LetterID: ls[i].ID, ContactID: c.ID, SentAt: now}
		msgs[i] = s.issuedMessage(&ls[i], *c)
		letterIDs[i] = ls[i].ID
	}
	err = s.db.InTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
		if err := tx.Model(&Letter{}).Where("id IN ? AND status = ?", letterIDs, StatusIssued).
			Updates(map[string]any{"status": StatusDelivered, "delivered_at": now}).Error; err != nil {
			return err
		}
		return s.enqueue(tx, msgs)
	})
	if errs.Is(err, errs.Conflict) {
		// A concurrent call delivered them first.
		return nil
	}
	if err != nil {
		return fmt.Errorf("deliver on bind: %w", err)
	}
	return nil
}

// Undelivered reports whether no bound contact has had the letter: the
// bot then tells the cadre to get the business bound (it will have the
// letter on binding). NotFound for an unknown letter.
func (s *Service) Undelivered(ctx context.Context, letterID int64) (bool, error) {
	l, err := s.Letter(ctx, letterID)
	if err != nil {
		return false, err
	}
	if l.Acknowledged() {
		return false, nil
	}
	var n int64
	if err := s.db.Gorm(ctx).Model(&delivery{}).Where("letter_id = ?", letterID).Count(&n).Error; err != nil {
		return false, fmt.Errorf("letter delivered: %w", err)
	}
	return n == 0, nil
}
