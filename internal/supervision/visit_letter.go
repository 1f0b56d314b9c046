package supervision

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// LetterIssuer issues the prompt letter (提示函) of a visit in the visit's
// own transaction, so a report that asked for a letter is never stored
// without it (letter.Service). It is declared here because letter builds
// on the supervision record, not the other way round.
type LetterIssuer interface {
	// PrepareVisitLetter checks, before the transaction, that the cadre c
	// may send business b a letter and reads what numbering and delivering
	// it needs, so the transaction itself only writes. Its errors other
	// than Internal are the cadre's to act on.
	PrepareVisitLetter(ctx context.Context, b *registry.Business, c *registry.Cadre) (IssueLetterTx, error)
}

// IssueLetterTx issues a prepared letter for the visit just inserted in tx.
type IssueLetterTx func(tx *gorm.DB, v StoredVisit) error

// StoredVisit is a visit as its transaction inserted it, with everything a
// letter about it says: nothing needs reading back.
type StoredVisit struct {
	Visit    *Visit
	Business *registry.Business
	Cadre    *registry.Cadre
	// Findings are the visit's, with their rectifications, in order.
	Findings []FindingRow
}

// IssueLettersWith makes Submit issue the letter of a report that asks for
// one (VisitInput.WithLetter) through l. The wiring root calls it once,
// before the service is used.
func (s *Service) IssueLettersWith(l LetterIssuer) { s.letters = l }

// prepareLetter readies the letter a report asks for, or returns nil.
func (s *Service) prepareLetter(ctx context.Context, in VisitInput, b *registry.Business, c *registry.Cadre) (IssueLetterTx, error) {
	if !in.WithLetter {
		return nil, nil
	}
	if s.letters == nil {
		return nil, errors.New("submit visit: a letter was asked for but no letter issuer is wired")
	}
	issue, err := s.letters.PrepareVisitLetter(ctx, b, c)
	if err != nil && errs.KindOf(err) != errs.Internal {
		// The report itself is fine: say so, and how to store it without
		// the letter.
		return nil, errs.E(errs.KindOf(err), msgLetterBlocked, errs.MessageOf(err))
	}
	return issue, err
}

// issueLetterTx issues the prepared letter of the visit inserted in tx.
func (s *Service) issueLetterTx(tx *gorm.DB, issue IssueLetterTx, p *visitPlan, b *registry.Business, c *registry.Cadre) error {
	if issue == nil {
		return nil
	}
	err := issue(tx, s.stored(p, b, c))
	if err != nil && errs.KindOf(err) != errs.Internal && !errs.Is(err, errs.Conflict) && !errs.Is(err, errs.Unavailable) {
		return errs.E(errs.KindOf(err), msgLetterBlocked, errs.MessageOf(err))
	}
	return err
}

// stored is the planned visit as inserted, for its letter.
func (s *Service) stored(p *visitPlan, b *registry.Business, c *registry.Cadre) StoredVisit {
	v := StoredVisit{Visit: &p.visit, Business: b, Cadre: c}
	for _, f := range p.findings {
		v.Findings = append(v.Findings, FindingRow{
			ID: f.finding.ID, ItemID: f.finding.ItemID, Label: s.lists.Label(f.finding.ItemID, p.visit.CheckKind),
			Description: f.finding.Description, Requirement: f.finding.Requirement,
			Deadline: f.finding.Deadline.In(clock.China), RectificationID: f.rectificationID, Status: StatusOpen,
		})
	}
	return v
}
