package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/db"
)

// MinRetention is the shortest time finished notifications are kept. A
// row's idempotency key is what stops the planner sending a stage twice;
// the planner re-plans a missed one-off notice for at most a month, so
// keys must outlive that by a margin.
const MinRetention = 60 * 24 * time.Hour

// pruneBatch is how many rows one delete removes, to keep each statement
// short on a busy outbox.
const pruneBatch = 1000

// finished are the statuses nothing happens to any more.
var finished = []Status{StatusSent, StatusDelivered, StatusDead, StatusUnreachable}

// Prune deletes notifications finished (sent, delivered, dead or
// unreachable) before now minus retention, at most max rows (all when
// max ≤ 0), a batch at a time, and returns how many it deleted. Pending,
// sending and failed ones are never touched. Invalid retention (under
// MinRetention) deletes nothing.
func (s *Service) Prune(ctx context.Context, retention time.Duration, max int) (int, error) {
	if retention < MinRetention {
		return 0, fmt.Errorf("notify prune: retention %s is under %s", retention, MinRetention)
	}
	// next_attempt_at is when a finished row was last attempted, which
	// ix_outbox_due (status, next_attempt_at) finds in order.
	before := s.now().Add(-retention)
	total := 0
	for max <= 0 || total < max {
		n := pruneBatch
		if max > 0 {
			n = min(n, max-total)
		}
		var ids []int64
		if err := s.db.Gorm(ctx).Model(&row{}).Where("status IN ? AND next_attempt_at < ?", finished, before).
			Order("next_attempt_at").Limit(n).Pluck("id", &ids).Error; err != nil {
			return total, fmt.Errorf("notify prune: %w", db.Translate(err))
		}
		if len(ids) == 0 {
			break
		}
		// The status is checked again: a row retried from the console in
		// between is pending and stays.
		res := s.db.Gorm(ctx).Where("id IN ? AND status IN ?", ids, finished).Delete(&row{})
		if res.Error != nil {
			return total, fmt.Errorf("notify prune: %w", db.Translate(res.Error))
		}
		total += int(res.RowsAffected)
		if len(ids) < n {
			break
		}
	}
	return total, nil
}
