package pledge

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// Requirement is what a subject is asked to sign now, and whether it has.
type Requirement struct {
	Kind      Kind
	SubjectID int64
	// Name is the business's or the cadre's name.
	Name     string
	RegionID int64
	Year     int
	Version  string
	// AssignmentID and CadreID are the business's current cadre (0 when
	// none); OfficeID the office over the subject's region (0 when none).
	AssignmentID, CadreID, OfficeID int64
	// Content is the text as it would be signed now.
	Content Content
	// SignerName is the name the register gives the signer: the cadre's,
	// or the business's principal.
	SignerName string
	// Signed is the pledge that answers the current basis, nil when the
	// subject has yet to sign; Last is its latest pledge of any basis.
	Signed, Last *Pledge
	// DueSince is when the current basis began for the subject: the year's
	// first day, the version's effective day or the cadre's assignment.
	DueSince time.Time
}

// Basis is the requirement's unique key in the pledges table.
func (r *Requirement) Basis() string {
	return basisKey(r.Kind, r.SubjectID, r.Year, r.Version, r.AssignmentID)
}

func basisKey(kind Kind, subject int64, year int, version string, assignment int64) string {
	return fmt.Sprintf("%s:%d:%d:%s:%d", kind, subject, year, version, assignment)
}

// Reason says, in Chinese, why an unsigned subject must sign: never
// signed, a new year, a new text or a new cadre. "" once signed.
func (r *Requirement) Reason() string {
	switch {
	case r.Signed != nil:
		return ""
	case r.Last == nil:
		return reasonFirst
	case r.Last.Year != r.Year:
		return fmt.Sprintf(reasonYear, r.Year)
	case r.Last.Version != r.Version:
		return reasonVersion
	case r.Last.AssignmentID != r.AssignmentID:
		return reasonCadre
	}
	return reasonFirst
}

// yearStart is midnight of 1 January of year, China time, in UTC.
func yearStart(year int) time.Time {
	return time.Date(year, 1, 1, 0, 0, 0, 0, clock.China).UTC()
}

// Requirement works out what a subject must sign now. NotFound for an
// unknown subject or kind.
func (s *Service) Requirement(ctx context.Context, kind Kind, subjectID int64) (*Requirement, error) {
	return s.requirementTx(s.db.Gorm(ctx), kind, subjectID)
}

func (s *Service) requirementTx(tx *gorm.DB, kind Kind, subjectID int64) (*Requirement, error) {
	now := s.now()
	tp := s.tpl.Of(kind)
	r := &Requirement{Kind: kind, SubjectID: subjectID, Year: Year(now), Version: tp.Version}
	r.DueSince = yearStart(r.Year)
	if tp.effective.After(r.DueSince) {
		r.DueSince = tp.effective
	}
	var err error
	switch kind {
	case KindCadre:
		err = s.cadreText(tx, r, tp)
	case KindBusiness:
		err = s.businessText(tx, r, tp)
	default:
		return nil, errs.E(errs.NotFound, msgNotFound)
	}
	if err != nil {
		return nil, err
	}
	var ps []Pledge
	if err := tx.Where("kind = ? AND subject_id = ?", kind, subjectID).Order("signed_at DESC, id DESC").Limit(20).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("pledges of subject: %w", err)
	}
	basis := r.Basis()
	for i := range ps {
		if i == 0 {
			r.Last = &ps[0]
		}
		if ps[i].Basis == basis {
			r.Signed = &ps[i]
			break
		}
	}
	return r, nil
}

// officeOf is the office over a region: the nearest up its path.
func officeOf(tx *gorm.DB, regionID int64) (*registry.Office, error) {
	var rg registry.Region
	if err := tx.First(&rg, regionID).Error; err != nil {
		return nil, fmt.Errorf("region of pledge: %w", err)
	}
	ids := pathIDs(rg.Path)
	var os []registry.Office
	if err := tx.Where("region_id IN ?", ids).Find(&os).Error; err != nil {
		return nil, fmt.Errorf("office of pledge: %w", err)
	}
	for i := len(ids) - 1; i >= 0; i-- {
		for j := range os {
			if os[j].RegionID == ids[i] {
				return &os[j], nil
			}
		}
	}
	return nil, nil
}

func pathIDs(path string) []int64 {
	var ids []int64
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

func (s *Service) cadreText(tx *gorm.DB, r *Requirement, tp *Template) error {
	var c registry.Cadre
	if err := tx.First(&c, r.SubjectID).Error; err != nil {
		return notFound(err)
	}
	var rg registry.Region
	if err := tx.First(&rg, c.RegionID).Error; err != nil {
		return fmt.Errorf("cadre region: %w", err)
	}
	var names []string
	err := tx.Table("businesses b").Joins("JOIN assignments a ON a.active_business_id = b.id").
		Where("a.cadre_id = ? AND b.status <> ?", c.ID, registry.StatusDeregistered).Order("b.name, b.id").Pluck("b.name", &names).Error
	if err != nil {
		return fmt.Errorf("businesses of cadre: %w", err)
	}
	o, err := officeOf(tx, c.RegionID)
	if err != nil {
		return err
	}
	office := msgNoOffice
	if o != nil {
		r.OfficeID, office = o.ID, o.Name
	}
	list := strings.Join(names, "、")
	if list == "" {
		list = msgNoBusinesses
	}
	r.Name, r.RegionID, r.SignerName = c.Name, c.RegionID, c.Name
	r.Content = Content{Title: tp.Title, Version: tp.Version, Year: r.Year, Party: c.Name, Office: office,
		Paragraphs: tp.render(map[string]string{
			"name": c.Name, "post": orDash(c.Post), "region": rg.Name, "count": strconv.Itoa(len(names)),
			"businesses": list, "office": office, "year": strconv.Itoa(r.Year),
		})}
	return nil
}

func (s *Service) businessText(tx *gorm.DB, r *Requirement, tp *Template) error {
	var b registry.Business
	if err := tx.First(&b, r.SubjectID).Error; err != nil {
		return notFound(err)
	}
	var as []registry.Assignment
	if err := tx.Where("active_business_id = ?", b.ID).Limit(1).Find(&as).Error; err != nil {
		return fmt.Errorf("cadre of business: %w", err)
	}
	cadre, post, phone := msgNoCadre, "—", "—"
	if len(as) == 1 {
		r.AssignmentID, r.CadreID = as[0].ID, as[0].CadreID
		if as[0].StartedAt.After(r.DueSince) {
			r.DueSince = as[0].StartedAt.UTC()
		}
		var c registry.Cadre
		if err := tx.First(&c, as[0].CadreID).Error; err != nil {
			return fmt.Errorf("cadre of business: %w", err)
		}
		cadre, post, phone = c.Name, orDash(c.Post), orDash(c.WorkPhone)
	}
	o, err := officeOf(tx, b.RegionID)
	if err != nil {
		return err
	}
	office, officePhone := msgNoOffice, "—"
	if o != nil {
		r.OfficeID, office, officePhone = o.ID, o.Name, orDash(o.Phone)
	}
	r.Name, r.RegionID, r.SignerName = b.Name, b.RegionID, b.Principal
	r.Content = Content{Title: tp.Title, Version: tp.Version, Year: r.Year, Party: b.Name, Cadre: cadre, Office: office,
		Paragraphs: tp.render(map[string]string{
			"business": b.Name, "code": orDash(b.Code()), "address": orDash(b.Address), "principal": orDash(b.Principal),
			"cadre": cadre, "cadre_post": post, "cadre_phone": phone, "office": office, "office_phone": officePhone,
			"year": strconv.Itoa(r.Year),
		})}
	return nil
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func notFound(err error) error {
	if err == gorm.ErrRecordNotFound {
		return errs.E(errs.NotFound, msgNotFound)
	}
	return fmt.Errorf("pledge subject: %w", err)
}
