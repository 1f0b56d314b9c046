package query

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
)

// AuditFilter narrows the audit log; zero fields match everything. Limit
// defaults to 50 and is capped at 500.
type AuditFilter struct {
	SubjectType string
	SubjectID   int64
	Actor       string
	Action      string
	// Actors keeps the entries made by any of them, and SubjectIDs those
	// about any of these records (of SubjectType); a non-nil empty list
	// matches nothing (a name nobody has).
	Actors     []string
	SubjectIDs []int64
	Limit      int
	Offset     int
}

// AuditScope is what of the audit log a console user may read: all of it
// (an administrator), or the entries about records in the region subtree
// Path (whoever made them, in the console or in chat) and those made by
// Actors (the region's console users, for changes to records outside the
// tree such as an import). Neither a path nor actors means no entries.
type AuditScope struct {
	All    bool
	Path   string
	Actors []string
}

// AuditEntry is a line of the audit log as the console lists it.
type AuditEntry struct {
	ID          int64     `json:"id"`
	At          time.Time `json:"at"`
	Actor       string    `json:"actor"`
	Action      string    `json:"action"`
	SubjectType string    `json:"subject_type"`
	SubjectID   int64     `json:"subject_id"`
	Detail      string    `json:"detail"`
	// ScopePath and AlsoScopePath are the region paths whose logs show
	// the entry ("" for none).
	ScopePath     string `json:"scope_path,omitempty"`
	AlsoScopePath string `json:"also_scope_path,omitempty"`
}

// auditQuery selects the entries of s that f matches; nil when s admits
// none.
func (r *Reader) auditQuery(ctx context.Context, f AuditFilter, s AuditScope) *gorm.DB {
	q := r.db.Gorm(ctx).Table("audit_log")
	switch {
	case s.All:
	case s.Path != "" && len(s.Actors) > 0:
		q = q.Where("("+subtree("scope_path")+" OR "+subtree("also_scope_path")+" OR actor IN ?)",
			subtreeArg(s.Path), subtreeArg(s.Path), s.Actors)
	case s.Path != "":
		q = q.Where("("+subtree("scope_path")+" OR "+subtree("also_scope_path")+")", subtreeArg(s.Path), subtreeArg(s.Path))
	case len(s.Actors) > 0:
		q = q.Where("actor IN ?", s.Actors)
	default:
		return nil
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
	if f.Actors != nil {
		if len(f.Actors) == 0 {
			return q.Where("1 = 0")
		}
		q = q.Where("actor IN ?", f.Actors)
	}
	if f.SubjectIDs != nil {
		if len(f.SubjectIDs) == 0 {
			return q.Where("1 = 0")
		}
		q = q.Where("subject_id IN ?", f.SubjectIDs)
	}
	return q
}

// AuditEntries lists one page of the entries of s that f matches, newest
// first, with the total. Two queries.
func (r *Reader) AuditEntries(ctx context.Context, f AuditFilter, s AuditScope) ([]AuditEntry, int64, error) {
	q := r.auditQuery(ctx, f, s)
	if q == nil {
		return nil, 0, nil
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count audit entries: %w", db.Translate(err))
	}
	var es []AuditEntry
	err := r.auditQuery(ctx, f, s).Order("id DESC").Limit(pageLimit(f.Limit, 50, 500)).Offset(max(f.Offset, 0)).Scan(&es).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list audit entries: %w", db.Translate(err))
	}
	return es, total, nil
}

// EachAuditEntry calls fn with every entry AuditEntries would list (Limit
// and Offset ignored), newest first, a batch at a time, for exports.
func (r *Reader) EachAuditEntry(ctx context.Context, f AuditFilter, s AuditScope, fn func([]AuditEntry) error) error {
	before := int64(-1)
	for {
		q := r.auditQuery(ctx, f, s)
		if q == nil {
			return nil
		}
		if before >= 0 {
			q = q.Where("id < ?", before)
		}
		var es []AuditEntry
		if err := q.Order("id DESC").Limit(1000).Scan(&es).Error; err != nil {
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
