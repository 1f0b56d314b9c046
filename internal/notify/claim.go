package notify

import (
	"context"
	cryptorand "crypto/rand"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shianbao/shianbao/internal/db"
)

// claim is a batch of rows leased to one dispatcher.
type claim struct {
	token string
	until time.Time
	rows  []row
}

// dueStatuses is due as strings, for queries.
var dueStatuses = func() []string {
	out := make([]string, len(due))
	for i, s := range due {
		out[i] = string(s)
	}
	return out
}()

// claim leases up to limit due rows to a fresh token for Lease: status
// sending, lease_until (and next_attempt_at) at the lease's end, one more
// attempt. A row whose lease ran out is due again, so a crashed
// dispatcher's rows are taken over. urgentOnly (inside quiet hours) leaves
// every row but the urgent ones where they are.
func (s *Service) claim(ctx context.Context, limit int, urgentOnly bool) (*claim, error) {
	now := s.now()
	c := &claim{token: cryptorand.Text(), until: now.Add(s.cfg.Lease)}
	set := map[string]any{
		"status": string(StatusSending), "lease_token": c.token, "lease_until": c.until,
		"next_attempt_at": c.until, "attempts": gorm.Expr("attempts + 1"), "updated_at": now,
	}
	var ids []int64
	var err error
	if s.cfg.Claim == ClaimSkipLocked {
		ids, err = s.claimSkipLocked(ctx, now, limit, urgentOnly, set)
	} else {
		ids, err = s.claimByUpdate(ctx, now, limit, urgentOnly, set)
	}
	if err != nil {
		return nil, fmt.Errorf("notify claim: %w", db.Translate(err))
	}
	if len(ids) == 0 {
		return c, nil
	}
	if err := s.db.Gorm(ctx).Where("id IN ? AND lease_token = ?", ids, c.token).Order("id").Find(&c.rows).Error; err != nil {
		return nil, fmt.Errorf("notify claim: read claimed: %w", db.Translate(err))
	}
	return c, nil
}

// claimSkipLocked locks due rows other dispatchers have not locked and
// leases them in one short transaction. READ COMMITTED keeps InnoDB from
// taking gap locks, which would hold up enqueuing meanwhile.
func (s *Service) claimSkipLocked(ctx context.Context, now time.Time, limit int, urgentOnly bool, set map[string]any) ([]int64, error) {
	var ids []int64
	err := s.db.Gorm(ctx).Transaction(func(tx *gorm.DB) error {
		err := onlyUrgent(tx.Model(&row{}).Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).
			Where("status IN ? AND next_attempt_at <= ?", dueStatuses, now), urgentOnly).Limit(limit).Pluck("id", &ids).Error
		if err != nil || len(ids) == 0 {
			return err
		}
		return tx.Model(&row{}).Where("id IN ?", ids).Updates(set).Error
	}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	return ids, err
}

// claimByUpdate leases due rows by a conditional update: a row another
// dispatcher took meanwhile is no longer due and is left out, so what this
// dispatcher got is what carries its token. Dispatchers pick at random
// among more candidates than they take, so that they rarely collide.
func (s *Service) claimByUpdate(ctx context.Context, now time.Time, limit int, urgentOnly bool, set map[string]any) ([]int64, error) {
	g := s.db.Gorm(ctx)
	var ids []int64
	pool := limit
	if s.cfg.Workers > 1 {
		pool = limit * 4
	}
	if err := onlyUrgent(g.Model(&row{}).Where("status IN ? AND next_attempt_at <= ?", dueStatuses, now), urgentOnly).
		Limit(pool).Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
		return nil, err
	}
	if len(ids) > limit {
		rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		ids = ids[:limit]
	}
	// Ascending ids make concurrent updates lock rows in the same order.
	slices.Sort(ids)
	res := g.Model(&row{}).Where("id IN ? AND status IN ? AND next_attempt_at <= ?", ids, dueStatuses, now).Updates(set)
	if res.Error != nil || res.RowsAffected == 0 {
		return nil, res.Error
	}
	return ids, nil
}

// onlyUrgent limits q to urgent rows when urgentOnly.
func onlyUrgent(q *gorm.DB, urgentOnly bool) *gorm.DB {
	if urgentOnly {
		return q.Where("urgent = ?", true)
	}
	return q
}

// release gives rows back untried: due again now, the attempt the claim
// counted taken back, pending or failed as before (a row with an error
// was failed).
func (s *Service) release(ctx context.Context, c *claim, rows []row) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	now := s.now()
	err := s.db.Gorm(ctx).Model(&row{}).Where("id IN ? AND lease_token = ?", ids, c.token).Updates(map[string]any{
		"status":          gorm.Expr("CASE WHEN last_error = '' THEN ? ELSE ? END", string(StatusPending), string(StatusFailed)),
		"attempts":        gorm.Expr("attempts - 1"),
		"next_attempt_at": now, "lease_until": nil, "lease_token": "", "updated_at": now,
	}).Error
	if err != nil {
		return fmt.Errorf("notify release: %w", db.Translate(err))
	}
	return nil
}
