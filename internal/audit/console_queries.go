package audit

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
)

// Write records e on its own, for a change whose feature offers no
// transaction to record it in (it has just committed). Prefer Record
// inside the change's transaction wherever there is one.
func Write(ctx context.Context, d *db.DB, e Entry) error {
	return d.InTx(ctx, func(tx *gorm.DB) error { return Record(tx, e) })
}

// ListByActors is List limited to entries made by the given actors (a
// console manager sees what the users of their region did). No actors
// means no entries.
func ListByActors(ctx context.Context, d *db.DB, f Filter, actors []string) ([]Entry, int64, error) {
	if len(actors) == 0 {
		return nil, 0, nil
	}
	q := d.Gorm(ctx).Model(&Entry{}).Where("actor IN ?", actors)
	if f.SubjectType != "" {
		q = q.Where("subject_type = ?", f.SubjectType)
	}
	if f.SubjectID != 0 {
		q = q.Where("subject_id = ?", f.SubjectID)
	}
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count audit entries: %w", db.Translate(err))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	var es []Entry
	if err := q.Order("id DESC").Limit(limit).Offset(max(f.Offset, 0)).Find(&es).Error; err != nil {
		return nil, 0, fmt.Errorf("list audit entries: %w", db.Translate(err))
	}
	return es, total, nil
}

// EachEntry calls fn with every entry f selects (Limit and Offset
// ignored), newest first, a batch at a time, for exports. With restrict
// set only the given actors' entries are walked.
func EachEntry(ctx context.Context, d *db.DB, f Filter, actors []string, restrict bool, fn func([]Entry) error) error {
	if restrict && len(actors) == 0 {
		return nil
	}
	before := int64(-1)
	for {
		q := d.Gorm(ctx).Model(&Entry{})
		if restrict {
			q = q.Where("actor IN ?", actors)
		}
		if f.SubjectType != "" {
			q = q.Where("subject_type = ?", f.SubjectType)
		}
		if f.SubjectID != 0 {
			q = q.Where("subject_id = ?", f.SubjectID)
		}
		if f.Actor != "" {
			q = q.Where("actor = ?", f.Actor)
		}
		if f.Action != "" {
			q = q.Where("action = ?", f.Action)
		}
		if before >= 0 {
			q = q.Where("id < ?", before)
		}
		var es []Entry
		if err := q.Order("id DESC").Limit(1000).Find(&es).Error; err != nil {
			return fmt.Errorf("export audit entries: %w", db.Translate(err))
		}
		if len(es) == 0 {
			return nil
		}
		if err := fn(es); err != nil {
			return err
		}
		before = es[len(es)-1].ID
	}
}
