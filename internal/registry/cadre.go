package registry

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// Cadre is a named official who packs businesses (包保干部). The work phone
// identifies a cadre in imports and is the one number shown publicly.
type Cadre struct {
	ID        int64
	Name      string
	Post      string
	Level     CadreLevel
	RegionID  int64
	WorkPhone string
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CadreInput is what a person or an import supplies for a cadre.
type CadreInput struct {
	Name      string
	Post      string
	Level     CadreLevel
	RegionID  int64
	WorkPhone string
}

// Normalize trims the input.
func (in *CadreInput) Normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.Post = strings.TrimSpace(in.Post)
	in.WorkPhone = NormalizePhone(in.WorkPhone)
}

// Check returns every problem with the input, by field.
func (in CadreInput) Check() []errs.FieldError {
	var f []errs.FieldError
	add := func(field, reason string) { f = append(f, errs.FieldError{Field: field, Reason: reason}) }
	if in.Name == "" {
		add("name", msgNameEmpty)
	} else if len([]rune(in.Name)) > 64 {
		add("name", msgCadreNameLong)
	}
	if len([]rune(in.Post)) > 64 {
		add("post", msgPostLong)
	}
	if !in.Level.Valid() {
		add("level", msgBadLevel)
	}
	if in.RegionID == 0 {
		add("region", msgCadreRegion)
	}
	if in.WorkPhone == "" {
		add("work_phone", msgWorkPhoneEmpty)
	} else if r := CheckPhone(in.WorkPhone); r != "" {
		add("work_phone", r)
	}
	return f
}

// CreateCadre registers a cadre. Conflict when the work phone is taken.
func (s *Service) CreateCadre(ctx context.Context, in CadreInput) (*Cadre, error) {
	in.Normalize()
	if f := in.Check(); len(f) > 0 {
		return nil, errs.InvalidFields(msgCadreInvalid, f...)
	}
	if _, err := s.Region(ctx, in.RegionID); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	c := Cadre{Name: in.Name, Post: in.Post, Level: in.Level, RegionID: in.RegionID, WorkPhone: in.WorkPhone, Active: true, CreatedAt: now, UpdatedAt: now}
	if err := s.db.Gorm(ctx).Create(&c).Error; err != nil {
		if err = db.Translate(err); errs.Is(err, errs.Conflict) {
			return nil, errs.Wrap(errs.Conflict, err, fmt.Sprintf(msgWorkPhoneTaken, in.WorkPhone))
		}
		return nil, fmt.Errorf("create cadre: %w", err)
	}
	return &c, nil
}

// Cadre returns one cadre. NotFound if absent.
func (s *Service) Cadre(ctx context.Context, id int64) (*Cadre, error) {
	var c Cadre
	if err := s.db.Gorm(ctx).First(&c, id).Error; err != nil {
		return nil, db.NotFoundAs(err, msgCadreNotFound)
	}
	return &c, nil
}

// CadreFilter narrows a cadre list; ScopePath limits it to a region subtree.
type CadreFilter struct {
	ScopePath string
	Query     string
	Limit     int
	Offset    int
}

// FindCadres lists active cadres matching f, with the total for paging.
func (s *Service) FindCadres(ctx context.Context, f CadreFilter) ([]Cadre, int64, error) {
	q := s.db.Gorm(ctx).Model(&Cadre{}).Where("active = ?", true)
	if f.ScopePath != "" {
		q = q.Where("region_id IN (?)", s.db.Gorm(ctx).Model(&Region{}).Select("id").Where("path LIKE ?", escapeLike(f.ScopePath)+"%"))
	}
	if qs := strings.TrimSpace(f.Query); qs != "" {
		q = q.Where("(name LIKE ? OR work_phone LIKE ?)", "%"+escapeLike(qs)+"%", "%"+escapeLike(qs)+"%")
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count cadres: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	var cs []Cadre
	if err := q.Order("region_id, name, id").Limit(limit).Offset(f.Offset).Find(&cs).Error; err != nil {
		return nil, 0, fmt.Errorf("find cadres: %w", err)
	}
	return cs, total, nil
}

// CadresByID returns the cadres with the given ids (unknown ids left out).
func (s *Service) CadresByID(ctx context.Context, ids []int64) (map[int64]*Cadre, error) {
	return s.cadresByID(ctx, ids)
}
