package supervision

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// Rectification statuses. A rectification is open until a follow-up
// check (复查) finds it rectified; it is withdrawn when a revision of its
// visit drops the finding.
const (
	StatusOpen      = "open"
	StatusRectified = "rectified"
	StatusWithdrawn = "withdrawn"
)

// Rectification event kinds.
const (
	EventRectified = "rectified"
	EventExtended  = "extended"
	EventFeedback  = "feedback"
	EventWithdrawn = "withdrawn"
)

var rectStatusLabels = map[string]string{StatusOpen: "整改中", StatusRectified: "已整改", StatusWithdrawn: "已撤销"}

// StatusLabel is the Chinese name of a rectification status.
func StatusLabel(status string) string { return rectStatusLabels[status] }

// rectification is a row of the rectifications table: one per finding.
// CadreID is who raised it; follow-up belongs to whoever packs the
// business now.
type rectification struct {
	ID         int64
	FindingID  int64
	BusinessID int64
	CadreID    int64
	Deadline   time.Time
	Status     string
	ClosedAt   *time.Time
	ClosedBy   registry.Actor
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (rectification) TableName() string { return "rectifications" }

// RectificationEvent is one step of a rectification's history: found
// rectified, deadline extended (with the reason as Note), feedback.
type RectificationEvent struct {
	ID              int64
	RectificationID int64
	Kind            string
	Note            string
	NewDeadline     *time.Time
	Actor           registry.Actor
	CreatedAt       time.Time
}

// Rectification is an open rectification as a cadre follows it up.
// Deadline is a day in clock.China; DaysLeft is negative when overdue.
type Rectification struct {
	ID, FindingID, BusinessID, CadreID int64
	BusinessName                       string
	ItemID, ItemLabel, Description     string
	Requirement                        string
	Deadline                           time.Time
	Status                             string
	DaysLeft                           int
}

// OpenRectifications lists the open rectifications of the businesses the
// cadre packs now, overdue first (by deadline, then id). One query.
func (s *Service) OpenRectifications(ctx context.Context, cadreID int64) ([]Rectification, error) {
	var rows []struct {
		Rectification
		CheckKind string
	}
	err := s.db.Gorm(ctx).Raw(`
SELECT r.id, r.finding_id, r.business_id, r.cadre_id, b.name AS business_name, f.item_id, f.description, f.requirement,
	r.deadline, r.status, v.check_kind
FROM rectifications r
JOIN assignments a ON a.active_business_id = r.business_id
JOIN businesses b ON b.id = r.business_id
JOIN findings f ON f.id = r.finding_id
JOIN visits v ON v.id = f.visit_id
WHERE a.cadre_id = ? AND r.status = ?
ORDER BY r.deadline, r.id`, cadreID, StatusOpen).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("open rectifications: %w", err)
	}
	now := s.now()
	out := make([]Rectification, len(rows))
	for i, r := range rows {
		out[i] = r.Rectification
		out[i].ItemLabel = s.lists.Label(r.ItemID, r.CheckKind)
		out[i].Deadline = r.Deadline.In(clock.China)
		out[i].DaysLeft = DaysBetween(now, r.Deadline)
	}
	return out, nil
}

// RecheckInput is the outcome of a follow-up check (复查): either found
// rectified (with photo evidence or a note), or the deadline extended to
// a later day with a reason.
type RecheckInput struct {
	Rectified   bool
	Photos      []PhotoInput
	Note        string
	NewDeadline time.Time
	Reason      string
	// FeedbackEventID, when set on a rectified check, takes the photos of
	// that 整改反馈 of the business (LatestFeedback) as evidence too.
	FeedbackEventID int64
	// Actor defaults to the cadre.
	Actor registry.Actor
}

// Recheck records a follow-up check by the cadre who packs the business
// now: an event and the rectification's new state in one transaction.
// Forbidden for any other cadre, NotFound for an unknown rectification,
// Conflict when it is no longer open, Invalid for a rectified check with
// neither photo nor note, or an extension without a later day or a reason.
func (s *Service) Recheck(ctx context.Context, rectificationID, cadreID int64, in RecheckInput) error {
	in.Note, in.Reason = strings.TrimSpace(in.Note), strings.TrimSpace(in.Reason)
	if err := in.check(); err != nil {
		return err
	}
	if in.Actor == "" {
		in.Actor = registry.ActorOf("cadre", cadreID)
	}
	var r rectification
	if err := s.db.Gorm(ctx).First(&r, rectificationID).Error; err != nil {
		return db.NotFoundAs(err, msgRectificationNotFound)
	}
	var assigned []int64
	if err := s.db.Gorm(ctx).Model(&registry.Assignment{}).Where("active_business_id = ?", r.BusinessID).
		Pluck("cadre_id", &assigned).Error; err != nil {
		return fmt.Errorf("recheck: %w", err)
	}
	if len(assigned) == 0 || assigned[0] != cadreID {
		return errs.E(errs.Forbidden, msgRecheckNotAssigned)
	}
	if r.Status != StatusOpen {
		return errs.E(errs.Conflict, msgRectificationClosed, StatusLabel(r.Status))
	}
	now := s.now().UTC()
	ev := RectificationEvent{RectificationID: r.ID, Actor: in.Actor, CreatedAt: now}
	updates := map[string]any{"updated_at": now}
	if in.Rectified {
		ev.Kind, ev.Note = EventRectified, in.Note
		updates["status"], updates["closed_at"], updates["closed_by"] = StatusRectified, now, in.Actor
	} else {
		nd := clock.Date(in.NewDeadline)
		if !nd.After(clock.Date(r.Deadline)) || nd.Before(clock.Date(now)) {
			return errs.E(errs.Invalid, msgExtendLater, r.Deadline.In(clock.China).Format("2006-01-02"))
		}
		ndUTC := nd.UTC()
		ev.Kind, ev.Note, ev.NewDeadline = EventExtended, in.Reason, &ndUTC
		updates["deadline"] = ndUTC
	}
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&rectification{}).Where("id = ? AND status = ?", r.ID, StatusOpen).Updates(updates)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.E(errs.Conflict, msgRectificationClosed, StatusLabel(StatusRectified))
		}
		if err := tx.Create(&ev).Error; err != nil {
			return err
		}
		action, detail := "rectification.close", fmt.Sprintf("rectification %d (finding %d) rectified, %d photos", r.ID, r.FindingID, len(in.Photos))
		if !in.Rectified {
			action, detail = "rectification.extend", fmt.Sprintf("rectification %d (finding %d) deadline to %s; %s", r.ID, r.FindingID,
				ev.NewDeadline.In(clock.China).Format("2006-01-02"), in.Reason)
		}
		if err := registry.AuditTx(tx, audit.Entry{At: now, Actor: string(in.Actor), Action: action,
			SubjectType: registry.AuditBusiness, SubjectID: r.BusinessID, Detail: detail}); err != nil {
			return err
		}
		if in.Rectified && in.FeedbackEventID != 0 {
			if _, err := feedbackPhotosTx(tx, r.ID, in.FeedbackEventID, ev.ID, now); err != nil {
				return err
			}
		}
		if len(in.Photos) == 0 {
			return nil
		}
		ps := make([]Photo, len(in.Photos))
		for i, p := range in.Photos {
			ps[i] = newPhoto(p, now)
			ps[i].RectificationEventID = &ev.ID
		}
		return tx.CreateInBatches(ps, bulkBatch).Error
	})
	if err != nil {
		return fmt.Errorf("recheck: %w", err)
	}
	return nil
}

func (in RecheckInput) check() error {
	var problems []errs.FieldError
	bad := func(field, reason string) { problems = append(problems, errs.FieldError{Field: field, Reason: reason}) }
	if in.Rectified {
		if len(in.Photos) == 0 && in.Note == "" && in.FeedbackEventID == 0 {
			bad("photos", msgRectifiedEvidence)
		}
	} else {
		if in.NewDeadline.IsZero() {
			bad("new_deadline", msgExtendDate)
		}
		if in.Reason == "" {
			bad("reason", msgExtendReason)
		}
	}
	if runeLen(in.Note) > 500 || runeLen(in.Reason) > 500 {
		bad("note", msgNoteTooLong)
	}
	if len(in.Photos) > maxPhotos {
		bad("photos", fmt.Sprintf(msgTooManyPhotos, maxPhotos))
	}
	for _, p := range in.Photos {
		if r := p.check(); r != "" {
			bad("photos", r)
			break
		}
	}
	return invalid(problems)
}

// withdrawTx closes open rectifications whose findings a revision
// dropped, recording why.
func (s *Service) withdrawTx(tx *gorm.DB, ids []int64, by registry.Actor, reason string, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	if err := tx.Model(&rectification{}).Where("id IN ? AND status = ?", ids, StatusOpen).Updates(map[string]any{
		"status": StatusWithdrawn, "closed_at": now, "closed_by": by, "updated_at": now,
	}).Error; err != nil {
		return err
	}
	evs := make([]RectificationEvent, len(ids))
	for i, id := range ids {
		evs[i] = RectificationEvent{RectificationID: id, Kind: EventWithdrawn, Note: reason, Actor: by, CreatedAt: now}
	}
	return tx.CreateInBatches(evs, bulkBatch).Error
}

// RectificationHistory lists a rectification's events, oldest first.
func (s *Service) RectificationHistory(ctx context.Context, rectificationID int64) ([]RectificationEvent, error) {
	var evs []RectificationEvent
	if err := s.db.Gorm(ctx).Where("rectification_id = ?", rectificationID).Order("id").Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("rectification history: %w", err)
	}
	return evs, nil
}
