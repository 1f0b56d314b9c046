package supervision

import (
	"context"
	"database/sql/driver"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
)

// Limits on what one report may hold.
const (
	maxItems   = 200
	maxPhotos  = 50
	maxProvIDs = 100
	// bulkBatch keeps an INSERT well under MySQL's 65,535 placeholders.
	bulkBatch = 500
	// revisionKeyPrefix starts the submission key of every revision.
	revisionKeyPrefix = "rev:"
)

// Visit is a submitted supervision visit (督导记录). It is never changed
// after submission except to mark it superseded by a revision; all times
// are in UTC.
type Visit struct {
	ID            int64
	SubmissionKey string
	BusinessID    int64
	CadreID       int64
	CadreLevel    registry.CadreLevel
	Grade         registry.Grade
	// CycleKey is the cycle the visit covered when submitted, by the
	// business's grade then; CycleLabel is its Chinese name.
	CycleKey      string
	CycleLabel    string `gorm:"-"`
	Mode          Mode
	CheckKind     string
	StartedAt     time.Time
	SubmittedAt   time.Time
	Latitude      *float64
	Longitude     *float64
	LocationLabel string
	// DistanceM is the distance from the registered location, nil when
	// either is unknown; Far flags a distance beyond the rules' setting.
	DistanceM   *float64
	Far         bool
	StatusSeen  registry.EventKind
	StatusNote  string
	ContactName string
	Remarks     string
	Source      registry.Source
	Provenance  Provenance
	// Revision is 1 for an original; a correction supersedes the visit
	// SupersedesID names, and only the Current revision counts.
	Revision       int
	SupersedesID   *int64
	Current        bool `gorm:"column:is_current"`
	RevisedBy      registry.Actor
	RevisionReason string
	CreatedAt      time.Time
}

// AfterFind names the cycle for display.
func (v *Visit) AfterFind(*gorm.DB) error {
	v.CycleLabel = cycleLabel(v.CycleKey)
	return nil
}

func cycleLabel(key string) string {
	if c, ok := CycleByKey(key); ok {
		return c.Label
	}
	return key
}

// Provenance lists the chat message ids a report was built from.
type Provenance []string

// Value stores the ids one per line.
func (p Provenance) Value() (driver.Value, error) { return strings.Join(p, "\n"), nil }

// Scan reads ids stored one per line.
func (p *Provenance) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("provenance: cannot scan %T", src)
	}
	*p = nil
	if s != "" {
		*p = strings.Split(s, "\n")
	}
	return nil
}

// visitItem is one checklist result of a visit.
type visitItem struct {
	VisitID int64  `gorm:"primaryKey;autoIncrement:false"`
	ItemID  string `gorm:"primaryKey"`
	Result  Result
}

func (visitItem) TableName() string { return "visit_items" }

// ItemResult is the outcome of one checklist item in a report.
type ItemResult struct {
	ItemID string
	Result Result
}

// VisitInput is a report as the chat (or the console) collected it.
type VisitInput struct {
	// SubmissionKey identifies the submission (the chat draft's id): a
	// report submitted again with the same key is stored once.
	SubmissionKey string
	BusinessID    int64
	CadreID       int64
	Mode          Mode
	// Check is CheckQuick or CheckFull.
	Check     string
	StartedAt time.Time
	Items     []ItemResult
	Findings  []FindingInput
	Photos    []PhotoInput
	Location  *Location
	// StatusSeen is "" when the business was found operating normally, or
	// registry.EventChanged, EventRelocated, EventSuspended (EventResumed
	// too, for a suspended business found open again).
	StatusSeen  registry.EventKind
	StatusNote  string
	ContactName string
	Remarks     string
	Source      registry.Source
	Provenance  []string
	// Extra marks a visit to a business already covered in its cycle (加报):
	// it is recorded as such in the remarks.
	Extra bool
	// WithLetter issues the business a prompt letter about the findings
	// in the same transaction (see IssueLettersWith): the report is stored
	// with its letter or not at all.
	WithLetter bool
	// Confirm, when set, is the confirmation the cadre is pushed once the
	// visit is stored, queued in the same transaction (a report submitted
	// on the H5 form is confirmed in the chat too). It is not queued
	// without an outbox (NotifyFailedPhotosWith), nor for a repeated key.
	Confirm func(v *Visit) notify.Message
}

// ItemRow is a checklist result as shown with its visit.
type ItemRow struct {
	ItemID string
	Label  string
	Result Result
}

// VisitDetail is a visit with everything recorded in it. Photos are the
// visit's and its findings' (FindingID set), in order of receipt.
type VisitDetail struct {
	Visit
	Business  registry.Business
	CadreName string
	Items     []ItemRow
	Findings  []FindingRow
	Photos    []Photo
}

// VisitSummary is a line of a cadre's recent visits (我的记录).
type VisitSummary struct {
	ID           int64
	BusinessID   int64
	BusinessName string
	SubmittedAt  time.Time
	Mode         Mode
	Findings     int
	CycleKey     string
	CycleLabel   string
	Revision     int
}

// CheckCanReport returns the business when the cadre may report a visit
// to it: the cadre packs it now. Forbidden otherwise, naming whom to ask
// (the cadre who packs it, with their work phone, or the office when no
// one does); Forbidden for a deactivated cadre; Invalid for a deregistered
// business; NotFound for an unknown business or cadre.
func (s *Service) CheckCanReport(ctx context.Context, cadreID, businessID int64) (*registry.Business, error) {
	b, _, err := s.checkCanReport(ctx, cadreID, businessID)
	return b, err
}

func (s *Service) checkCanReport(ctx context.Context, cadreID, businessID int64) (*registry.Business, *registry.Cadre, error) {
	b, err := s.reg.Business(ctx, businessID)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.reg.Cadre(ctx, cadreID)
	if err != nil {
		return nil, nil, err
	}
	if !c.Active {
		return nil, nil, errs.E(errs.Forbidden, msgCadreInactive)
	}
	if b.Status == registry.StatusDeregistered {
		return nil, nil, errs.E(errs.Invalid, msgDeregistered, b.Name)
	}
	a, err := s.reg.CurrentAssignment(ctx, businessID)
	switch {
	case err == nil && a.CadreID == cadreID:
		return b, c, nil
	case err == nil:
		other, err := s.reg.Cadre(ctx, a.CadreID)
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, errs.E(errs.Forbidden, msgNotYours, b.Name, other.Name, other.WorkPhone)
	case !errs.Is(err, errs.NotFound):
		return nil, nil, err
	}
	o, err := s.reg.OfficeFor(ctx, b.RegionID)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, nil, errs.E(errs.Forbidden, msgUnassignedNoOffice, b.Name)
		}
		return nil, nil, err
	}
	return nil, nil, errs.E(errs.Forbidden, msgUnassigned, b.Name, officeLabel(o.Name), o.Phone)
}

// Submit validates and stores a report in one transaction: the visit, its
// checklist results, findings with their rectifications, photos (pending
// until fetched) and, when the cadre saw a status change, the change on
// the business (停产停业 suspends it, so it accrues no due visit; 搬迁 also
// asks the office to reassign it). The statements it issues do not grow
// with the number of items, findings or photos: each table gets one
// batched INSERT.
//
// A repeated SubmissionKey returns the visit already stored with
// created false, also when both submissions race. Invalid for a report
// that breaks a rule (unknown mode, items outside the checklist or
// missing from it, an issue without a finding, a past deadline, text too
// long), plus CheckCanReport's errors.
func (s *Service) Submit(ctx context.Context, in VisitInput) (v *Visit, created bool, err error) {
	key := strings.TrimSpace(in.SubmissionKey)
	if key == "" || len(key) > 64 || strings.HasPrefix(key, revisionKeyPrefix) {
		return nil, false, errs.E(errs.Invalid, msgBadKey)
	}
	in.SubmissionKey = key
	if v, err := s.existing(ctx, in); v != nil || err != nil {
		return v, false, err
	}
	b, c, err := s.checkCanReport(ctx, in.CadreID, in.BusinessID)
	if err != nil {
		return nil, false, err
	}
	issueLetter, err := s.prepareLetter(ctx, in, b, c)
	if err != nil {
		return nil, false, err
	}
	for attempt := 1; ; attempt++ {
		p, err := s.build(in, b, c, s.now().UTC(), nil)
		if err != nil {
			return nil, false, err
		}
		err = s.db.InTx(ctx, func(tx *gorm.DB) error {
			if err := s.insertTx(tx, p); err != nil {
				return err
			}
			if err := s.statusSeenTx(tx, p, b); err != nil {
				return err
			}
			if err := s.locateTx(tx, p, b); err != nil {
				return err
			}
			if err := registry.AuditTx(tx, p.auditEntry("visit.submit", registry.ActorOf("cadre", p.visit.CadreID), "")); err != nil {
				return err
			}
			if err := s.confirmTx(tx, in, &p.visit); err != nil {
				return err
			}
			return s.issueLetterTx(tx, issueLetter, p, b, c)
		})
		switch {
		case err == nil:
			s.visitSubmitted(p.visit.Mode)
			return &p.visit, true, nil
		case errs.Is(err, errs.Conflict):
			// Most likely the same report, committed by a concurrent call.
			if v, e := s.existing(ctx, in); v != nil || e != nil {
				return v, false, e
			}
		case errs.Is(err, errs.Unavailable) && ctx.Err() == nil && attempt < 3:
			// A deadlock victim or a busy SQLite: the transaction did nothing.
			continue
		}
		return nil, false, fmt.Errorf("submit visit: %w", err)
	}
}

// existing returns the visit stored under the input's key, if any.
// Conflict when the key belongs to someone else's report.
func (s *Service) existing(ctx context.Context, in VisitInput) (*Visit, error) {
	var vs []Visit
	if err := s.db.Gorm(ctx).Where("submission_key = ?", in.SubmissionKey).Limit(1).Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("submit visit: %w", db.Translate(err))
	}
	if len(vs) == 0 {
		return nil, nil
	}
	if vs[0].BusinessID != in.BusinessID || vs[0].CadreID != in.CadreID {
		return nil, errs.E(errs.Conflict, msgKeyTaken)
	}
	return &vs[0], nil
}

// visitPlan is a validated report ready to insert.
type visitPlan struct {
	visit    Visit
	items    []visitItem
	findings []findingPlan
	photos   []Photo // the visit's own
}

type findingPlan struct {
	finding Finding
	photos  []Photo
	// prior is the finding of the superseded revision this one continues
	// (0 for a new finding): its rectification carries on.
	prior int64
	// rectificationID is the rectification insertTx opened for a new finding.
	rectificationID int64
}

// insertTx writes a planned visit: one INSERT per table, whatever the
// number of rows. Rectifications are opened for new findings; a revision's
// findings that continue earlier ones take over their rectifications.
func (s *Service) insertTx(tx *gorm.DB, p *visitPlan) error {
	v := &p.visit
	if err := tx.Create(v).Error; err != nil {
		return err
	}
	for i := range p.items {
		p.items[i].VisitID = v.ID
	}
	if err := insertItems(tx, p.items, maxItems); err != nil {
		return err
	}
	photos := make([]Photo, 0, len(p.photos))
	for _, ph := range p.photos {
		ph.VisitID = &v.ID
		photos = append(photos, ph)
	}
	if len(p.findings) > 0 {
		fs := make([]Finding, len(p.findings))
		for i, f := range p.findings {
			fs[i] = f.finding
			fs[i].VisitID = v.ID
		}
		if err := tx.CreateInBatches(fs, bulkBatch).Error; err != nil {
			return err
		}
		var rs []rectification
		var opened []int // p.findings index of each of rs
		for i, f := range p.findings {
			p.findings[i].finding.ID = fs[i].ID
			if f.prior == 0 {
				rs = append(rs, rectification{FindingID: fs[i].ID, BusinessID: v.BusinessID, CadreID: v.CadreID,
					Deadline: fs[i].Deadline, Status: StatusOpen, CreatedAt: v.CreatedAt, UpdatedAt: v.CreatedAt})
				opened = append(opened, i)
			}
			for _, ph := range f.photos {
				ph.VisitID, ph.FindingID = &v.ID, &fs[i].ID
				photos = append(photos, ph)
			}
		}
		if len(rs) > 0 {
			if err := tx.CreateInBatches(rs, bulkBatch).Error; err != nil {
				return err
			}
			for j, i := range opened {
				p.findings[i].rectificationID = rs[j].ID
			}
		}
	}
	if len(photos) > 0 {
		if err := tx.CreateInBatches(photos, bulkBatch).Error; err != nil {
			return err
		}
	}
	return nil
}

// statusSeenTx registers on the business the status the cadre saw, with
// the cadre as witness. A suspended business found open is resumed.
// auditEntry is the audit log's line for a stored report: which visit,
// how, in which cycle, what was found and what status was seen.
func (p *visitPlan) auditEntry(action string, by registry.Actor, note string) audit.Entry {
	v := &p.visit
	detail := fmt.Sprintf("visit %d: %s %s, %d findings", v.ID, v.Mode, v.CycleKey, len(p.findings))
	if v.StatusSeen != "" {
		detail += ", status seen " + string(v.StatusSeen)
	}
	if note != "" {
		detail += "; " + note
	}
	return audit.Entry{At: v.CreatedAt, Actor: string(by), Action: action,
		SubjectType: registry.AuditBusiness, SubjectID: v.BusinessID, Detail: detail}
}

func (s *Service) statusSeenTx(tx *gorm.DB, p *visitPlan, b *registry.Business) error {
	v := &p.visit
	kind, note := v.StatusSeen, v.StatusNote
	if kind == "" {
		if b.Status != registry.StatusSuspended {
			return nil
		}
		kind, note = registry.EventResumed, msgResumedSeen
	}
	if note == "" {
		note = fmt.Sprintf(msgStatusSeenNote, v.Mode.Label())
	}
	_, err := s.reg.ChangeStatusTx(tx, b.ID, registry.StatusChange{
		Kind: kind, EffectiveOn: v.SubmittedAt, Note: note,
		Actor: registry.ActorOf("cadre", v.CadreID), Source: v.Source,
	})
	if err != nil {
		return err
	}
	if kind != registry.EventRelocated {
		return nil
	}
	return tx.Create(&RelocationRequest{BusinessID: b.ID, VisitID: v.ID, Note: v.StatusNote, Status: RelocationPending, CreatedAt: v.CreatedAt}).Error
}

// Visit returns a visit with its business, cadre, checklist results,
// findings and photos, in a fixed number of queries. NotFound if absent.
func (s *Service) Visit(ctx context.Context, id int64) (*VisitDetail, error) {
	g := s.db.Gorm(ctx)
	var d VisitDetail
	if err := g.First(&d.Visit, id).Error; err != nil {
		return nil, db.NotFoundAs(err, msgVisitNotFound)
	}
	if err := g.First(&d.Business, d.BusinessID).Error; err != nil {
		return nil, fmt.Errorf("visit %d: business: %w", id, db.Translate(err))
	}
	var names []string
	if err := g.Model(&registry.Cadre{}).Where("id = ?", d.CadreID).Pluck("name", &names).Error; err != nil {
		return nil, fmt.Errorf("visit %d: cadre: %w", id, err)
	}
	if len(names) > 0 {
		d.CadreName = names[0]
	}
	var items []visitItem
	if err := g.Where("visit_id = ?", id).Find(&items).Error; err != nil {
		return nil, fmt.Errorf("visit %d: items: %w", id, err)
	}
	order := map[string]int{}
	for i, it := range s.lists.All() {
		order[it.ID] = i
	}
	sort.SliceStable(items, func(i, j int) bool { return order[items[i].ItemID] < order[items[j].ItemID] })
	for _, it := range items {
		d.Items = append(d.Items, ItemRow{ItemID: it.ItemID, Label: s.lists.Label(it.ItemID, d.CheckKind), Result: it.Result})
	}
	var fs []FindingRow
	if err := g.Raw(`
SELECT f.id, f.item_id, f.description, f.requirement, f.deadline, COALESCE(r.id, 0) AS rectification_id, COALESCE(r.status, '') AS status
FROM findings f LEFT JOIN rectifications r ON r.finding_id = f.id
WHERE f.visit_id = ? ORDER BY f.id`, id).Scan(&fs).Error; err != nil {
		return nil, fmt.Errorf("visit %d: findings: %w", id, err)
	}
	for i := range fs {
		fs[i].Label = s.lists.Label(fs[i].ItemID, d.CheckKind)
		fs[i].Deadline = fs[i].Deadline.In(clock.China)
	}
	d.Findings = fs
	if err := g.Where("visit_id = ?", id).Order("received_at, id").Find(&d.Photos).Error; err != nil {
		return nil, fmt.Errorf("visit %d: photos: %w", id, err)
	}
	return &d, nil
}

// RecentVisits lists a cadre's latest current visits, newest first, with
// the number of findings of each. One query.
func (s *Service) RecentVisits(ctx context.Context, cadreID int64, limit int) ([]VisitSummary, error) {
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	var out []VisitSummary
	err := s.db.Gorm(ctx).Raw(`
SELECT v.id, v.business_id, b.name AS business_name, v.submitted_at, v.mode, v.cycle_key, v.revision,
	(SELECT COUNT(*) FROM findings f WHERE f.visit_id = v.id) AS findings
FROM visits v JOIN businesses b ON b.id = v.business_id
WHERE v.cadre_id = ? AND v.is_current = ?
ORDER BY v.submitted_at DESC, v.id DESC
LIMIT ?`, cadreID, true, limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("recent visits: %w", err)
	}
	for i := range out {
		out[i].CycleLabel = cycleLabel(out[i].CycleKey)
	}
	return out, nil
}

func runeLen(s string) int { return len([]rune(s)) }

// invalid turns field problems into one Invalid error whose message lists
// the first few, so a chat reply can show it as it is.
func invalid(problems []errs.FieldError) error {
	if len(problems) == 0 {
		return nil
	}
	var reasons []string
	for i, p := range problems {
		if i == 3 {
			reasons = append(reasons, fmt.Sprintf(msgMoreProblems, len(problems)-3))
			break
		}
		reasons = append(reasons, p.Reason)
	}
	return errs.InvalidFields(strings.Join(reasons, "；"), problems...)
}

func officeLabel(name string) string {
	if n, ok := strings.CutSuffix(name, "食品安全委员会办公室"); ok {
		return n + "食安办"
	}
	return name
}
