package letter

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// reminderWindow bounds how far back Due looks: a letter left
// unacknowledged for longer than this is the office's to chase in person.
const reminderWindow = 90 * 24 * time.Hour

// Reminder stages, part of each reminder's idempotency key: each is sent
// once per letter and recipient.
const (
	StageBusiness = "ack-business"
	StageCadre    = "ack-cadre"
)

// Due lists the reminders about unacknowledged letters at time at: to
// every contact a letter was delivered to once it is AckReminderDays old,
// and to the cadre who packs the business now (else the one it was
// issued under) once it is twice that. It is the reminder planner's
// source; the messages' idempotency keys make asking again harmless.
// Three queries whatever the number of letters.
func (s *Service) Due(ctx context.Context, at time.Time) ([]notify.Message, error) {
	at = at.UTC()
	n := time.Duration(s.cfg.AckReminderDays) * 24 * time.Hour
	var ls []Letter
	err := s.db.Gorm(ctx).Where("acknowledged_at IS NULL AND issued_at <= ? AND issued_at > ?", at.Add(-n), at.Add(-reminderWindow)).
		Order("issued_at, id").Find(&ls).Error
	if err != nil || len(ls) == 0 {
		return nil, wrapDue(err)
	}
	ids := make([]int64, len(ls))
	businesses := make([]int64, len(ls))
	for i, l := range ls {
		ids[i], businesses[i] = l.ID, l.BusinessID
	}
	var ds []delivery
	if err := s.db.Gorm(ctx).Where("letter_id IN ?", ids).Order("letter_id, contact_id").Find(&ds).Error; err != nil {
		return nil, wrapDue(err)
	}
	to := map[int64][]int64{}
	for _, d := range ds {
		to[d.LetterID] = append(to[d.LetterID], d.ContactID)
	}
	var as []registry.Assignment
	if err := s.db.Gorm(ctx).Where("active_business_id IN ?", businesses).Find(&as).Error; err != nil {
		return nil, wrapDue(err)
	}
	cadreOf := map[int64]int64{}
	for _, a := range as {
		cadreOf[a.BusinessID] = a.CadreID
	}
	var out []notify.Message
	for i := range ls {
		l := &ls[i]
		days := supervision.DaysBetween(l.IssuedAt, at)
		for _, c := range to[l.ID] {
			out = append(out, notify.Message{
				Kind: "letter.unacknowledged", To: notify.Recipient{Kind: notify.ToContact, ID: c}, Channel: notify.ChannelTemplate,
				Subject: subject(l), Stage: StageBusiness, Title: titleRemind,
				Fields: map[string]string{"number": l.Number, "business": l.Content.Business.Name, "date": day(l.IssuedAt), "days": fmt.Sprintf("%d天", days)},
				Text:   fmt.Sprintf(textRemind, l.Content.Business.Name, l.Number, days),
				URL:    s.url(l, registry.ActorOf("contact", c)),
			})
		}
		if l.IssuedAt.After(at.Add(-2 * n)) {
			continue
		}
		cadre := cadreOf[l.BusinessID]
		if cadre == 0 {
			cadre = l.CadreID
		}
		if cadre == 0 {
			continue
		}
		out = append(out, notify.Message{
			Kind: "letter.unacknowledged", To: notify.Recipient{Kind: notify.ToCadre, ID: cadre}, Channel: notify.ChannelTemplate,
			Subject: subject(l), Stage: StageCadre, Title: titleRemind,
			Fields: map[string]string{"number": l.Number, "business": l.Content.Business.Name, "date": day(l.IssuedAt), "days": fmt.Sprintf("%d天", days)},
			Text:   fmt.Sprintf(textRemindCadre, l.Content.Business.Name, l.Number, days),
			URL:    s.url(l, registry.ActorOf("cadre", cadre)),
		})
	}
	return out, nil
}

func wrapDue(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("letters due for a reminder: %w", err)
}
