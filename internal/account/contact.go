package account

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// ContactRole is a business contact's post in the business.
type ContactRole string

// Contact roles: the three the register names (SAMR Order 60) and any other.
const (
	ContactPrincipal ContactRole = "principal"
	ContactDirector  ContactRole = "director"
	ContactOfficer   ContactRole = "officer"
	ContactOther     ContactRole = "other"
)

// Valid reports whether r is a known contact role.
func (r ContactRole) Valid() bool { return contactRoleLabels[r] != "" }

// Label is the Chinese name of the post ("食品安全总监").
func (r ContactRole) Label() string { return contactRoleLabels[r] }

// Contact is a person who speaks for a business (包保主体联系人): it receives
// the business's letters and knowledge card once bound.
type Contact struct {
	ID         int64       `json:"id"`
	BusinessID int64       `json:"business_id"`
	Name       string      `json:"name"`
	Phone      string      `json:"phone"`
	Role       ContactRole `json:"role"`
	CreatedAt  time.Time   `json:"created_at"`
}

// EnsureContact returns the business's contact for role as the register
// names it (principal, director or officer), creating it on first use and
// following a changed phone number. NotFound for an unknown business;
// Invalid when the register has nobody in that post.
func (s *Service) EnsureContact(ctx context.Context, businessID int64, role ContactRole) (*Contact, error) {
	b, err := s.reg.Business(ctx, businessID)
	if err != nil {
		return nil, err
	}
	name, phone, ok := registered(b, role)
	if !ok {
		return nil, errs.E(errs.Invalid, msgBadContactRole)
	}
	if name == "" {
		return nil, errs.E(errs.Invalid, msgNoRegistered, role.Label())
	}
	find := func() (*Contact, error) {
		var c Contact
		err := s.db.Gorm(ctx).Where("business_id = ? AND role = ? AND name = ?", businessID, role, name).First(&c).Error
		if err != nil {
			return nil, db.Translate(err)
		}
		return &c, nil
	}
	c, err := find()
	switch {
	case err == nil:
		if c.Phone != phone {
			if err := s.db.Gorm(ctx).Model(c).Update("phone", phone).Error; err != nil {
				return nil, fmt.Errorf("ensure contact: %w", db.Translate(err))
			}
			c.Phone = phone
		}
		return c, nil
	case !errs.Is(err, errs.NotFound):
		return nil, fmt.Errorf("ensure contact: %w", err)
	}
	c = &Contact{BusinessID: businessID, Name: name, Phone: phone, Role: role, CreatedAt: s.now()}
	if err := s.db.Gorm(ctx).Create(c).Error; err != nil {
		if err = db.Translate(err); errs.Is(err, errs.Conflict) {
			// Created meanwhile by another request.
			return find()
		}
		return nil, fmt.Errorf("ensure contact: %w", err)
	}
	return c, nil
}

func registered(b *registry.Business, role ContactRole) (name, phone string, ok bool) {
	switch role {
	case ContactPrincipal:
		return b.Principal, b.PrincipalPhone, true
	case ContactDirector:
		return b.Director, b.DirectorPhone, true
	case ContactOfficer:
		return b.Officer, b.OfficerPhone, true
	}
	return "", "", false
}

// CreateContact adds a contact the register does not name. Invalid for a
// bad name, phone or role; NotFound for an unknown business; Conflict when
// the business already has a contact of that name in that post.
func (s *Service) CreateContact(ctx context.Context, businessID int64, name, phone string, role ContactRole) (*Contact, error) {
	name, phone = strings.TrimSpace(name), registry.NormalizePhone(phone)
	var fields []errs.FieldError
	if name == "" || len([]rune(name)) > 64 {
		fields = append(fields, errs.FieldError{Field: "name", Reason: msgContactName})
	}
	if r := registry.CheckPhone(phone); r != "" {
		fields = append(fields, errs.FieldError{Field: "phone", Reason: r})
	}
	if !role.Valid() {
		fields = append(fields, errs.FieldError{Field: "role", Reason: msgBadContactRole})
	}
	if len(fields) > 0 {
		return nil, errs.InvalidFields(msgContactInvalid, fields...)
	}
	if _, err := s.reg.Business(ctx, businessID); err != nil {
		return nil, err
	}
	c := &Contact{BusinessID: businessID, Name: name, Phone: phone, Role: role, CreatedAt: s.now()}
	if err := s.db.Gorm(ctx).Create(c).Error; err != nil {
		if err = db.Translate(err); errs.Is(err, errs.Conflict) {
			return nil, errs.Wrap(errs.Conflict, err, fmt.Sprintf(msgContactDup, role.Label()))
		}
		return nil, fmt.Errorf("create contact: %w", err)
	}
	return c, nil
}

// Contact returns one contact. NotFound if absent.
func (s *Service) Contact(ctx context.Context, id int64) (*Contact, error) {
	var c Contact
	if err := s.db.Gorm(ctx).First(&c, id).Error; err != nil {
		return nil, db.NotFoundAs(err, msgContactGone)
	}
	return &c, nil
}

// ContactsOf lists a business's contacts in the order they were added.
func (s *Service) ContactsOf(ctx context.Context, businessID int64) ([]Contact, error) {
	var cs []Contact
	if err := s.db.Gorm(ctx).Where("business_id = ?", businessID).Order("id").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("list contacts: %w", db.Translate(err))
	}
	return cs, nil
}

// BoundContactsOf lists the business's contacts that have a bound WeChat
// identity now — whom a message to the business reaches — in the order
// they were added. One query, however many contacts.
func (s *Service) BoundContactsOf(ctx context.Context, businessID int64) ([]Contact, error) {
	g := s.db.Gorm(ctx)
	bound := g.Model(&identityRow{}).Select("1").
		Where("identities.role = ? AND identities.subject_id = contacts.id AND identities.unbound_at IS NULL", RoleContact)
	var cs []Contact
	if err := g.Where("business_id = ? AND EXISTS (?)", businessID, bound).Order("id").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("list bound contacts: %w", db.Translate(err))
	}
	return cs, nil
}

// ensureBatch is how many businesses EnsureContacts reads at a time.
const ensureBatch = 1000

// EnsureContacts is EnsureContact for many businesses at once (a demo
// history, a bulk job): the contacts for role as the register names them,
// created where missing, by business id. Businesses with nobody registered
// in the post, and unknown ids, are left out. Three statements per
// thousand businesses; an existing contact's changed phone is followed one
// by one.
func (s *Service) EnsureContacts(ctx context.Context, businessIDs []int64, role ContactRole) (map[int64]*Contact, error) {
	if _, _, ok := registered(&registry.Business{}, role); !ok {
		return nil, errs.E(errs.Invalid, msgBadContactRole)
	}
	out := make(map[int64]*Contact, len(businessIDs))
	g := s.db.Gorm(ctx)
	for len(businessIDs) > 0 {
		chunk := businessIDs[:min(len(businessIDs), ensureBatch)]
		businessIDs = businessIDs[len(chunk):]
		var bs []registry.Business
		if err := g.Where("id IN ?", chunk).Find(&bs).Error; err != nil {
			return nil, fmt.Errorf("ensure contacts: %w", db.Translate(err))
		}
		var existing []Contact
		if err := g.Where("business_id IN ? AND role = ?", chunk, role).Find(&existing).Error; err != nil {
			return nil, fmt.Errorf("ensure contacts: %w", db.Translate(err))
		}
		type held struct {
			business int64
			name     string
		}
		have := make(map[held]*Contact, len(existing))
		for i := range existing {
			have[held{existing[i].BusinessID, existing[i].Name}] = &existing[i]
		}
		var create []Contact
		for i := range bs {
			name, phone, _ := registered(&bs[i], role)
			if name == "" {
				continue
			}
			c := have[held{bs[i].ID, name}]
			if c == nil {
				create = append(create, Contact{BusinessID: bs[i].ID, Name: name, Phone: phone, Role: role, CreatedAt: s.now()})
				continue
			}
			if c.Phone != phone {
				if err := g.Model(c).Update("phone", phone).Error; err != nil {
					return nil, fmt.Errorf("ensure contacts: %w", db.Translate(err))
				}
				c.Phone = phone
			}
			out[c.BusinessID] = c
		}
		if len(create) == 0 {
			continue
		}
		if err := g.CreateInBatches(&create, 200).Error; err != nil {
			if !errs.Is(db.Translate(err), errs.Conflict) {
				return nil, fmt.Errorf("ensure contacts: %w", db.Translate(err))
			}
			// Some were created meanwhile by another request: one by one.
			for _, c := range create {
				got, err := s.EnsureContact(ctx, c.BusinessID, role)
				if err != nil {
					return nil, err
				}
				out[c.BusinessID] = got
			}
			continue
		}
		for i := range create {
			out[create[i].BusinessID] = &create[i]
		}
	}
	return out, nil
}
