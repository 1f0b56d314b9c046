package query

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// UsernamesInScope lists the usernames of the console users whose region
// lies in the subtree scopePath, in order. Administrators without a region
// are in the empty scope only.
func (r *Reader) UsernamesInScope(ctx context.Context, scopePath string) ([]string, error) {
	q := r.db.Gorm(ctx).Table("console_users")
	if scopePath != "" {
		q = q.Where("region_id IN (SELECT id FROM regions r WHERE "+subtree("r.path")+")", subtreeArg(scopePath))
	}
	var names []string
	if err := q.Order("username").Pluck("username", &names).Error; err != nil {
		return nil, fmt.Errorf("users in scope: %w", db.Translate(err))
	}
	return names, nil
}

// CodeLine is a binding code as the console lists it (never the code),
// with the name of whom it binds.
type CodeLine struct {
	ID   int64
	Kind string
	// Role is the account role the code binds to: cadre, manager, contact.
	Role        string
	SubjectID   int64
	SubjectName string
	IssuedBy    string
	// Issuer is who issued it, by name and role.
	Issuer    Person `gorm:"-"`
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
}

// State is where the code stands at now: 已使用, 已撤销, 已过期 or 有效.
func (c CodeLine) State(now time.Time) string {
	switch {
	case c.UsedAt != nil:
		return "已使用"
	case c.RevokedAt != nil:
		return "已撤销"
	case !now.Before(c.ExpiresAt):
		return "已过期"
	}
	return "有效"
}

// Revocable reports whether the code can still be revoked at now.
func (c CodeLine) Revocable(now time.Time) bool {
	return c.UsedAt == nil && c.RevokedAt == nil && now.Before(c.ExpiresAt)
}

// codesInScope limits binding codes (aliased k) to those for cadres,
// managers and contacts of the subtree.
func codesInScope(q *gorm.DB, scopePath string) *gorm.DB {
	if scopePath == "" {
		return q
	}
	in, like := subtree("r.path"), subtreeArg(scopePath)
	return q.Where(`(
 (k.role = 'cadre' AND k.subject_id IN (SELECT c.id FROM cadres c JOIN regions r ON r.id = c.region_id WHERE `+in+`))
 OR (k.role = 'manager' AND k.subject_id IN (SELECT m.id FROM managers m JOIN offices f ON f.id = m.office_id JOIN regions r ON r.id = f.region_id WHERE `+in+`))
 OR (k.role = 'contact' AND k.subject_id IN (SELECT ct.id FROM contacts ct JOIN businesses b ON b.id = ct.business_id JOIN regions r ON r.id = b.region_id WHERE `+in+`)))`,
		like, like, like)
}

func codeLines(q *gorm.DB) *gorm.DB {
	return q.Select(`k.id, k.kind, k.role, k.subject_id, k.issued_by, k.created_at, k.expires_at, k.used_at, k.revoked_at,
 COALESCE(c.name, m.name, ct.name, '') AS subject_name`).
		Joins("LEFT JOIN cadres c ON k.role = 'cadre' AND c.id = k.subject_id").
		Joins("LEFT JOIN managers m ON k.role = 'manager' AND m.id = k.subject_id").
		Joins("LEFT JOIN contacts ct ON k.role = 'contact' AND ct.id = k.subject_id")
}

// BindingCodes lists one page of the binding codes for people of the
// subtree, newest first, with the total. Two queries.
func (r *Reader) BindingCodes(ctx context.Context, scopePath string, limit, offset int) ([]CodeLine, int64, error) {
	var total int64
	if err := codesInScope(r.db.Gorm(ctx).Table("binding_codes k"), scopePath).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("binding codes: %w", db.Translate(err))
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var rows []CodeLine
	q := codesInScope(r.db.Gorm(ctx).Table("binding_codes k"), scopePath)
	if err := codeLines(q).Order("k.id DESC").Limit(limit).Offset(max(offset, 0)).Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("binding codes: %w", db.Translate(err))
	}
	if err := r.nameIssuers(ctx, rows); err != nil {
		return nil, 0, err
	}
	return rows, total, nil
}

// BindingCodeInScope returns a binding code for someone of the subtree.
// NotFound when absent or outside it.
func (r *Reader) BindingCodeInScope(ctx context.Context, id int64, scopePath string) (*CodeLine, error) {
	q := codesInScope(r.db.Gorm(ctx).Table("binding_codes k"), scopePath).Where("k.id = ?", id)
	var rows []CodeLine
	if err := codeLines(q).Limit(1).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("binding code: %w", db.Translate(err))
	}
	if len(rows) == 0 {
		return nil, errs.E(errs.NotFound, msgNoSuchCode)
	}
	if err := r.nameIssuers(ctx, rows); err != nil {
		return nil, err
	}
	return &rows[0], nil
}

// nameIssuers sets each line's Issuer.
func (r *Reader) nameIssuers(ctx context.Context, rows []CodeLine) error {
	actors := make([]string, len(rows))
	for i, c := range rows {
		actors[i] = c.IssuedBy
	}
	people, err := r.People(ctx, actors)
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].Issuer = people[rows[i].IssuedBy]
	}
	return nil
}
