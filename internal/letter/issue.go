package letter

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
)

// Limits on a manager's letter.
const (
	maxFindings = 30
	maxText     = 500
)

// IssueInput is a letter a manager writes: the problems in their words,
// optionally the business's open rectifications, and a remark.
type IssueInput struct {
	Findings []FindingInput
	// OpenRectifications adds the business's open rectifications, so the
	// letter also reminds of them and a receipt's feedback reaches them.
	OpenRectifications bool
	Remarks            string
}

// FindingInput is one problem: what is wrong, what to do, by when (zero
// = the default rectification deadline).
type FindingInput struct {
	Description string
	Requirement string
	Deadline    time.Time
}

// IssueForVisit issues the letter for a visit with findings, as the cadre
// is asked "发送提示函？" at the end of the report. One letter per visit:
// asking again, also concurrently, returns the letter already issued.
// Invalid when the visit has no open findings, was superseded by a
// revision, or its business is deregistered; Forbidden when by is a
// cadre other than the visit's; NotFound for an unknown visit; Invalid
// when the business's region has no office to number the letter.
func (s *Service) IssueForVisit(ctx context.Context, visitID int64, by registry.Actor) (*Letter, error) {
	if by == "" || len(by) > 64 {
		return nil, errs.E(errs.Invalid, msgBadIssuer)
	}
	v, err := s.sup.Visit(ctx, visitID)
	if err != nil {
		return nil, err
	}
	if kind, id, ok := by.Parse(); ok && kind == "cadre" && id != v.CadreID {
		return nil, errs.E(errs.Forbidden, msgNotVisitCadre)
	}
	if l, err := s.ForVisit(ctx, visitID); l != nil || err != nil {
		return l, err
	}
	if !v.Current {
		return nil, errs.E(errs.Invalid, msgVisitSuperseded)
	}
	findings, err := visitFindings(v.Findings)
	if err != nil {
		return nil, err
	}
	office, err := s.officeFor(ctx, &v.Business, by)
	if err != nil {
		return nil, err
	}
	cadre, err := s.reg.Cadre(ctx, v.CadreID)
	if err != nil {
		return nil, err
	}
	content, err := s.content(ctx, &v.Business, office, cadre)
	if err != nil {
		return nil, err
	}
	content.Visit = visitInfo(&v.Visit)
	content.Findings = findings
	content.Articles = s.articles(findings)
	l := &Letter{BusinessID: v.BusinessID, VisitID: &v.ID, CadreID: v.CadreID, IssuedBy: by, Content: content}
	return s.issue(ctx, l, office)
}

// Issue issues a letter a manager writes to a business. The letter is
// numbered by the manager's office (by "manager:<id>"), which must cover
// the business; any other issuer (the console's "user:…") numbers by the
// office over the business's region. Invalid for a letter without
// findings, text too long, a past deadline or a deregistered business;
// Forbidden for an inactive manager or a business outside their office's
// region; NotFound for an unknown business.
func (s *Service) Issue(ctx context.Context, businessID int64, in IssueInput, by registry.Actor) (*Letter, error) {
	b, err := s.reg.Business(ctx, businessID)
	if err != nil {
		return nil, err
	}
	if by == "" || len(by) > 64 {
		return nil, errs.E(errs.Invalid, msgBadIssuer)
	}
	findings, err := s.checkInput(in)
	if err != nil {
		return nil, err
	}
	office, err := s.officeFor(ctx, b, by)
	if err != nil {
		return nil, err
	}
	var cadre *registry.Cadre
	a, err := s.reg.CurrentAssignment(ctx, b.ID)
	switch {
	case err == nil:
		if cadre, err = s.reg.Cadre(ctx, a.CadreID); err != nil {
			return nil, err
		}
	case !errs.Is(err, errs.NotFound):
		return nil, err
	}
	if in.OpenRectifications && cadre != nil {
		open, err := s.sup.OpenRectifications(ctx, cadre.ID)
		if err != nil {
			return nil, err
		}
		for _, r := range open {
			if r.BusinessID == b.ID {
				findings = append(findings, FindingInfo{Label: r.ItemLabel, Description: r.Description, Requirement: r.Requirement,
					Deadline: clock.Date(r.Deadline), RectificationID: r.ID, ItemID: r.ItemID})
			}
		}
	}
	if len(findings) == 0 {
		return nil, errs.E(errs.Invalid, msgNoIssueFindings)
	}
	content, err := s.content(ctx, b, office, cadre)
	if err != nil {
		return nil, err
	}
	content.Findings = findings
	content.Articles = s.articles(findings)
	content.Remarks = strings.TrimSpace(in.Remarks)
	l := &Letter{BusinessID: b.ID, IssuedBy: by, Content: content}
	if cadre != nil {
		l.CadreID = cadre.ID
	}
	return s.issue(ctx, l, office)
}

// checkInput validates a manager's findings and fills default deadlines.
func (s *Service) checkInput(in IssueInput) ([]FindingInfo, error) {
	var problems []errs.FieldError
	bad := func(field, format string, args ...any) {
		problems = append(problems, errs.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if len(in.Findings) > maxFindings {
		bad("findings", msgTooManyFindings, maxFindings)
	}
	today := clock.Date(s.now())
	var out []FindingInfo
	for i, f := range in.Findings {
		desc, req := strings.TrimSpace(f.Description), strings.TrimSpace(f.Requirement)
		field := fmt.Sprintf("findings[%d]", i)
		if desc == "" {
			bad(field+".description", msgFindingEmpty, i+1)
		}
		if utf8.RuneCountInString(desc) > maxText || utf8.RuneCountInString(req) > maxText {
			bad(field, msgFindingTooLong, i+1)
		}
		deadline := today.AddDate(0, 0, s.sup.Rules().DeadlineDays)
		if !f.Deadline.IsZero() {
			deadline = clock.Date(f.Deadline)
		}
		if deadline.Before(today) {
			bad(field+".deadline", msgDeadlinePast, i+1)
		}
		out = append(out, FindingInfo{Description: desc, Requirement: req, Deadline: deadline})
	}
	if utf8.RuneCountInString(strings.TrimSpace(in.Remarks)) > maxText {
		bad("remarks", msgRemarksTooLong)
	}
	if len(problems) > 0 {
		reasons := make([]string, 0, 3)
		for i, p := range problems {
			if i == 3 {
				break
			}
			reasons = append(reasons, p.Reason)
		}
		return nil, errs.InvalidFields(strings.Join(reasons, "；"), problems...)
	}
	return out, nil
}

// officeFor is the office that numbers a letter: a manager's own office
// (which must cover the business), else the office over the business.
func (s *Service) officeFor(ctx context.Context, b *registry.Business, by registry.Actor) (*registry.Office, error) {
	if b.Status == registry.StatusDeregistered {
		return nil, errs.E(errs.Invalid, msgDeregistered, b.Name)
	}
	if kind, id, ok := by.Parse(); ok && kind == "manager" {
		m, err := s.reg.Manager(ctx, id)
		if err != nil {
			return nil, err
		}
		if !m.Active {
			return nil, errs.E(errs.Forbidden, msgManagerInactive)
		}
		o, err := s.reg.Office(ctx, m.OfficeID)
		if err != nil {
			return nil, err
		}
		if ok, err := s.reg.Covers(ctx, o.RegionID, b.RegionID); err != nil {
			return nil, err
		} else if !ok {
			return nil, errs.E(errs.Forbidden, msgManagerScope, b.Name)
		}
		return o, nil
	}
	o, err := s.reg.OfficeFor(ctx, b.RegionID)
	if errs.Is(err, errs.NotFound) {
		return nil, errs.E(errs.Invalid, msgNoOffice)
	}
	return o, err
}

// content is the part of a letter every kind shares: addressee, office,
// cadre, season, hotline.
func (s *Service) content(ctx context.Context, b *registry.Business, o *registry.Office, c *registry.Cadre) (Content, error) {
	ct := Content{
		Business: BusinessInfo{Name: b.Name, Code: b.Code(), Address: b.Address, Category: b.Category, Grade: b.Grade},
		Office:   OfficeInfo{Name: o.Name, ShortName: o.ShortName, Phone: o.Phone, Address: o.Address, StationPhone: o.StationPhone},
		Season:   seasonOf(s.now().In(clock.China).Month()),
		Hotline:  s.cfg.Hotline,
	}
	if c != nil {
		ct.Cadre = &PersonInfo{Name: c.Name, Post: c.Post, Phone: c.WorkPhone}
	}
	r, err := s.reg.Region(ctx, b.RegionID)
	if err != nil {
		return ct, err
	}
	if r.Level == registry.LevelVillage {
		ct.Business.Village = r.Name
		if r.ParentID != nil {
			if t, err := s.reg.Region(ctx, *r.ParentID); err == nil {
				ct.Business.Town = t.Name
			} else if !errs.Is(err, errs.NotFound) {
				return ct, err
			}
		}
	} else if r.Level == registry.LevelTown {
		ct.Business.Town = r.Name
	}
	return ct, nil
}

// issue numbers and stores a letter and sends it to the business's bound
// contacts (and, when someone else issued it, a copy to the cadre), all
// in one transaction. A busy database is retried; a race with another
// issue for the same visit returns the letter that won.
func (s *Service) issue(ctx context.Context, l *Letter, office *registry.Office) (*Letter, error) {
	p, err := s.prepare(ctx, l.BusinessID, office)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		now := s.now()
		if err := s.ensureCounter(ctx, office.ID, now.In(clock.China).Year()); err != nil {
			return nil, err
		}
		row := *l
		err := s.db.InTx(ctx, func(tx *gorm.DB) error { return s.issueTx(tx, &row, p, now) })
		switch {
		case err == nil:
			return &row, nil
		case errs.Is(err, errs.Conflict) && l.VisitID != nil:
			if won, e := s.ForVisit(ctx, *l.VisitID); won != nil || e != nil {
				return won, e
			}
		case errs.Is(err, errs.Unavailable) && ctx.Err() == nil && attempt < 5:
			// A deadlock victim or a busy SQLite: the transaction did nothing.
			continue
		}
		return nil, fmt.Errorf("issue letter: %w", err)
	}
}

// prepared is what issuing a letter reads before its transaction: the
// numbering office and the contacts the letter reaches.
type prepared struct {
	office     *registry.Office
	recipients []account.Contact
}

// prepare reads what issuing a letter to the business needs and makes
// sure the office has this year's counter row.
func (s *Service) prepare(ctx context.Context, businessID int64, office *registry.Office) (prepared, error) {
	recipients, err := s.boundContacts(ctx, businessID)
	if err != nil {
		return prepared{}, err
	}
	if err := s.ensureCounter(ctx, office.ID, s.now().In(clock.China).Year()); err != nil {
		return prepared{}, err
	}
	return prepared{office: office, recipients: recipients}, nil
}

// issueTx numbers and inserts row as issued at now, records its delivery
// and queues the messages about it, all in tx.
func (s *Service) issueTx(tx *gorm.DB, row *Letter, p prepared, now time.Time) error {
	year := now.In(clock.China).Year()
	row.ID, row.OfficeID, row.Year, row.IssuedAt, row.CreatedAt = 0, p.office.ID, year, now, now
	row.Token = rand.Text()
	row.Status, row.DeliveredAt = StatusIssued, nil
	if len(p.recipients) > 0 {
		row.Status, row.DeliveredAt = StatusDelivered, &now
	}
	seq, err := takeSeq(tx, p.office.ID, year)
	if errors.Is(err, errNoCounter) {
		// The year turned since prepare: a first letter of the year
		// creates its counter here.
		if err = s.ensureCounterTx(tx, p.office.ID, year); err == nil {
			seq, err = takeSeq(tx, p.office.ID, year)
		}
	}
	if err != nil {
		return err
	}
	row.Seq = seq
	row.Number = s.number.format(p.office.ShortName, year, seq)
	if utf8.RuneCountInString(row.Number) > maxNumberLen {
		return errs.E(errs.Invalid, msgNumberTooLong)
	}
	if err := tx.Create(row).Error; err != nil {
		return err
	}
	if err := registry.AuditTx(tx, audit.Entry{At: now, Actor: string(row.IssuedBy), Action: "letter.issue",
		SubjectType: registry.AuditBusiness, SubjectID: row.BusinessID,
		Detail: fmt.Sprintf("letter %d %s, %d findings", row.ID, row.Number, len(row.Content.Findings))}); err != nil {
		return err
	}
	msgs, err := s.deliverTx(tx, row, p.recipients, now)
	if err != nil {
		return err
	}
	if kind, id, ok := row.IssuedBy.Parse(); row.CadreID != 0 && !(ok && kind == "cadre" && id == row.CadreID) {
		msgs = append(msgs, s.cadreCopy(row))
	}
	return s.enqueue(tx, msgs)
}

func (s *Service) enqueue(tx *gorm.DB, msgs []notify.Message) error {
	if len(msgs) == 0 || s.out == nil {
		return nil
	}
	_, err := s.out.EnqueueTx(tx, msgs...)
	return err
}

// cadreCopy tells the cadre that someone else sent their business a letter.
func (s *Service) cadreCopy(l *Letter) notify.Message {
	to := registry.ActorOf("cadre", l.CadreID)
	return notify.Message{
		Kind: "letter.issued", To: notify.Recipient{Kind: notify.ToCadre, ID: l.CadreID}, Channel: notify.ChannelTemplate,
		Subject: subject(l), Title: titleIssued,
		Fields: map[string]string{"number": l.Number, "business": l.Content.Business.Name, "date": day(l.IssuedAt)},
		Text:   fmt.Sprintf(textIssuedCadre, l.Content.Business.Name, l.Number),
		URL:    s.url(l, to),
	}
}

func subject(l *Letter) string { return fmt.Sprintf("letter:%d", l.ID) }

func day(t time.Time) string { return t.In(clock.China).Format("2006年1月2日") }

func datetime(t time.Time) string { return t.In(clock.China).Format("2006年1月2日 15:04") }
