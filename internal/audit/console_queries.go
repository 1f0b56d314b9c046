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

// ListInScope is List limited to what a console user of one region may
// read: entries about records in the region subtree scopePath (whoever
// made them, in the console or in chat) and entries made by the given
// actors (the region's console users, for changes to records outside the
// tree such as an import). An empty scope with no actors means no entries.
func ListInScope(ctx context.Context, d *db.DB, f Filter, scopePath string, actors []string) ([]Entry, int64, error) {
	if scopePath == "" && len(actors) == 0 {
		return nil, 0, nil
	}
	return page(filtered(scoped(d.Gorm(ctx).Model(&Entry{}), scopePath, actors), f), f)
}

// scoped narrows q to a region subtree (an entry's scope or second scope
// in it) and a set of actors (either).
func scoped(q *gorm.DB, scopePath string, actors []string) *gorm.DB {
	switch {
	case scopePath != "" && len(actors) > 0:
		return q.Where("(scope_path LIKE ? OR also_scope_path LIKE ? OR actor IN ?)", scopePath+"%", scopePath+"%", actors)
	case scopePath != "":
		return q.Where("(scope_path LIKE ? OR also_scope_path LIKE ?)", scopePath+"%", scopePath+"%")
	default:
		return q.Where("actor IN ?", actors)
	}
}

// filtered applies f's fields (not Limit and Offset).
func filtered(q *gorm.DB, f Filter) *gorm.DB {
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
	return q
}

// EachEntry calls fn with every entry f selects (Limit and Offset
// ignored), newest first, a batch at a time, for exports. With restrict
// set only what ListInScope would show for scopePath and actors is walked.
func EachEntry(ctx context.Context, d *db.DB, f Filter, scopePath string, actors []string, restrict bool, fn func([]Entry) error) error {
	if restrict && scopePath == "" && len(actors) == 0 {
		return nil
	}
	before := int64(-1)
	for {
		q := filtered(d.Gorm(ctx).Model(&Entry{}), f)
		if restrict {
			q = scoped(q, scopePath, actors)
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
