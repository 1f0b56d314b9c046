package supervision

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/clock"
)

// LatestFeedback is the business's last 整改反馈 on a rectification, as the
// cadre sees it before the follow-up check: its note, photos and time (in
// clock.China).
type LatestFeedback struct {
	EventID int64
	Note    string
	At      time.Time
	Photos  int
}

// LatestFeedbacks returns the latest feedback of each of the given
// rectifications that has one. Two queries whatever the number.
func (s *Service) LatestFeedbacks(ctx context.Context, rectificationIDs []int64) (map[int64]LatestFeedback, error) {
	out := make(map[int64]LatestFeedback)
	if len(rectificationIDs) == 0 {
		return out, nil
	}
	var evs []RectificationEvent
	err := s.db.Gorm(ctx).Where("id IN (?)", s.db.Gorm(ctx).Model(&RectificationEvent{}).Select("MAX(id)").
		Where("rectification_id IN ? AND kind = ?", rectificationIDs, EventFeedback).Group("rectification_id")).
		Find(&evs).Error
	if err != nil {
		return nil, fmt.Errorf("latest feedback: %w", err)
	}
	if len(evs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	var counts []struct {
		RectificationEventID int64
		N                    int
	}
	if err := s.db.Gorm(ctx).Model(&Photo{}).Select("rectification_event_id, COUNT(*) AS n").
		Where("rectification_event_id IN ?", ids).Group("rectification_event_id").Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("latest feedback photos: %w", err)
	}
	n := make(map[int64]int, len(counts))
	for _, c := range counts {
		n[c.RectificationEventID] = c.N
	}
	for _, e := range evs {
		out[e.RectificationID] = LatestFeedback{EventID: e.ID, Note: e.Note, At: e.CreatedAt.In(clock.China), Photos: n[e.ID]}
	}
	return out, nil
}

// feedbackPhotosTx copies the photos of a feedback event of the same
// rectification to the check's event: the business's pictures taken as
// the evidence of the follow-up check. Stored ones stay stored (the same
// file); pending ones are fetched like any other.
func feedbackPhotosTx(tx *gorm.DB, rectificationID, feedbackEventID, eventID int64, now time.Time) (int, error) {
	var ev RectificationEvent
	if err := tx.Where("id = ? AND rectification_id = ? AND kind = ?", feedbackEventID, rectificationID, EventFeedback).
		Limit(1).Find(&ev).Error; err != nil || ev.ID == 0 {
		return 0, err
	}
	var ps []Photo
	if err := tx.Where("rectification_event_id = ?", ev.ID).Order("id").Find(&ps).Error; err != nil {
		return 0, err
	}
	for i := range ps {
		ps[i].ID, ps[i].RectificationEventID, ps[i].CreatedAt = 0, &eventID, now
		ps[i].LeaseUntil, ps[i].LeaseToken = nil, ""
	}
	if len(ps) == 0 {
		return 0, nil
	}
	return len(ps), tx.CreateInBatches(ps, bulkBatch).Error
}
