package registry

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// Office is a food-safety office (食安办) responsible for a region's subtree.
// ShortName ("胡埭") starts its letter numbers.
type Office struct {
	ID           int64
	RegionID     int64
	Name         string
	ShortName    string
	Phone        string
	Address      string
	StationPhone string
	CreatedAt    time.Time
}

// Manager is a person working for an office: receives digests and
// escalations, asks for progress in chat.
type Manager struct {
	ID        int64
	OfficeID  int64
	Name      string
	Post      string
	Phone     string
	Active    bool
	CreatedAt time.Time
}

// CreateOffice registers the office of a region (one per region).
func (s *Service) CreateOffice(ctx context.Context, o Office) (*Office, error) {
	o.Name, o.ShortName = strings.TrimSpace(o.Name), strings.TrimSpace(o.ShortName)
	var fields []errs.FieldError
	if o.Name == "" {
		fields = append(fields, errs.FieldError{Field: "name", Reason: msgOfficeNameEmpty})
	}
	if o.ShortName == "" {
		fields = append(fields, errs.FieldError{Field: "short_name", Reason: msgShortNameEmpty})
	}
	if r := CheckPhone(o.Phone); r != "" {
		fields = append(fields, errs.FieldError{Field: "phone", Reason: r})
	}
	if len(fields) > 0 {
		return nil, errs.InvalidFields(msgOfficeInvalid, fields...)
	}
	if _, err := s.Region(ctx, o.RegionID); err != nil {
		return nil, err
	}
	o.CreatedAt = s.now().UTC()
	if err := s.db.Gorm(ctx).Create(&o).Error; err != nil {
		if err = db.Translate(err); errs.Is(err, errs.Conflict) {
			return nil, errs.Wrap(errs.Conflict, err, msgOfficeTaken)
		}
		return nil, fmt.Errorf("create office: %w", err)
	}
	return &o, nil
}

// Office returns one office. NotFound if absent.
func (s *Service) Office(ctx context.Context, id int64) (*Office, error) {
	var o Office
	if err := s.db.Gorm(ctx).First(&o, id).Error; err != nil {
		return nil, db.NotFoundAs(err, msgOfficeNotFound)
	}
	return &o, nil
}

// Offices lists every office.
func (s *Service) Offices(ctx context.Context) ([]Office, error) {
	var os []Office
	if err := s.db.Gorm(ctx).Order("id").Find(&os).Error; err != nil {
		return nil, fmt.Errorf("list offices: %w", err)
	}
	return os, nil
}

// OfficeFor returns the office nearest above a region (a village's town
// office, or the district's when the town has none). NotFound if none.
func (s *Service) OfficeFor(ctx context.Context, regionID int64) (*Office, error) {
	r, err := s.Region(ctx, regionID)
	if err != nil {
		return nil, err
	}
	ids := pathIDs(r.Path)
	var os []Office
	if err := s.db.Gorm(ctx).Where("region_id IN ?", ids).Find(&os).Error; err != nil {
		return nil, fmt.Errorf("find office: %w", err)
	}
	for i := len(ids) - 1; i >= 0; i-- {
		for _, o := range os {
			if o.RegionID == ids[i] {
				return &o, nil
			}
		}
	}
	return nil, errs.E(errs.NotFound, msgNoOffice)
}

// CreateManager adds a manager to an office.
func (s *Service) CreateManager(ctx context.Context, m Manager) (*Manager, error) {
	m.Name = strings.TrimSpace(m.Name)
	m.Phone = NormalizePhone(m.Phone)
	if m.Name == "" {
		return nil, errs.InvalidFields(msgManagerInvalid, errs.FieldError{Field: "name", Reason: msgNameEmpty})
	}
	if r := CheckPhone(m.Phone); r != "" {
		return nil, errs.InvalidFields(msgManagerInvalid, errs.FieldError{Field: "phone", Reason: r})
	}
	if _, err := s.Office(ctx, m.OfficeID); err != nil {
		return nil, err
	}
	m.Active = true
	m.CreatedAt = s.now().UTC()
	if err := s.db.Gorm(ctx).Create(&m).Error; err != nil {
		return nil, fmt.Errorf("create manager: %w", db.Translate(err))
	}
	return &m, nil
}

// Manager returns one manager. NotFound if absent.
func (s *Service) Manager(ctx context.Context, id int64) (*Manager, error) {
	var m Manager
	if err := s.db.Gorm(ctx).First(&m, id).Error; err != nil {
		return nil, db.NotFoundAs(err, msgManagerNotFound)
	}
	return &m, nil
}

// Managers lists the active managers of an office.
func (s *Service) Managers(ctx context.Context, officeID int64) ([]Manager, error) {
	var ms []Manager
	if err := s.db.Gorm(ctx).Where("office_id = ? AND active = ?", officeID, true).Order("id").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("list managers: %w", err)
	}
	return ms, nil
}
