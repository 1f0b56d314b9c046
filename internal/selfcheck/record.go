package selfcheck

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Limits on what a record holds.
const (
	maxNote   = 500
	maxText   = 1000
	maxPhotos = 9
	maxKey    = 64
	// saveAttempts bounds the retries of a save that met a deadlock or a
	// lock timeout (MySQL under concurrent submissions for one day).
	saveAttempts = 4
)

// Record is the current state of one business's record for one period;
// all times are UTC. Revision counts the submissions; the revisions keep
// each one.
type Record struct {
	ID          int64
	BusinessID  int64
	Kind        Kind
	Period      string
	PeriodStart string
	PeriodEnd   string
	Revision    int
	// ContactID, ContactName and ContactRole are who submitted last, as
	// they were then.
	ContactID   int64
	ContactName string
	ContactRole account.ContactRole
	// Late is set when the record was first made after its period ended.
	Late bool
	// Problems counts the problems found (a day's points with a problem;
	// a week's or month's daily problems); Open those not yet resolved.
	Problems  int
	Open      int `gorm:"column:open_items"`
	Body      Body
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName names the records' table.
func (Record) TableName() string { return "selfcheck_records" }

// Revision is one submission of a record, kept for ever.
type Revision struct {
	ID            int64
	RecordID      int64
	BusinessID    int64
	Kind          Kind
	Period        string
	Revision      int
	SubmissionKey string
	ContactID     int64
	ContactName   string
	ContactRole   account.ContactRole
	Late          bool
	Problems      int
	Open          int `gorm:"column:open_items"`
	Body          Body
	CreatedAt     time.Time
}

// TableName names the revisions' table.
func (Revision) TableName() string { return "selfcheck_revisions" }

// Day is the record's period start as a day in China (its date for a
// daily record).
func (r Record) Day() time.Time {
	t, _ := time.ParseInLocation(dayLayout, r.PeriodStart, clock.China)
	return t
}

// Body is what a record says; which part is filled depends on its kind.
// Labels are copied in, so the record reads the same after the risk list
// or the checklist changes.
type Body struct {
	// Items are a daily record's points, each normal or with a problem.
	Items []ItemResult `json:"items,omitempty"`
	// Week is what a weekly review was shown: the week's daily records.
	Week *WeekSummary `json:"week,omitempty"`
	// Resolved says a weekly review confirmed every problem of the week
	// resolved; OpenItems lists what is still open, NextRisks the risks
	// to watch next week.
	Resolved  bool   `json:"resolved,omitempty"`
	OpenItems string `json:"open_items,omitempty"`
	NextRisks string `json:"next_risks,omitempty"`
	// Month is what a monthly dispatch was shown; Conclusions are the
	// meeting's, KeyWork next month's key work.
	Month       *MonthFigures `json:"month,omitempty"`
	Conclusions string        `json:"conclusions,omitempty"`
	KeyWork     string        `json:"key_work,omitempty"`
}

// Value stores the body as JSON.
func (b Body) Value() (driver.Value, error) {
	out, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	return string(out), nil
}

// Scan reads a body stored as JSON.
func (b *Body) Scan(src any) error {
	var raw []byte
	switch v := src.(type) {
	case nil:
		*b = Body{}
		return nil
	case string:
		raw = []byte(v)
	case []byte:
		raw = v
	default:
		return fmt.Errorf("selfcheck body: cannot scan %T", src)
	}
	*b = Body{}
	return json.Unmarshal(raw, b)
}

// ItemResult is one daily point as recorded.
type ItemResult struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	// Problem marks a point found wrong; Note says what was found and
	// done (问题及处置结果); Resolved that it was dealt with on the day.
	Problem  bool   `json:"problem,omitempty"`
	Note     string `json:"note,omitempty"`
	Resolved bool   `json:"resolved,omitempty"`
}

// Problem is a daily point found wrong, as submitted.
type Problem struct {
	RiskID   string
	Note     string
	Resolved bool
}

// DailyInput is a daily control record as the chat collected it.
type DailyInput struct {
	// SubmissionKey identifies the submission (the chat conversation's
	// id): the same key is stored once.
	SubmissionKey string
	// ContactID is the bound contact submitting; the business is theirs.
	ContactID int64
	// Day is the day checked; zero means today.
	Day time.Time
	// Problems are the points found wrong; every other point is normal.
	Problems []Problem
	Photos   []supervision.PhotoInput
}

// WeeklyInput is a weekly review.
type WeeklyInput struct {
	SubmissionKey string
	ContactID     int64
	// Week is any day of the week reviewed; zero means this week.
	Week time.Time
	// Resolved confirms every problem of the week was resolved; otherwise
	// OpenItems says what is still open.
	Resolved  bool
	OpenItems string
	NextRisks string
	Photos    []supervision.PhotoInput
}

// MonthlyInput is a monthly dispatch meeting's minutes.
type MonthlyInput struct {
	SubmissionKey string
	ContactID     int64
	// Month is any day of the month; zero means this month.
	Month       time.Time
	Conclusions string
	KeyWork     string
	Photos      []supervision.PhotoInput
}

// Saved is the outcome of a submission.
type Saved struct {
	Record Record
	// Revision is the submission's revision number: 1 for the first, more
	// for an amendment.
	Revision int
	// Late is set when the submission came after the period ended.
	Late bool
	// Repeated is set when the same submission had already been stored
	// (a repeated delivery): nothing new was written.
	Repeated bool
	// RoleMatches is false when the contact's post is not the one Order 60
	// names for this kind of record (see RoleFits).
	RoleMatches bool
}

// RoleFits reports whether a contact in role is the one Order 60 names
// for a kind of record: the officer for the daily control (any contact
// may record it: a shop's principal often is its officer), the director
// or the officer for the weekly review, the principal for the monthly
// dispatch. A record by someone else is accepted and says who made it.
func RoleFits(k Kind, role account.ContactRole) bool {
	switch k {
	case Weekly:
		return role == account.ContactDirector || role == account.ContactOfficer
	case Monthly:
		return role == account.ContactPrincipal
	}
	return true
}

// Contact returns a bound contact's business, for recording: Invalid when
// the business is not operating (suspended or deregistered businesses
// keep no daily records), NotFound for an unknown contact.
func (s *Service) Contact(ctx context.Context, contactID int64) (*account.Contact, *registry.Business, error) {
	c, err := s.d.Accounts.Contact(ctx, contactID)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.d.Registry.Business(ctx, c.BusinessID)
	if err != nil {
		return nil, nil, err
	}
	if b.Status != registry.StatusOperating {
		return c, b, errs.E(errs.Invalid, msgNotOperating, b.Name, b.Status.Label())
	}
	return c, b, nil
}

// SubmitDaily stores a daily control record for the contact's business:
// every point of its category, normal unless listed as a problem (a day
// with none is recorded too: 零风险). A second submission for the same day
// amends the record and keeps the first as a revision. Invalid for a day
// in the future or more than LateDays back, an unknown or repeated point,
// a problem without a note, a note too long or too many photos; Invalid
// too when the business is not operating.
func (s *Service) SubmitDaily(ctx context.Context, in DailyInput) (*Saved, error) {
	c, b, err := s.Contact(ctx, in.ContactID)
	if err != nil {
		return nil, err
	}
	day := in.Day
	if day.IsZero() {
		day = s.clock.Now()
	}
	p := PeriodOf(Daily, day)
	late, err := p.Check(s.today())
	if err != nil {
		return nil, err
	}
	points := s.risks.For(b.Category)
	found := make(map[string]Problem, len(in.Problems))
	for _, pr := range in.Problems {
		r, ok := s.risks.Risk(pr.RiskID)
		switch {
		case !ok || !r.AppliesTo(b.Category):
			return nil, errs.E(errs.Invalid, msgUnknownRisk, pr.RiskID)
		case found[pr.RiskID].RiskID != "":
			return nil, errs.E(errs.Invalid, msgRiskTwice, r.Label)
		}
		pr.Note = strings.TrimSpace(pr.Note)
		switch n := len([]rune(pr.Note)); {
		case n == 0:
			return nil, errs.E(errs.Invalid, msgProblemNoNote, r.Label)
		case n > maxNote:
			return nil, errs.E(errs.Invalid, msgNoteTooLong, maxNote)
		}
		found[pr.RiskID] = pr
	}
	body := Body{Items: make([]ItemResult, len(points))}
	open := 0
	for i, r := range points {
		it := ItemResult{ID: r.ID, Label: r.Label}
		if pr, ok := found[r.ID]; ok {
			it.Problem, it.Note, it.Resolved = true, pr.Note, pr.Resolved
			if !pr.Resolved {
				open++
			}
		}
		body.Items[i] = it
	}
	return s.save(ctx, entry{kind: Daily, period: p, contact: c, late: late, problems: len(found), open: open,
		body: body, key: in.SubmissionKey, photos: in.Photos})
}

// SubmitWeekly stores a weekly review of the contact's business with the
// week's daily summary as it stands. Invalid for a week not yet begun or
// ended more than LateDays ago, missing next-week risks, open items
// missing when not everything was resolved, or texts too long.
func (s *Service) SubmitWeekly(ctx context.Context, in WeeklyInput) (*Saved, error) {
	c, p, late, err := s.openPeriod(ctx, in.ContactID, Weekly, in.Week)
	if err != nil {
		return nil, err
	}
	in.OpenItems, in.NextRisks = strings.TrimSpace(in.OpenItems), strings.TrimSpace(in.NextRisks)
	if err := checkText(in.NextRisks, msgNeedNextRisks); err != nil {
		return nil, err
	}
	if !in.Resolved {
		if err := checkText(in.OpenItems, msgNeedOpenItems); err != nil {
			return nil, err
		}
	}
	sum, err := s.WeekSummary(ctx, c.BusinessID, p)
	if err != nil {
		return nil, err
	}
	body := Body{Week: sum, Resolved: in.Resolved, NextRisks: in.NextRisks}
	open := 0
	if !in.Resolved {
		body.OpenItems = in.OpenItems
		open = max(sum.Open, 1)
	}
	return s.save(ctx, entry{kind: Weekly, period: p, contact: c, late: late, problems: len(sum.Problems), open: open,
		body: body, key: in.SubmissionKey, photos: in.Photos})
}

// SubmitMonthly stores a monthly dispatch's minutes for the contact's
// business with the month's figures as they stand. Invalid for a month
// not yet begun or ended more than LateDays ago, or missing or too long
// conclusions or key work.
func (s *Service) SubmitMonthly(ctx context.Context, in MonthlyInput) (*Saved, error) {
	c, p, late, err := s.openPeriod(ctx, in.ContactID, Monthly, in.Month)
	if err != nil {
		return nil, err
	}
	in.Conclusions, in.KeyWork = strings.TrimSpace(in.Conclusions), strings.TrimSpace(in.KeyWork)
	if err := checkText(in.Conclusions, msgNeedConclusions); err != nil {
		return nil, err
	}
	if err := checkText(in.KeyWork, msgNeedKeyWork); err != nil {
		return nil, err
	}
	fig, err := s.MonthFigures(ctx, c.BusinessID, p)
	if err != nil {
		return nil, err
	}
	body := Body{Month: fig, Conclusions: in.Conclusions, KeyWork: in.KeyWork}
	return s.save(ctx, entry{kind: Monthly, period: p, contact: c, late: late, problems: fig.Problems, open: fig.Open,
		body: body, key: in.SubmissionKey, photos: in.Photos})
}

// openPeriod returns the contact's record period of kind k that holds at
// (now when zero), and whether recording it now is late; Invalid as
// Period.Check, and as Contact.
func (s *Service) openPeriod(ctx context.Context, contactID int64, k Kind, at time.Time) (*account.Contact, Period, bool, error) {
	c, _, err := s.Contact(ctx, contactID)
	if err != nil {
		return nil, Period{}, false, err
	}
	if at.IsZero() {
		at = s.clock.Now()
	}
	p := PeriodOf(k, at)
	late, err := p.Check(s.today())
	return c, p, late, err
}

func checkText(s, missing string) error {
	switch n := len([]rune(s)); {
	case n == 0:
		return errs.E(errs.Invalid, "%s", missing)
	case n > maxText:
		return errs.E(errs.Invalid, msgTextTooLong, maxText)
	}
	return nil
}

// entry is a submission ready to store.
type entry struct {
	kind           Kind
	period         Period
	contact        *account.Contact
	late           bool
	problems, open int
	body           Body
	key            string
	photos         []supervision.PhotoInput
}

func (e entry) check() error {
	switch {
	case strings.TrimSpace(e.key) == "" || len(e.key) > maxKey:
		return errs.E(errs.Invalid, msgBadKey)
	case len(e.photos) > maxPhotos:
		return errs.E(errs.Invalid, msgTooManyPhotos, maxPhotos)
	}
	for _, p := range e.photos {
		if strings.TrimSpace(p.MediaID) == "" || len(p.MediaID) > 128 || len(p.PicURL) > 1024 {
			return errs.E(errs.Invalid, msgBadPhoto)
		}
	}
	return nil
}

// save stores a submission as the next revision of its period's record,
// creating the record on the first. Submissions for one record are
// serialised on its row (created if missing, then locked), so concurrent
// ones become consecutive revisions of one record; a deadlock or lock
// timeout is retried. A submission key already stored returns what it
// stored, Repeated.
func (s *Service) save(ctx context.Context, e entry) (*Saved, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		saved, err := s.saveOnce(ctx, e)
		if err == nil {
			saved.RoleMatches = RoleFits(e.kind, e.contact.Role)
			return saved, nil
		}
		// A concurrent delivery of the same submission won the key.
		if errs.Is(err, errs.Conflict) {
			if prev, perr := s.repeated(ctx, s.d.DB.Gorm(ctx), e); perr != nil || prev != nil {
				if prev != nil {
					prev.RoleMatches = RoleFits(e.kind, e.contact.Role)
				}
				return prev, perr
			}
		}
		if (!errs.Is(err, errs.Unavailable) && !errs.Is(err, errs.Conflict)) || attempt == saveAttempts || ctx.Err() != nil {
			return nil, fmt.Errorf("save %s record: %w", e.kind, err)
		}
	}
}

func (s *Service) saveOnce(ctx context.Context, e entry) (*Saved, error) {
	var saved *Saved
	err := s.d.DB.InTx(ctx, func(tx *gorm.DB) error {
		prev, err := s.repeated(ctx, tx, e)
		if err != nil || prev != nil {
			saved = prev
			return err
		}
		now := s.now()
		if err := s.ensureRecord(tx, e, now); err != nil {
			return err
		}
		var rec Record
		q := tx
		if tx.Dialector.Name() == "mysql" {
			// SQLite's write transactions are already exclusive (IMMEDIATE).
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Where("business_id = ? AND kind = ? AND period = ?", e.contact.BusinessID, e.kind, e.period.Key).Take(&rec).Error; err != nil {
			return err
		}
		rev := Revision{RecordID: rec.ID, BusinessID: rec.BusinessID, Kind: e.kind, Period: e.period.Key, Revision: rec.Revision + 1,
			SubmissionKey: e.key, ContactID: e.contact.ID, ContactName: e.contact.Name, ContactRole: e.contact.Role,
			Late: e.late, Problems: e.problems, Open: e.open, Body: e.body, CreatedAt: now}
		if err := tx.Create(&rev).Error; err != nil {
			return err
		}
		err = tx.Model(&Record{}).Where("id = ?", rec.ID).Updates(map[string]any{
			"revision": rev.Revision, "contact_id": e.contact.ID, "contact_name": e.contact.Name, "contact_role": e.contact.Role,
			"problems": e.problems, "open_items": e.open, "body": e.body, "updated_at": now,
		}).Error
		if err != nil {
			return err
		}
		if err := s.addPhotosTx(tx, rev.ID, rec.BusinessID, e.photos, now); err != nil {
			return err
		}
		rec.Revision, rec.ContactID, rec.ContactName, rec.ContactRole = rev.Revision, e.contact.ID, e.contact.Name, e.contact.Role
		rec.Problems, rec.Open, rec.Body, rec.UpdatedAt = e.problems, e.open, e.body, now
		saved = &Saved{Record: rec, Revision: rev.Revision, Late: e.late}
		return nil
	})
	if err != nil {
		return nil, db.Translate(err)
	}
	return saved, nil
}

// ensureRecord creates the period's record, empty, unless it exists. On
// MySQL the no-op update takes the row's exclusive lock at once, so
// concurrent first submissions queue instead of deadlocking on shared
// locks.
func (s *Service) ensureRecord(tx *gorm.DB, e entry, now time.Time) error {
	empty, _ := Body{}.Value()
	stmt := `INSERT INTO selfcheck_records (business_id, kind, period, period_start, period_end, revision, contact_id,
	contact_name, contact_role, late, problems, open_items, body, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, 0, 0, ?, ?, ?) `
	if tx.Dialector.Name() == "mysql" {
		stmt += "ON DUPLICATE KEY UPDATE id = id"
	} else {
		stmt += "ON CONFLICT (business_id, kind, period) DO NOTHING"
	}
	return tx.Exec(stmt, e.contact.BusinessID, e.kind, e.period.Key, e.period.startKey(), e.period.endKey(),
		e.contact.ID, e.contact.Name, e.contact.Role, e.late, empty, now, now).Error
}

// repeated returns what an earlier delivery of the same submission stored,
// or nil. A key used for another business's or period's record is a
// Conflict.
func (s *Service) repeated(ctx context.Context, q *gorm.DB, e entry) (*Saved, error) {
	var rev Revision
	err := q.WithContext(ctx).Where("submission_key = ?", e.key).Take(&rev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if rev.BusinessID != e.contact.BusinessID || rev.Kind != e.kind || rev.Period != e.period.Key {
		return nil, errs.E(errs.Conflict, msgKeyTaken)
	}
	var rec Record
	if err := q.WithContext(ctx).Where("id = ?", rev.RecordID).Take(&rec).Error; err != nil {
		return nil, err
	}
	return &Saved{Record: rec, Revision: rev.Revision, Late: rev.Late, Repeated: true}, nil
}

// Record returns a business's record for a period. NotFound when there is
// none.
func (s *Service) Record(ctx context.Context, businessID int64, p Period) (*Record, error) {
	var r Record
	err := s.d.DB.Gorm(ctx).Where("business_id = ? AND kind = ? AND period = ? AND revision > 0", businessID, p.Kind, p.Key).Take(&r).Error
	if err != nil {
		return nil, db.NotFoundAs(err, fmt.Sprintf(msgNoRecord, p.Label(), p.Kind.Label()))
	}
	return &r, nil
}

// Revisions lists the revisions of a record, oldest first.
func (s *Service) Revisions(ctx context.Context, recordID int64) ([]Revision, error) {
	var rs []Revision
	if err := s.d.DB.Gorm(ctx).Where("record_id = ?", recordID).Order("revision").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("selfcheck revisions: %w", err)
	}
	return rs, nil
}
