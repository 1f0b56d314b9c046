package notify

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// Addressed is a notification with the name of whom it is for (a cadre's,
// a manager's or a business contact's name, or the group).
type Addressed struct {
	Notification
	RecipientName string `json:"recipient_name"`
}

// addressedRow is what the console's queries scan.
type addressedRow struct {
	R             row `gorm:"embedded"`
	RecipientName string
}

// inScope limits outbox rows (aliased o) to those for people and groups of
// a region subtree: cadres registered in it, managers and groups of offices
// in it, contacts of businesses in it. The tables are the register's and
// the accounts'; the outbox knows its recipients only by kind and id.
func inScope(q *gorm.DB, scopePath string) *gorm.DB {
	if scopePath == "" {
		return q
	}
	like := scopePath + "%"
	return q.Where(`(
 (o.recipient_kind = 'cadre' AND o.recipient_id IN (SELECT c.id FROM cadres c JOIN regions r ON r.id = c.region_id WHERE r.path LIKE ?))
 OR (o.recipient_kind = 'manager' AND o.recipient_id IN (SELECT m.id FROM managers m JOIN offices f ON f.id = m.office_id JOIN regions r ON r.id = f.region_id WHERE r.path LIKE ?))
 OR (o.recipient_kind = 'contact' AND o.recipient_id IN (SELECT ct.id FROM contacts ct JOIN businesses b ON b.id = ct.business_id JOIN regions r ON r.id = b.region_id WHERE r.path LIKE ?))
 OR (o.recipient_kind = 'group' AND o.recipient_group IN (SELECT f.short_name FROM offices f JOIN regions r ON r.id = f.region_id WHERE r.path LIKE ?)))`,
		like, like, like, like)
}

func (s *Service) consoleQuery(ctx context.Context, f Filter, scopePath string) (*gorm.DB, error) {
	q := s.db.Gorm(ctx).Table("outbox o")
	if len(f.Status) > 0 {
		statuses := make([]string, len(f.Status))
		for i, st := range f.Status {
			if !st.Valid() {
				return nil, errs.E(errs.Invalid, "未知的通知状态：%s", st)
			}
			statuses[i] = string(st)
		}
		q = q.Where("o.status IN ?", statuses)
	}
	if f.Kind != "" {
		q = q.Where("o.kind = ?", f.Kind)
	}
	if r := f.Recipient; r != nil {
		if r.Kind == ToGroup {
			q = q.Where("o.recipient_kind = ? AND o.recipient_group = ?", string(r.Kind), r.Group)
		} else {
			q = q.Where("o.recipient_kind = ? AND o.recipient_id = ?", string(r.Kind), r.ID)
		}
	}
	if !f.Since.IsZero() {
		q = q.Where("o.created_at >= ?", f.Since.UTC())
	}
	return inScope(q, scopePath), nil
}

func addressed(q *gorm.DB) *gorm.DB {
	return q.Select(`o.*, COALESCE(rc.name, rm.name, rt.name, o.recipient_group, '') AS recipient_name`).
		Joins("LEFT JOIN cadres rc ON o.recipient_kind = 'cadre' AND rc.id = o.recipient_id").
		Joins("LEFT JOIN managers rm ON o.recipient_kind = 'manager' AND rm.id = o.recipient_id").
		Joins("LEFT JOIN contacts rt ON o.recipient_kind = 'contact' AND rt.id = o.recipient_id")
}

func toAddressed(rows []addressedRow) []Addressed {
	out := make([]Addressed, len(rows))
	for i, r := range rows {
		out[i] = Addressed{Notification: r.R.notification(), RecipientName: r.RecipientName}
	}
	return out
}

// ListInScope is List for a console user: only notifications for people
// and groups of the region subtree scopePath ("" for all), each with its
// recipient's name. Two queries. An unknown status is Invalid.
func (s *Service) ListInScope(ctx context.Context, f Filter, scopePath string) ([]Addressed, int64, error) {
	q, err := s.consoleQuery(ctx, f, scopePath)
	if err != nil {
		return nil, 0, err
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", db.Translate(err))
	}
	if total == 0 {
		return nil, 0, nil
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	limit = min(limit, maxListLimit)
	q, _ = s.consoleQuery(ctx, f, scopePath)
	var rows []addressedRow
	if err := addressed(q).Order("o.id DESC").Limit(limit).Offset(max(f.Offset, 0)).Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", db.Translate(err))
	}
	return toAddressed(rows), total, nil
}

// EachInScope calls fn with every notification ListInScope would list
// (Limit and Offset ignored), a batch at a time, newest first, for exports.
func (s *Service) EachInScope(ctx context.Context, f Filter, scopePath string, fn func([]Addressed) error) error {
	before := int64(-1)
	for {
		q, err := s.consoleQuery(ctx, f, scopePath)
		if err != nil {
			return err
		}
		if before >= 0 {
			q = q.Where("o.id < ?", before)
		}
		var rows []addressedRow
		if err := addressed(q).Order("o.id DESC").Limit(1000).Scan(&rows).Error; err != nil {
			return fmt.Errorf("export notifications: %w", db.Translate(err))
		}
		if len(rows) == 0 {
			return nil
		}
		if err := fn(toAddressed(rows)); err != nil {
			return err
		}
		before = rows[len(rows)-1].R.ID
	}
}

// GetInScope returns one notification for someone in the region subtree.
// NotFound when absent or outside it.
func (s *Service) GetInScope(ctx context.Context, id int64, scopePath string) (*Addressed, error) {
	q := inScope(s.db.Gorm(ctx).Table("outbox o"), scopePath).Where("o.id = ?", id)
	var rows []addressedRow
	if err := addressed(q).Limit(1).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("notification: %w", db.Translate(err))
	}
	if len(rows) == 0 {
		return nil, errs.E(errs.NotFound, msgNoSuchNotification)
	}
	a := toAddressed(rows)[0]
	return &a, nil
}
