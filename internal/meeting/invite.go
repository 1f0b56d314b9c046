package meeting

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
)

// Outbox kinds of the meetings (template ids and fields are configured
// per kind in notify.templates).
const (
	KindInvited  = "meeting.invited"
	KindReminder = "meeting.reminder"
	KindFollowUp = "meeting.followup"
	KindAbsent   = "meeting.absent"
)

// When reminders go: the day before and two hours before the start.
const (
	remindDay   = 24 * time.Hour
	remindHours = 2 * time.Hour
)

// When is the meeting's time in China, as people write it: "12月3日 09:30—11:30".
func (m *Meeting) When() string {
	s, e := m.StartsAt.In(clock.China), m.EndsAt.In(clock.China)
	out := fmt.Sprintf("%d月%d日 %s—%s", s.Month(), s.Day(), s.Format("15:04"), e.Format("15:04"))
	if clock.Date(s) != clock.Date(e) {
		out = fmt.Sprintf("%d月%d日 %s—%d月%d日 %s", s.Month(), s.Day(), s.Format("15:04"), e.Month(), e.Day(), e.Format("15:04"))
	}
	return out
}

func (m *Meeting) subject() string { return "meeting:" + strconv.FormatInt(m.ID, 10) }

func (m *Meeting) fields() map[string]string {
	return map[string]string{"title": m.Title, "kind": m.Kind.Label(), "time": m.When(), "place": m.Place}
}

// recipients are the outbox recipients of attendees: a cadre himself, a
// business through each of its bound contacts (one query for all).
func (s *Service) recipientsTx(tx *gorm.DB, people []Person) (map[int64][]notify.Recipient, error) {
	out := make(map[int64][]notify.Recipient, len(people))
	var bizIDs []int64
	for _, p := range people {
		switch p.Kind {
		case PersonCadre:
			out[p.ID] = []notify.Recipient{{Kind: notify.ToCadre, ID: p.SubjectID}}
		case PersonBusiness:
			bizIDs = append(bizIDs, p.SubjectID)
		}
	}
	if len(bizIDs) == 0 {
		return out, nil
	}
	type row struct{ ID, BusinessID int64 }
	var rows []row
	for start := 0; start < len(bizIDs); start += 500 {
		var chunk []row
		err := tx.Raw(`SELECT c.id, c.business_id FROM contacts c WHERE c.business_id IN ? AND EXISTS (
			SELECT 1 FROM identities i WHERE i.role = ? AND i.subject_id = c.id AND i.unbound_at IS NULL) ORDER BY c.id`,
			bizIDs[start:min(start+500, len(bizIDs))], account.RoleContact).Scan(&chunk).Error
		if err != nil {
			return nil, fmt.Errorf("meeting recipients: %w", err)
		}
		rows = append(rows, chunk...)
	}
	byBiz := map[int64][]notify.Recipient{}
	for _, r := range rows {
		byBiz[r.BusinessID] = append(byBiz[r.BusinessID], notify.Recipient{Kind: notify.ToContact, ID: r.ID})
	}
	for _, p := range people {
		if p.Kind == PersonBusiness {
			out[p.ID] = byBiz[p.SubjectID]
		}
	}
	return out, nil
}

// inviteTx enqueues the invitations of people and the notice to the
// office's group.
func (s *Service) inviteTx(tx *gorm.DB, m *Meeting, group string, people []Person) error {
	to, err := s.recipientsTx(tx, people)
	if err != nil {
		return err
	}
	text := fmt.Sprintf(msgInviteText, m.Kind.Label(), m.Title, m.When(), m.Place, agendaLine(m), m.Title)
	var msgs []notify.Message
	for _, p := range people {
		for _, r := range to[p.ID] {
			msgs = append(msgs, notify.Message{Kind: KindInvited, To: r, Subject: m.subject(), Stage: "invite",
				Title: fmt.Sprintf(msgInviteTitle, m.Kind.Label()), Fields: m.fields(), Text: text})
		}
	}
	if group != "" {
		msgs = append(msgs, notify.Message{Kind: KindInvited, To: notify.Recipient{Kind: notify.ToGroup, Group: group},
			Channel: notify.ChannelRobot, Subject: m.subject(), Stage: "invite", Title: m.Title,
			Text: fmt.Sprintf(msgGroupNotice, m.Kind.Label(), m.Title, m.When(), m.Place, m.RuleText, len(people))})
	}
	if _, err := s.d.Outbox.EnqueueTx(tx, msgs...); err != nil {
		return fmt.Errorf("meeting invitations: %w", err)
	}
	return nil
}

func agendaLine(m *Meeting) string {
	if m.Agenda == "" {
		return ""
	}
	a := []rune(m.Agenda)
	if len(a) > 120 {
		a = append(a[:120], '…')
	}
	return "\n议程：" + string(a)
}

// Tick does the meetings' timed work once: the day-before and two-hours-
// before reminders to invitees who have not sent their excuses, and after
// a meeting the absentee follow-up (materials and quiz to each absentee,
// a word to the cadre packing each absent business). Each step is marked
// on the meeting in the transaction that enqueues it, so several
// instances ticking at once send each message once (the outbox's keys
// make a repeat a no-op as well). It returns how many meetings it handled.
func (s *Service) Tick(ctx context.Context) (int, error) {
	now := s.now()
	var due []Meeting
	err := s.d.DB.Gorm(ctx).Where(
		"(starts_at > ? AND starts_at <= ? AND reminded_day_at IS NULL AND invited_at IS NOT NULL) OR "+
			"(starts_at > ? AND starts_at <= ? AND reminded_hours_at IS NULL AND invited_at IS NOT NULL) OR "+
			"(ends_at <= ? AND ends_at > ? AND followed_up_at IS NULL)",
		now, now.Add(remindDay), now, now.Add(remindHours), now, now.Add(-s.d.Config.FollowUpWithin)).
		Order("id").Limit(50).Find(&due).Error
	if err != nil {
		return 0, fmt.Errorf("meeting tick: %w", err)
	}
	for i := range due {
		if err := s.tickOne(ctx, &due[i], now); err != nil {
			return i, err
		}
	}
	return len(due), nil
}

func (s *Service) tickOne(ctx context.Context, m *Meeting, now time.Time) error {
	return s.d.DB.InTx(ctx, func(tx *gorm.DB) error {
		switch {
		case !m.Past(now):
			// Inside two hours the day-before reminder is skipped: one
			// reminder close to the start is enough.
			col, stage := "reminded_day_at", "t-1d"
			if !m.StartsAt.After(now.Add(remindHours)) {
				col, stage = "reminded_hours_at", "t-2h"
			}
			res := tx.Model(&Meeting{}).Where("id = ? AND "+col+" IS NULL", m.ID).
				Updates(map[string]any{"reminded_day_at": gorm.Expr("COALESCE(reminded_day_at, ?)", now), col: now})
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			return s.remindTx(tx, m, stage)
		default:
			res := tx.Model(&Meeting{}).Where("id = ? AND followed_up_at IS NULL", m.ID).Update("followed_up_at", now)
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			return s.followUpTx(tx, m)
		}
	})
}

func (s *Service) remindTx(tx *gorm.DB, m *Meeting, stage string) error {
	var people []Person
	if err := tx.Where("meeting_id = ? AND invited = ? AND reply <> ? AND checked_in_at IS NULL", m.ID, true, ReplyExcused).
		Order("id").Find(&people).Error; err != nil {
		return fmt.Errorf("meeting reminders: %w", err)
	}
	to, err := s.recipientsTx(tx, people)
	if err != nil {
		return err
	}
	word := msgRemindTomorrow
	if stage == "t-2h" {
		word = msgRemindSoon
	}
	var msgs []notify.Message
	for _, p := range people {
		text := fmt.Sprintf(msgRemindText, word, m.Kind.Label(), m.Title, m.When(), m.Place)
		if p.Reply == "" {
			text += "\n" + fmt.Sprintf(msgReplyHow, m.Title)
		}
		for _, r := range to[p.ID] {
			msgs = append(msgs, notify.Message{Kind: KindReminder, To: r, Subject: m.subject(), Stage: stage,
				Title: word + "：" + m.Title, Fields: m.fields(), Text: text})
		}
	}
	_, err = s.d.Outbox.EnqueueTx(tx, msgs...)
	return err
}

// followUpTx sends each absentee the materials and the quiz, and tells
// the cadre packing each absent business.
func (s *Service) followUpTx(tx *gorm.DB, m *Meeting) error {
	var people []Person
	if err := tx.Where("meeting_id = ? AND invited = ? AND checked_in_at IS NULL", m.ID, true).Order("id").Find(&people).Error; err != nil {
		return fmt.Errorf("meeting follow-up: %w", err)
	}
	if len(people) == 0 {
		return nil
	}
	to, err := s.recipientsTx(tx, people)
	if err != nil {
		return err
	}
	var lines []string
	for _, mat := range m.MaterialList() {
		l := "· " + mat.Title
		if mat.URL != "" {
			l += " " + mat.URL
		}
		lines = append(lines, l)
	}
	materials := strings.Join(lines, "\n")
	if materials == "" {
		materials = msgNoMaterials
	}
	quiz := ""
	if q, ok := s.d.Quizzes.Get(m.QuizID); ok {
		quiz = "\n" + fmt.Sprintf(msgFollowUpQuiz, q.Title, len(q.Questions))
	}
	var msgs []notify.Message
	var absentBiz []int64
	for _, p := range people {
		for _, r := range to[p.ID] {
			msg := notify.Message{Kind: KindFollowUp, To: r, Subject: m.subject(), Stage: "followup",
				Title: fmt.Sprintf(msgFollowUpTitle, m.Title), Fields: m.fields(),
				Text: fmt.Sprintf(msgFollowUpText, m.Kind.Label(), m.Title, m.When(), materials) + quiz}
			if quiz != "" && s.d.Links != nil {
				msg.URL = s.d.Links.MeetingQuiz(m.ID, registry.ActorOf(string(r.Kind), r.ID), s.now().Add(s.d.Config.LinkTTL))
				msg.Text += msgFollowUpLink
			}
			msgs = append(msgs, msg)
		}
		if p.Kind == PersonBusiness && p.Reply != ReplyExcused {
			absentBiz = append(absentBiz, p.SubjectID)
		}
	}
	if len(absentBiz) > 0 {
		type row struct {
			CadreID int64
			Name    string
		}
		var rows []row
		err := tx.Raw(`SELECT a.cadre_id, b.name FROM assignments a JOIN businesses b ON b.id = a.active_business_id
			WHERE a.active_business_id IN ? ORDER BY a.cadre_id, b.id`, absentBiz).Scan(&rows).Error
		if err != nil {
			return fmt.Errorf("meeting follow-up: %w", err)
		}
		byCadre := map[int64][]string{}
		var order []int64
		for _, r := range rows {
			if byCadre[r.CadreID] == nil {
				order = append(order, r.CadreID)
			}
			byCadre[r.CadreID] = append(byCadre[r.CadreID], r.Name)
		}
		for _, c := range order {
			names := byCadre[c]
			msgs = append(msgs, notify.Message{Kind: KindAbsent, To: notify.Recipient{Kind: notify.ToCadre, ID: c},
				Subject: m.subject(), Stage: "absent", Title: fmt.Sprintf(msgAbsentTitle, len(names)),
				Fields: map[string]string{"title": m.Title, "time": m.When(), "count": fmt.Sprintf("%d家", len(names))},
				Text:   fmt.Sprintf(msgAbsentText, m.Kind.Label(), m.Title, m.When(), strings.Join(names, "、"))})
		}
	}
	_, err = s.d.Outbox.EnqueueTx(tx, msgs...)
	return err
}
