package notify

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// List limits.
const (
	defaultListLimit = 50
	maxListLimit     = 500
)

// Filter selects notifications for the console and the CLI. Zero fields
// select everything.
type Filter struct {
	// Status keeps those in any of these statuses (e.g. failed, dead,
	// unreachable: who cannot be reached, and why).
	Status    []Status
	Kind      string
	Recipient *Recipient
	// Since keeps those created at or after it.
	Since time.Time
	// Limit is the page size (default 50, at most 500); Offset skips.
	Limit, Offset int
}

// List returns one page of the notifications f selects, newest first, and
// how many it selects in all. An unknown status is Invalid.
func (s *Service) List(ctx context.Context, f Filter) ([]Notification, int64, error) {
	q := s.db.Gorm(ctx).Model(&row{})
	if len(f.Status) > 0 {
		statuses := make([]string, len(f.Status))
		for i, st := range f.Status {
			if !st.Valid() {
				return nil, 0, errs.E(errs.Invalid, "未知的通知状态：%s", st)
			}
			statuses[i] = string(st)
		}
		q = q.Where("status IN ?", statuses)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if r := f.Recipient; r != nil {
		if r.Kind == ToGroup {
			q = q.Where("recipient_kind = ? AND recipient_group = ?", string(r.Kind), r.Group)
		} else {
			q = q.Where("recipient_kind = ? AND recipient_id = ?", string(r.Kind), r.ID)
		}
	}
	if !f.Since.IsZero() {
		q = q.Where("created_at >= ?", f.Since.UTC())
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", db.Translate(err))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	limit = min(limit, maxListLimit)
	var rows []row
	if err := q.Order("id DESC").Limit(limit).Offset(max(f.Offset, 0)).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", db.Translate(err))
	}
	out := make([]Notification, len(rows))
	for i, r := range rows {
		out[i] = r.notification()
	}
	return out, total, nil
}

// Retry puts a failed, dead or unreachable notification back in the queue,
// due now (or when quiet hours end), with its attempts reset: for the
// console, once the cause is fixed (the person has bound, the template is
// configured). A message the platform had accepted before (a receipt said
// it failed) goes out under a new client_msg_id, or the platform would drop
// it as a repeat. NotFound for an unknown id; Conflict for one that is
// waiting, being sent or already sent.
func (s *Service) Retry(ctx context.Context, id int64) error { return s.RetryBy(ctx, id, "") }

// RetryBy is Retry done by a person (actor, "user:admin"), recorded in the
// audit log in the same transaction; an empty actor records nothing.
func (s *Service) RetryBy(ctx context.Context, id int64, actor string) error {
	now := s.now()
	return s.db.InTx(ctx, func(tx *gorm.DB) error {
		var r row
		if err := tx.Where("id = ?", id).First(&r).Error; err != nil {
			return db.NotFoundAs(err, msgNoSuchNotification)
		}
		res := tx.Model(&row{}).
			Where("id = ? AND status IN ?", id, []string{string(StatusFailed), string(StatusDead), string(StatusUnreachable)}).
			Updates(map[string]any{
				"status": string(StatusPending), "attempts": 0, "last_error": "",
				"next_attempt_at": s.stamp(s.quietAfter(r.Urgent, now)), "lease_until": nil, "lease_token": "",
				"requeues":   gorm.Expr("CASE WHEN platform_msg_id IS NULL THEN requeues ELSE requeues + 1 END"),
				"updated_at": now,
			})
		if res.Error != nil {
			return fmt.Errorf("retry notification: %w", db.Translate(res.Error))
		}
		if res.RowsAffected != 1 {
			return errs.E(errs.Conflict, msgNotRetryable)
		}
		if actor == "" {
			return nil
		}
		n := r.notification()
		return audit.Record(tx, audit.Entry{At: now, Actor: actor, Action: "notification.retry", SubjectType: "notification",
			SubjectID: id, Detail: fmt.Sprintf("%s to %s, was %s", n.Kind, n.To.String(), n.Status)})
	})
}
