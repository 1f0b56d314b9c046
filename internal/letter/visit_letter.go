package letter

import (
	"context"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// The supervision record issues a report's letter through the service.
var _ supervision.LetterIssuer = (*Service)(nil)

// PrepareVisitLetter readies the letter of a report the cadre c is about
// to submit on business b with "发送提示函" (supervision.Submit): the
// numbering office, the letter's addressee part and the contacts it
// reaches are read now, and the returned function issues it inside the
// report's transaction from the visit as inserted, without reading it
// back. One transaction means a stored report that asked for a letter
// always has it, and a repeated submission returns the letter with the
// visit. Invalid for a deregistered business or one whose region has no
// office to number the letter.
func (s *Service) PrepareVisitLetter(ctx context.Context, b *registry.Business, c *registry.Cadre) (supervision.IssueLetterTx, error) {
	by := registry.ActorOf("cadre", c.ID)
	office, err := s.officeFor(ctx, b, by)
	if err != nil {
		return nil, err
	}
	content, err := s.content(ctx, b, office, c)
	if err != nil {
		return nil, err
	}
	p, err := s.prepare(ctx, b.ID, office)
	if err != nil {
		return nil, err
	}
	return func(tx *gorm.DB, v supervision.StoredVisit) error {
		findings, err := visitFindings(v.Findings)
		if err != nil {
			return err
		}
		ct := content
		ct.Visit = visitInfo(v.Visit)
		ct.Findings = findings
		ct.Articles = s.articles(findings)
		row := Letter{BusinessID: v.Visit.BusinessID, VisitID: &v.Visit.ID, CadreID: v.Visit.CadreID, IssuedBy: by, Content: ct}
		return s.issueTx(tx, &row, p, v.Visit.SubmittedAt)
	}, nil
}

// visitFindings is what a letter lists of a visit's findings: those not
// withdrawn. Invalid when none is left.
func visitFindings(rows []supervision.FindingRow) ([]FindingInfo, error) {
	var findings []FindingInfo
	for _, f := range rows {
		if f.Status == supervision.StatusWithdrawn {
			continue
		}
		findings = append(findings, FindingInfo{Label: f.Label, Description: f.Description, Requirement: f.Requirement,
			Deadline: clock.Date(f.Deadline), RectificationID: f.RectificationID, ItemID: f.ItemID})
	}
	if len(findings) == 0 {
		return nil, errs.E(errs.Invalid, msgNoFindings)
	}
	return findings, nil
}

func visitInfo(v *supervision.Visit) *VisitInfo {
	return &VisitInfo{ID: v.ID, Date: v.SubmittedAt, Mode: string(v.Mode), ModeLabel: v.Mode.Label()}
}
