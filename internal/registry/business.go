package registry

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// Business is a licensed food business under package supervision (包保主体).
// It is identified by its unified social credit code or, failing that, its
// licence number. Status is maintained by ChangeStatus only.
type Business struct {
	ID         int64
	Name       string
	CreditCode *string
	LicenceNo  *string
	Category   Category
	Grade      Grade
	RegionID   int64
	Address    string
	Latitude   *float64
	Longitude  *float64
	// LocatePending marks a business whose move was approved without
	// coordinates: the next on-site visit's location becomes its own.
	LocatePending  bool
	Principal      string
	PrincipalPhone string
	Director       string
	DirectorPhone  string
	Officer        string
	OfficerPhone   string
	Status         Status
	StatusSince    *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Code returns the credit code, or the licence number when there is none.
func (b Business) Code() string {
	if b.CreditCode != nil {
		return *b.CreditCode
	}
	if b.LicenceNo != nil {
		return *b.LicenceNo
	}
	return ""
}

// BusinessInput is what a person or an import supplies for a business.
type BusinessInput struct {
	Name           string
	CreditCode     string
	LicenceNo      string
	Category       Category
	Grade          Grade
	RegionID       int64
	Address        string
	Latitude       *float64
	Longitude      *float64
	Principal      string
	PrincipalPhone string
	Director       string
	DirectorPhone  string
	Officer        string
	OfficerPhone   string
}

// Normalize trims the input the way people type it.
func (in *BusinessInput) Normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.CreditCode = NormalizeCode(in.CreditCode)
	in.LicenceNo = NormalizeCode(in.LicenceNo)
	in.Address = strings.TrimSpace(in.Address)
	in.Principal = strings.TrimSpace(in.Principal)
	in.Director = strings.TrimSpace(in.Director)
	in.Officer = strings.TrimSpace(in.Officer)
	in.PrincipalPhone = NormalizePhone(in.PrincipalPhone)
	in.DirectorPhone = NormalizePhone(in.DirectorPhone)
	in.OfficerPhone = NormalizePhone(in.OfficerPhone)
}

// Check returns every problem with the input, by field. It does not look at
// the database (region existence and uniqueness are checked on write).
func (in BusinessInput) Check() []errs.FieldError {
	var f []errs.FieldError
	add := func(field, reason string) { f = append(f, errs.FieldError{Field: field, Reason: reason}) }
	if in.Name == "" {
		add("name", msgBusinessNameEmpty)
	} else if len([]rune(in.Name)) > 128 {
		add("name", msgBusinessNameLong)
	}
	switch {
	case in.CreditCode == "" && in.LicenceNo == "":
		add("credit_code", msgCodeOrLicence)
	case in.CreditCode != "":
		if r := CheckCreditCode(in.CreditCode); r != "" {
			add("credit_code", r)
		}
	}
	if in.LicenceNo != "" {
		if r := CheckLicenceNo(in.LicenceNo); r != "" {
			add("licence_no", r)
		}
	}
	if !in.Category.Valid() {
		add("category", msgBadCategory)
	}
	if !in.Grade.Valid() {
		add("grade", msgBadGrade)
	}
	if in.RegionID == 0 {
		add("region", msgBusinessRegion)
	}
	if (in.Latitude == nil) != (in.Longitude == nil) {
		add("latitude", msgLatLngPair)
	}
	if in.Latitude != nil && (math.IsNaN(*in.Latitude) || *in.Latitude < 3 || *in.Latitude > 54) {
		add("latitude", msgBadLatitude)
	}
	if in.Longitude != nil && (math.IsNaN(*in.Longitude) || *in.Longitude < 73 || *in.Longitude > 136) {
		add("longitude", msgBadLongitude)
	}
	// The column sizes: MySQL in strict mode rejects a longer value
	// outright, which would surface as an internal error.
	if len([]rune(in.Address)) > 255 {
		add("address", msgAddressLong)
	}
	for _, p := range []struct{ field, v, label string }{
		{"principal", in.Principal, "负责人"}, {"director", in.Director, "食品安全总监"}, {"officer", in.Officer, "食品安全员"},
	} {
		if len([]rune(p.v)) > 64 {
			add(p.field, fmt.Sprintf(msgPersonNameLong, p.label))
		}
	}
	for _, p := range []struct{ field, v string }{
		{"principal_phone", in.PrincipalPhone}, {"director_phone", in.DirectorPhone}, {"officer_phone", in.OfficerPhone},
	} {
		if r := CheckPhone(p.v); r != "" {
			add(p.field, r)
		}
	}
	return f
}

func (in BusinessInput) apply(b *Business) {
	b.Name = in.Name
	b.CreditCode = nullable(in.CreditCode)
	b.LicenceNo = nullable(in.LicenceNo)
	b.Category = in.Category
	b.Grade = in.Grade
	b.RegionID = in.RegionID
	b.Address = in.Address
	b.Latitude, b.Longitude = in.Latitude, in.Longitude
	b.Principal, b.PrincipalPhone = in.Principal, in.PrincipalPhone
	b.Director, b.DirectorPhone = in.Director, in.DirectorPhone
	b.Officer, b.OfficerPhone = in.Officer, in.OfficerPhone
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateBusiness registers a business and its "registered" event.
// Invalid for bad input, Conflict when the code is already registered.
func (s *Service) CreateBusiness(ctx context.Context, in BusinessInput, actor Actor, src Source) (*Business, error) {
	in.Normalize()
	if f := in.Check(); len(f) > 0 {
		return nil, errs.InvalidFields(msgBusinessInvalid, f...)
	}
	var b Business
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		if err := requireRegion(tx, in.RegionID); err != nil {
			return err
		}
		now := s.now().UTC()
		in.apply(&b)
		b.Status, b.StatusSince, b.CreatedAt, b.UpdatedAt = StatusOperating, &now, now, now
		if err := tx.Create(&b).Error; err != nil {
			if err = db.Translate(err); errs.Is(err, errs.Conflict) {
				return errs.Wrap(errs.Conflict, err, fmt.Sprintf(msgBusinessCodeTaken, b.Code()))
			}
			return err
		}
		return tx.Create(&BusinessEvent{BusinessID: b.ID, Kind: EventRegistered, EffectiveOn: now, Actor: actor, Source: src, CreatedAt: now}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("create business: %w", db.Translate(err))
	}
	return &b, nil
}

// UpdateBusiness changes a business's registered details (not its status).
func (s *Service) UpdateBusiness(ctx context.Context, id int64, in BusinessInput) (*Business, error) {
	in.Normalize()
	if f := in.Check(); len(f) > 0 {
		return nil, errs.InvalidFields(msgBusinessInvalid, f...)
	}
	var b Business
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&b, id).Error; err != nil {
			return db.NotFoundAs(err, msgBusinessNotFound)
		}
		if err := requireRegion(tx, in.RegionID); err != nil {
			return err
		}
		in.apply(&b)
		// Coordinates entered by hand settle a move's pending location.
		b.LocatePending = b.LocatePending && b.Latitude == nil
		b.UpdatedAt = s.now().UTC()
		return tx.Save(&b).Error
	})
	if err != nil {
		return nil, fmt.Errorf("update business: %w", db.Translate(err))
	}
	return &b, nil
}

func requireRegion(tx *gorm.DB, id int64) error {
	var n int64
	if err := tx.Model(&Region{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return errs.InvalidFields(msgBusinessInvalid, errs.FieldError{Field: "region", Reason: msgRegionGone})
	}
	return nil
}

// Business returns one business. NotFound if absent.
func (s *Service) Business(ctx context.Context, id int64) (*Business, error) {
	var b Business
	if err := s.db.Gorm(ctx).First(&b, id).Error; err != nil {
		return nil, db.NotFoundAs(err, msgBusinessNotFound)
	}
	return &b, nil
}

// BusinessByCode finds a business by credit code or licence number.
func (s *Service) BusinessByCode(ctx context.Context, code string) (*Business, error) {
	code = NormalizeCode(code)
	var b Business
	if err := s.db.Gorm(ctx).Where("credit_code = ? OR licence_no = ?", code, code).First(&b).Error; err != nil {
		return nil, db.NotFoundAs(err, msgCodeNotFound)
	}
	return &b, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// BusinessEvent records a status change (动态更新) with who saw it and when.
type BusinessEvent struct {
	ID          int64
	BusinessID  int64
	Kind        EventKind
	EffectiveOn time.Time
	Note        string
	Actor       Actor
	Source      Source
	CreatedAt   time.Time
}

// StatusChange is a request to record an event against a business.
type StatusChange struct {
	Kind        EventKind
	EffectiveOn time.Time
	Note        string
	Actor       Actor
	Source      Source
}

// ChangeStatus records a status event and updates the business's current
// status in one transaction.
func (s *Service) ChangeStatus(ctx context.Context, businessID int64, c StatusChange) (*BusinessEvent, error) {
	var ev *BusinessEvent
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		e, err := s.ChangeStatusTx(tx, businessID, c)
		ev = e
		return err
	})
	return ev, db.Translate(err)
}

// ChangeStatusTx is ChangeStatus inside the caller's transaction, so a
// visit that saw the change and the change itself commit together.
func (s *Service) ChangeStatusTx(tx *gorm.DB, businessID int64, c StatusChange) (*BusinessEvent, error) {
	if !c.Kind.Valid() || c.Kind == EventRegistered {
		return nil, errs.E(errs.Invalid, msgBadEvent)
	}
	if len([]rune(c.Note)) > 500 {
		return nil, errs.E(errs.Invalid, msgNoteLong)
	}
	var b Business
	if err := lockRow(tx).First(&b, businessID).Error; err != nil {
		return nil, db.NotFoundAs(err, msgBusinessNotFound)
	}
	if b.Status == StatusDeregistered {
		return nil, errs.E(errs.Conflict, msgStatusDeregistered, b.Name)
	}
	if c.Kind == EventResumed && b.Status != StatusSuspended {
		return nil, errs.E(errs.Conflict, msgNotSuspended, b.Name)
	}
	now := s.now().UTC()
	if c.EffectiveOn.IsZero() {
		c.EffectiveOn = now
	}
	ev := &BusinessEvent{BusinessID: b.ID, Kind: c.Kind, EffectiveOn: c.EffectiveOn.UTC(), Note: strings.TrimSpace(c.Note), Actor: c.Actor, Source: c.Source, CreatedAt: now}
	if err := tx.Create(ev).Error; err != nil {
		return nil, err
	}
	next := statusAfter(b.Status, c.Kind)
	updates := map[string]any{"updated_at": now}
	if next != b.Status {
		updates["status"], updates["status_since"] = next, ev.EffectiveOn
	}
	if err := tx.Model(&Business{}).Where("id = ?", b.ID).Updates(updates).Error; err != nil {
		return nil, err
	}
	if next == StatusDeregistered {
		// A deregistered business leaves everyone's task list but keeps its history.
		if err := endAssignmentTx(tx, b.ID, now); err != nil {
			return nil, err
		}
	}
	return ev, nil
}

// StatusHistory lists a business's events, oldest first.
func (s *Service) StatusHistory(ctx context.Context, businessID int64) ([]BusinessEvent, error) {
	var es []BusinessEvent
	if err := s.db.Gorm(ctx).Where("business_id = ?", businessID).Order("id").Find(&es).Error; err != nil {
		return nil, fmt.Errorf("status history: %w", err)
	}
	return es, nil
}
