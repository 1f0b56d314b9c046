package selfcheck

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
)

// Reminders: once a day, at the time the business chose (DefaultRemind
// unless it set its own), each of its bound contacts hears of what is
// still to do — today's daily control; on the week's last two days the
// weekly review; on the month's last three days the monthly dispatch —
// each from the contacts whose post it is (the officer for the daily
// control, the director or officer for the weekly review, the principal
// for the monthly dispatch), or all of them when nobody holds that post.
// One message a contact a day at most, none once everything is recorded,
// none while the business is not operating.
//
// The reminder planner asks Due once a day (and again after the
// simulator's clock jumps); RemindTick, run every minute by a background
// worker, sends the reminders whose time has just come. Both make the same
// messages with the same idempotency keys, so either may go first.

// Reminder times, in minutes after midnight (China).
const (
	// DefaultRemind is 16:00: late enough for the day's checks, before
	// the evening service.
	DefaultRemind = 16 * 60
	// MinRemind and MaxRemind keep reminders out of quiet hours.
	MinRemind = 8 * 60
	MaxRemind = 21 * 60
)

// KindReminder is the outbox kind of self-check reminders.
const KindReminder = "selfcheck.reminder"

// Days at a period's end on which its reminder is due.
const (
	weeklyRemindDays  = 2
	monthlyRemindDays = 3
)

// remindKeyTTL keeps the tick's progress for a day past its end.
const remindKeyTTL = 48 * time.Hour

// setting is a business's own reminder time.
type setting struct {
	BusinessID   int64 `gorm:"primaryKey;autoIncrement:false"`
	RemindMinute int
	UpdatedBy    registry.Actor
	UpdatedAt    time.Time
}

func (setting) TableName() string { return "selfcheck_settings" }

var remindPattern = regexp.MustCompile(`^(上午|早上|中午|下午|傍晚|晚上)?\s*(\d{1,2})\s*(?:[:：.]\s*(\d{2})|点\s*(半|(\d{1,2})\s*分?)?|时)?$`)

// ParseRemindTime reads a time of day as people type it: "18:00",
// "18：30", "18点", "6点半", "下午6点", "18" — the minutes after midnight.
func ParseRemindTime(s string) (int, bool) {
	s = strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		return r
	}, strings.TrimSpace(s))
	m := remindPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	h, _ := strconv.Atoi(m[2])
	mins := 0
	switch {
	case m[3] != "":
		mins, _ = strconv.Atoi(m[3])
	case m[4] == "半":
		mins = 30
	case m[5] != "":
		mins, _ = strconv.Atoi(m[5])
	}
	if (m[1] == "下午" || m[1] == "傍晚" || m[1] == "晚上") && h < 12 {
		h += 12
	}
	if h > 23 || mins > 59 {
		return 0, false
	}
	return h*60 + mins, true
}

// FormatMinute shows minutes after midnight as "16:00".
func FormatMinute(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// SetReminder sets the daily reminder time of the contact's business, for
// every contact of it. Invalid outside MinRemind–MaxRemind or for a
// business that is not operating.
func (s *Service) SetReminder(ctx context.Context, contactID int64, minute int) error {
	c, _, err := s.Contact(ctx, contactID)
	if err != nil {
		return err
	}
	if minute < MinRemind || minute > MaxRemind {
		return errs.E(errs.Invalid, msgRemindRange, FormatMinute(MinRemind), FormatMinute(MaxRemind))
	}
	row := setting{BusinessID: c.BusinessID, RemindMinute: minute, UpdatedBy: registry.ActorOf("contact", c.ID), UpdatedAt: s.now()}
	err = s.d.DB.Gorm(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "business_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"remind_minute", "updated_by", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("set reminder time: %w", err)
	}
	return nil
}

// ReminderMinute is the business's daily reminder time (DefaultRemind
// unless it chose one).
func (s *Service) ReminderMinute(ctx context.Context, businessID int64) (int, error) {
	var st setting
	err := s.d.DB.Gorm(ctx).Where("business_id = ?", businessID).Limit(1).Find(&st).Error
	if err != nil {
		return 0, fmt.Errorf("reminder time: %w", err)
	}
	if st.BusinessID == 0 {
		return DefaultRemind, nil
	}
	return st.RemindMinute, nil
}

// Due lists the reminders due at at: for every operating business whose
// reminder time has come on at's day. It is the reminder planner's source.
// A day already past gets none (the planner re-runs yesterday's plan
// after midnight when it was cut short): a reminder to record a day that
// is over would only confuse.
func (s *Service) Due(ctx context.Context, at time.Time) ([]notify.Message, error) {
	if clock.Date(at).Before(s.today()) {
		return nil, nil
	}
	return s.due(ctx, at, -1)
}

// RemindTick enqueues the reminders whose time came since the last tick
// today: one instance at a time (a kv lock), the progress kept in kv. A
// lost progress record only means asking again; the outbox drops what it
// already has. It returns how many reminders were newly queued.
func (s *Service) RemindTick(ctx context.Context) (int, error) {
	if s.d.KV == nil || s.d.Outbox == nil {
		return 0, nil
	}
	lock, err := kv.TryLock(ctx, s.d.KV, "selfcheck:remind:lock", time.Minute)
	if errors.Is(err, kv.ErrLocked) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("selfcheck reminders: %w", err)
	}
	defer lock.Release(context.WithoutCancel(ctx))
	now := s.clock.Now().In(clock.China)
	key := "selfcheck:remind:" + now.Format(dayLayout)
	minute := now.Hour()*60 + now.Minute()
	after := -1
	if v, err := s.d.KV.Get(ctx, key); err == nil {
		if n, err := strconv.Atoi(v); err == nil {
			after = n
		}
	}
	if minute <= after {
		return 0, nil
	}
	msgs, err := s.due(ctx, now, after)
	if err != nil {
		return 0, err
	}
	queued := 0
	for len(msgs) > 0 {
		chunk := msgs[:min(500, len(msgs))]
		msgs = msgs[len(chunk):]
		n, err := s.d.Outbox.Enqueue(ctx, chunk...)
		queued += n
		if err != nil {
			return queued, fmt.Errorf("selfcheck reminders: %w", err)
		}
	}
	if err := s.d.KV.Set(ctx, key, strconv.Itoa(minute), remindKeyTTL); err != nil {
		return queued, fmt.Errorf("selfcheck reminders: %w", err)
	}
	return queued, nil
}

// remindRow is a bound contact of a business whose reminder time has come,
// with what the business has recorded of the current periods.
type remindRow struct {
	BusinessID   int64
	BusinessName string
	ContactID    int64
	ContactName  string
	Role         account.ContactRole
	HasDaily     bool
	HasWeekly    bool
	HasMonthly   bool
}

// due makes the reminders of the businesses whose reminder time is after
// minute after and no later than at's, today. Two queries at most: the
// businesses on the default time and those with their own.
func (s *Service) due(ctx context.Context, at time.Time, after int) ([]notify.Message, error) {
	at = at.In(clock.China)
	minute := at.Hour()*60 + at.Minute()
	day, week, month := PeriodOf(Daily, at), PeriodOf(Weekly, at), PeriodOf(Monthly, at)
	weekDue := !day.Start.Before(week.End.AddDate(0, 0, 1-weeklyRemindDays))
	monthDue := !day.Start.Before(month.End.AddDate(0, 0, 1-monthlyRemindDays))
	sel := `SELECT b.id AS business_id, b.name AS business_name, c.id AS contact_id, c.name AS contact_name, c.role AS role,
	EXISTS (SELECT 1 FROM selfcheck_records r WHERE r.business_id = b.id AND r.kind = ? AND r.period = ? AND r.revision > 0) AS has_daily,
	EXISTS (SELECT 1 FROM selfcheck_records r WHERE r.business_id = b.id AND r.kind = ? AND r.period = ? AND r.revision > 0) AS has_weekly,
	EXISTS (SELECT 1 FROM selfcheck_records r WHERE r.business_id = b.id AND r.kind = ? AND r.period = ? AND r.revision > 0) AS has_monthly
FROM `
	args := []any{Daily, day.Key, Weekly, week.Key, Monthly, month.Key}
	where := `
JOIN contacts c ON c.business_id = b.id
WHERE b.status = ?
	AND EXISTS (SELECT 1 FROM identities i WHERE i.role = ? AND i.subject_id = c.id AND i.unbound_at IS NULL)`
	wargs := []any{registry.StatusOperating, account.RoleContact}
	if !weekDue && !monthDue {
		where += `
	AND NOT EXISTS (SELECT 1 FROM selfcheck_records r WHERE r.business_id = b.id AND r.kind = ? AND r.period = ? AND r.revision > 0)`
		wargs = append(wargs, Daily, day.Key)
	}
	var rows []remindRow
	g := s.d.DB.Gorm(ctx)
	if after < DefaultRemind && DefaultRemind <= minute {
		var def []remindRow
		q := sel + `businesses b LEFT JOIN selfcheck_settings st ON st.business_id = b.id` + where + `
	AND st.business_id IS NULL
ORDER BY b.id, c.id`
		if err := g.Raw(q, append(append([]any{}, args...), wargs...)...).Scan(&def).Error; err != nil {
			return nil, fmt.Errorf("selfcheck reminders due: %w", err)
		}
		rows = append(rows, def...)
	}
	var own []remindRow
	q := sel + `selfcheck_settings st JOIN businesses b ON b.id = st.business_id` + where + `
	AND st.remind_minute > ? AND st.remind_minute <= ?
ORDER BY b.id, c.id`
	if err := g.Raw(q, append(append(append([]any{}, args...), wargs...), after, minute)...).Scan(&own).Error; err != nil {
		return nil, fmt.Errorf("selfcheck reminders due: %w", err)
	}
	rows = append(rows, own...)

	var out []notify.Message
	for start := 0; start < len(rows); {
		end := start
		for end < len(rows) && rows[end].BusinessID == rows[start].BusinessID {
			end++
		}
		out = append(out, s.reminders(rows[start:end], day, weekDue, monthDue)...)
		start = end
	}
	return out, nil
}

// reminders makes one business's messages: each contact hears of the
// records still to do that are theirs to do.
func (s *Service) reminders(contacts []remindRow, day Period, weekDue, monthDue bool) []notify.Message {
	b := contacts[0]
	var kinds []Kind
	if !b.HasDaily {
		kinds = append(kinds, Daily)
	}
	if weekDue && !b.HasWeekly {
		kinds = append(kinds, Weekly)
	}
	if monthDue && !b.HasMonthly {
		kinds = append(kinds, Monthly)
	}
	todo := make(map[int64][]Kind, len(contacts))
	for _, k := range kinds {
		var to []int64
		for _, c := range contacts {
			if preferred(k, c.Role) {
				to = append(to, c.ContactID)
			}
		}
		if len(to) == 0 {
			for _, c := range contacts {
				to = append(to, c.ContactID)
			}
		}
		for _, id := range to {
			todo[id] = append(todo[id], k)
		}
	}
	var out []notify.Message
	for _, c := range contacts {
		ks := todo[c.ContactID]
		if len(ks) == 0 {
			continue
		}
		labels := make([]string, len(ks))
		var text strings.Builder
		fmt.Fprintf(&text, msgRemindHello, c.ContactName, b.BusinessName)
		for i, k := range ks {
			labels[i] = k.Label()
			switch k {
			case Daily:
				fmt.Fprintf(&text, msgRemindDaily, day.Label())
			case Weekly:
				text.WriteString(msgRemindWeekly)
			case Monthly:
				text.WriteString(msgRemindMonthly)
			}
		}
		text.WriteString(msgRemindTail)
		out = append(out, notify.Message{
			Kind: KindReminder, To: notify.Recipient{Kind: notify.ToContact, ID: c.ContactID}, Channel: notify.ChannelTemplate,
			Subject: "business:" + strconv.FormatInt(b.BusinessID, 10), Cycle: day.Key, Stage: "remind",
			Title: msgRemindTitle,
			Fields: map[string]string{"business": b.BusinessName, "name": c.ContactName, "date": day.Label(),
				"items": strings.Join(labels, "、")},
			Text: text.String(),
			URL:  s.LedgerURL(b.BusinessID, registry.ActorOf("contact", c.ContactID)),
		})
	}
	return out
}

// preferred reports whether a contact in role is the first to remind of
// a kind of record: the officer of the daily control, the director or
// officer of the weekly review, the principal of the monthly dispatch.
func preferred(k Kind, role account.ContactRole) bool {
	if k == Daily {
		return role == account.ContactOfficer
	}
	return RoleFits(k, role)
}
