package supervision

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/db"
)

// VisitObserver hears visits stored, for metrics.
type VisitObserver interface {
	// VisitSubmitted is a new visit (not a repeated submission) of mode.
	VisitSubmitted(mode string)
}

// Observe makes the service report to o. Call it before serving.
func (s *Service) Observe(o VisitObserver) { s.obs = o }

func (s *Service) visitSubmitted(m Mode) {
	if s.obs != nil {
		s.obs.VisitSubmitted(string(m))
	}
}

// PhotoBacklog is a photo queue's state for metrics: the photos waiting to
// be fetched and how long the oldest has waited since it arrived.
type PhotoBacklog struct {
	Pending int
	Oldest  time.Duration
}

// PhotoBacklog counts the visits' pending photos.
func (s *Service) PhotoBacklog(ctx context.Context) (PhotoBacklog, error) {
	return PhotoQueue{DB: s.db, Table: "photos", Now: s.now}.Backlog(ctx)
}

// Backlog counts the queue's pending photos in one query over its
// (status, next_attempt_at) index.
func (q PhotoQueue) Backlog(ctx context.Context) (PhotoBacklog, error) {
	var row struct {
		N      int
		Oldest db.Time
	}
	err := q.DB.Gorm(ctx).Table(q.Table).Select("COUNT(*) AS n, MIN(received_at) AS oldest").
		Where("status = ?", PhotoPending).Scan(&row).Error
	if err != nil {
		return PhotoBacklog{}, fmt.Errorf("photo backlog (%s): %w", q.Table, db.Translate(err))
	}
	b := PhotoBacklog{Pending: row.N}
	if !row.Oldest.IsZero() {
		b.Oldest = max(0, q.Now().Sub(row.Oldest.Time()))
	}
	return b, nil
}
