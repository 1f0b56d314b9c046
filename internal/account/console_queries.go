package account

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// This file holds what the managers' console needs of accounts: console
// users and binding codes limited to a region subtree ("" for all). An id
// outside the subtree is NotFound, so nothing elsewhere is revealed.

// UsersInScope lists the console users whose region lies in the subtree
// scopePath, by username. Administrators without a region are in the
// empty scope only.
func (s *Service) UsersInScope(ctx context.Context, scopePath string) ([]User, error) {
	q := s.db.Gorm(ctx).Model(&User{})
	if scopePath != "" {
		q = q.Where("region_id IN (SELECT id FROM regions WHERE path LIKE ?)", scopePath+"%")
	}
	var us []User
	if err := q.Order("username").Find(&us).Error; err != nil {
		return nil, fmt.Errorf("users in scope: %w", err)
	}
	return us, nil
}

// subjectsInScope limits binding codes (aliased k) to those for cadres,
// managers and contacts of the subtree.
func subjectsInScope(q *gorm.DB, scopePath string) *gorm.DB {
	if scopePath == "" {
		return q
	}
	like := scopePath + "%"
	return q.Where(`(
 (k.role = 'cadre' AND k.subject_id IN (SELECT c.id FROM cadres c JOIN regions r ON r.id = c.region_id WHERE r.path LIKE ?))
 OR (k.role = 'manager' AND k.subject_id IN (SELECT m.id FROM managers m JOIN offices f ON f.id = m.office_id JOIN regions r ON r.id = f.region_id WHERE r.path LIKE ?))
 OR (k.role = 'contact' AND k.subject_id IN (SELECT ct.id FROM contacts ct JOIN businesses b ON b.id = ct.business_id JOIN regions r ON r.id = b.region_id WHERE r.path LIKE ?)))`,
		like, like, like)
}

// CodeLine is a binding code as the console lists it (never the code).
type CodeLine struct {
	BindingCode
	// SubjectName is the cadre's, manager's or contact's name.
	SubjectName string
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

func codeLines(q *gorm.DB) *gorm.DB {
	return q.Select("k.*, COALESCE(c.name, m.name, ct.name, '') AS subject_name").
		Joins("LEFT JOIN cadres c ON k.role = 'cadre' AND c.id = k.subject_id").
		Joins("LEFT JOIN managers m ON k.role = 'manager' AND m.id = k.subject_id").
		Joins("LEFT JOIN contacts ct ON k.role = 'contact' AND ct.id = k.subject_id")
}

// CodesInScope lists one page of the binding codes for people of the
// subtree, newest first, with the total. Two queries.
func (s *Service) CodesInScope(ctx context.Context, scopePath string, limit, offset int) ([]CodeLine, int64, error) {
	q := subjectsInScope(s.db.Gorm(ctx).Table("binding_codes k"), scopePath)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("binding codes: %w", db.Translate(err))
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var rows []CodeLine
	q = subjectsInScope(s.db.Gorm(ctx).Table("binding_codes k"), scopePath)
	if err := codeLines(q).Order("k.id DESC").Limit(limit).Offset(max(offset, 0)).Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("binding codes: %w", db.Translate(err))
	}
	return rows, total, nil
}

// CodeInScope returns a binding code for someone of the subtree.
// NotFound when absent or outside it.
func (s *Service) CodeInScope(ctx context.Context, id int64, scopePath string) (*CodeLine, error) {
	q := subjectsInScope(s.db.Gorm(ctx).Table("binding_codes k"), scopePath).Where("k.id = ?", id)
	var rows []CodeLine
	if err := codeLines(q).Limit(1).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("binding code: %w", db.Translate(err))
	}
	if len(rows) == 0 {
		return nil, errs.E(errs.NotFound, msgCodeNotFound)
	}
	return &rows[0], nil
}

// ContactInScope returns a contact of a business in the subtree.
// NotFound when absent or outside it.
func (s *Service) ContactInScope(ctx context.Context, id int64, scopePath string) (*Contact, error) {
	q := s.db.Gorm(ctx).Table("contacts ct").Select("ct.*").Where("ct.id = ?", id)
	if scopePath != "" {
		q = q.Joins("JOIN businesses b ON b.id = ct.business_id").Joins("JOIN regions r ON r.id = b.region_id").
			Where("r.path LIKE ?", scopePath+"%")
	}
	var cs []Contact
	if err := q.Limit(1).Scan(&cs).Error; err != nil {
		return nil, fmt.Errorf("contact: %w", db.Translate(err))
	}
	if len(cs) == 0 {
		return nil, errs.E(errs.NotFound, "联系人不存在")
	}
	return &cs[0], nil
}
