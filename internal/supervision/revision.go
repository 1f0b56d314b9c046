package supervision

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// Revise corrects a submitted visit without changing it: apply edits a
// copy of the visit's input, and the result is stored as a new revision
// that supersedes the old one (which stops being current), recording who
// revised it, when and why. The revision keeps the original's business,
// cadre, status seen and submission time, so coverage is unchanged.
// Findings carried over (same item) keep their rectifications and
// history; findings dropped have their open rectifications withdrawn;
// new ones open new rectifications. A deadline already set may stay even
// if it has passed.
//
// Invalid without a reason or actor, or when apply changes what a
// revision may not; NotFound for an unknown visit; Conflict when the visit
// has already been superseded (also when two revisions race).
// Who may revise is the caller's decision.
func (s *Service) Revise(ctx context.Context, visitID int64, by registry.Actor, reason string, apply func(in *VisitInput)) (*Visit, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return nil, errs.InvalidFields(msgReviseReason, errs.FieldError{Field: "reason", Reason: msgReviseReason})
	case runeLen(reason) > 500:
		return nil, errs.InvalidFields(msgNoteTooLong, errs.FieldError{Field: "reason", Reason: msgNoteTooLong})
	case by == "":
		return nil, errs.E(errs.Invalid, msgReviseActor)
	}
	old, err := s.Visit(ctx, visitID)
	if err != nil {
		return nil, err
	}
	if !old.Current {
		return nil, errs.E(errs.Conflict, msgSuperseded)
	}
	in := old.input()
	if apply != nil {
		apply(&in)
	}
	if in.BusinessID != old.BusinessID || in.CadreID != old.CadreID || in.StatusSeen != old.StatusSeen {
		return nil, errs.E(errs.Invalid, msgReviseFixed)
	}
	in.SubmissionKey = revisionKeyPrefix + strconv.FormatInt(old.ID, 10)
	in.Source = old.Source
	cadre := &registry.Cadre{ID: old.CadreID, Level: old.CadreLevel}
	now := s.now().UTC()
	p, err := s.build(in, &old.Business, cadre, now, newPrior(old))
	if err != nil {
		return nil, err
	}
	v := &p.visit
	v.SubmittedAt, v.CycleKey, v.CycleLabel, v.Grade = old.SubmittedAt, old.CycleKey, old.CycleLabel, old.Grade
	v.Revision, v.SupersedesID, v.RevisedBy, v.RevisionReason = old.Revision+1, &old.ID, by, reason

	// Findings continue earlier ones item by item, in order.
	byItem := map[string][]FindingRow{}
	for _, f := range old.Findings {
		byItem[f.ItemID] = append(byItem[f.ItemID], f)
	}
	for i := range p.findings {
		item := p.findings[i].finding.ItemID
		if rest := byItem[item]; len(rest) > 0 {
			p.findings[i].prior = rest[0].ID
			byItem[item] = rest[1:]
		}
	}
	err = s.db.InTx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Visit{}).Where("id = ? AND is_current = ?", old.ID, true).Update("is_current", false)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.E(errs.Conflict, msgSuperseded)
		}
		if err := s.insertTx(tx, p); err != nil {
			return err
		}
		// A correction does not undo a review: a visit taken off coverage
		// stays off in its new revision until a reviewer restores it.
		if err := tx.Exec("UPDATE visits SET counted = (SELECT o.counted FROM (SELECT counted FROM visits WHERE id = ?) o) WHERE id = ?",
			old.ID, p.visit.ID).Error; err != nil {
			return err
		}
		for _, f := range p.findings {
			if f.prior == 0 {
				continue
			}
			if err := tx.Model(&rectification{}).Where("finding_id = ?", f.prior).Updates(map[string]any{
				"finding_id": f.finding.ID, "updated_at": now,
				"deadline": gorm.Expr("CASE WHEN status = ? THEN ? ELSE deadline END", StatusOpen, f.finding.Deadline),
			}).Error; err != nil {
				return err
			}
		}
		var dropped []int64
		for _, rest := range byItem {
			for _, f := range rest {
				if f.Status == StatusOpen {
					dropped = append(dropped, f.RectificationID)
				}
			}
		}
		if err := s.withdrawTx(tx, dropped, by, reason, now); err != nil {
			return err
		}
		return registry.AuditTx(tx, p.auditEntry("visit.revise", by, fmt.Sprintf("corrects visit %d: %s", old.ID, reason)))
	})
	if err != nil {
		if errs.Is(err, errs.Conflict) {
			return nil, errs.Wrap(errs.Conflict, err, msgSuperseded)
		}
		return nil, fmt.Errorf("revise visit %d: %w", visitID, err)
	}
	return v, nil
}

// input rebuilds the report a visit was made from.
func (d *VisitDetail) input() VisitInput {
	in := VisitInput{
		BusinessID: d.BusinessID, CadreID: d.CadreID, Mode: d.Mode, Check: d.CheckKind, StartedAt: d.StartedAt,
		StatusSeen: d.StatusSeen, StatusNote: d.StatusNote, ContactName: d.ContactName, Remarks: d.Remarks,
		Source: d.Source, Provenance: append([]string(nil), d.Provenance...),
	}
	if d.Latitude != nil && d.Longitude != nil {
		in.Location = &Location{Lat: *d.Latitude, Lng: *d.Longitude, Label: d.LocationLabel}
	}
	for _, it := range d.Items {
		in.Items = append(in.Items, ItemResult{ItemID: it.ItemID, Result: it.Result})
	}
	byFinding := map[int64][]PhotoInput{}
	for _, ph := range d.Photos {
		pi := PhotoInput{MediaID: ph.MediaID, PicURL: ph.PicURL, ReceivedAt: ph.ReceivedAt}
		if ph.FindingID != nil {
			byFinding[*ph.FindingID] = append(byFinding[*ph.FindingID], pi)
		} else {
			in.Photos = append(in.Photos, pi)
		}
	}
	for _, f := range d.Findings {
		in.Findings = append(in.Findings, FindingInput{ItemID: f.ItemID, Description: f.Description,
			Requirement: f.Requirement, Deadline: f.Deadline, Photos: byFinding[f.ID]})
	}
	return in
}

// Revisions lists every revision of the visit v belongs to, first one
// first. A revision keeps its original's business, cadre and submission
// time, which is what ties them together.
func (s *Service) Revisions(ctx context.Context, v *Visit) ([]Visit, error) {
	var vs []Visit
	err := s.db.Gorm(ctx).Where("business_id = ? AND cadre_id = ? AND submitted_at = ?", v.BusinessID, v.CadreID, v.SubmittedAt).
		Order("revision, id").Find(&vs).Error
	if err != nil {
		return nil, fmt.Errorf("revisions: %w", err)
	}
	return vs, nil
}
