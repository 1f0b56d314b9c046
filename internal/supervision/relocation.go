package supervision

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// Relocation request statuses.
const (
	RelocationPending  = "pending"
	RelocationApproved = "approved"
	RelocationRejected = "rejected"
)

// RelocationRequest asks the office to reassign a business a cadre found
// moved (搬迁): it may now lie in another village, with another cadre.
// The office decides; the reassignment itself is the register's.
type RelocationRequest struct {
	ID         int64
	BusinessID int64
	VisitID    int64
	Note       string
	Status     string
	DecidedBy  registry.Actor
	DecidedAt  *time.Time
	CreatedAt  time.Time
}

// checkScope accepts a region path ("/1/2/7/"). Paths hold digits and
// slashes only, so they need no LIKE escaping.
func checkScope(path string) error {
	if len(path) < 3 || path[0] != '/' || path[len(path)-1] != '/' || strings.Trim(path, "/0123456789") != "" || strings.Contains(path, "//") {
		return errs.E(errs.Invalid, msgBadScope)
	}
	return nil
}

// RelocationDecision is the office's answer to a relocation request.
type RelocationDecision struct {
	Approve bool
	// RegionID, when set, registers the business in that village (where
	// it moved to); CadreID, when set, makes that cadre pack it. Both are
	// the caller's to check against the person's scope. A move to another
	// town without a CadreID ends the current assignment (see
	// registry.RelocateBusinessTx).
	RegionID, CadreID int64
	// Address is where the business is now, as the office confirms it
	// (the console offers the cadre's report to edit); required to approve.
	Address string
	Note    string
	By      registry.Actor
}

// DecideRelocationAudited records the decision on a pending request and,
// on approval, moves the business to its new address (see moveTx) and
// region and reassigns it as decided, with an audit entry, all in one
// transaction. NotFound for an unknown request, Conflict when already
// decided, Invalid without an address to approve, plus the register's
// errors for the move and the reassignment. The caller reissues the
// business's knowledge card.
func (s *Service) DecideRelocationAudited(ctx context.Context, id int64, d RelocationDecision) error {
	if d.By == "" {
		return errs.E(errs.Invalid, "请注明处理人。")
	}
	status := RelocationRejected
	if d.Approve {
		status = RelocationApproved
	}
	now := s.now().UTC()
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		var r RelocationRequest
		if err := tx.First(&r, id).Error; err != nil {
			return db.NotFoundAs(err, msgRelocationNotFound)
		}
		res := tx.Model(&RelocationRequest{}).Where("id = ? AND status = ?", id, RelocationPending).
			Updates(map[string]any{"status": status, "decided_by": d.By, "decided_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.E(errs.Conflict, msgRelocationDecided)
		}
		detail, alsoScope := "rejected", ""
		if d.Approve {
			detail = "approved"
			if err := s.moveTx(tx, r, d); err != nil {
				return err
			}
			reason := "搬迁调整"
			if note := strings.TrimSpace(d.Note); note != "" {
				reason += "：" + note
			}
			switch {
			case d.RegionID != 0:
				from, err := registry.ScopeOfTx(tx, registry.AuditBusiness, r.BusinessID)
				if err != nil {
					return err
				}
				otherTown, err := s.reg.RelocateBusinessTx(tx, r.BusinessID, d.RegionID, d.CadreID, reason, d.By)
				if err != nil {
					return err
				}
				detail += fmt.Sprintf(", moved to region %d", d.RegionID)
				if otherTown {
					// The town it left sees the entry too.
					alsoScope = from
					if d.CadreID == 0 {
						detail += ", assignment ended"
					}
				}
			case d.CadreID != 0:
				if _, err := s.reg.AssignTx(tx, r.BusinessID, d.CadreID, reason, d.By); err != nil {
					return err
				}
			}
			if d.CadreID != 0 {
				detail += fmt.Sprintf(", cadre %d", d.CadreID)
			}
		}
		if note := strings.TrimSpace(d.Note); note != "" {
			detail += "; " + note
		}
		return registry.AuditTx(tx, audit.Entry{At: now, Actor: string(d.By), Action: "relocation." + status,
			SubjectType: "business", SubjectID: r.BusinessID, Detail: fmt.Sprintf("request %d %s", id, detail), AlsoScopePath: alsoScope})
	})
	if err != nil {
		return fmt.Errorf("decide relocation: %w", db.Translate(err))
	}
	return nil
}

// moveTx writes the approved address. The coordinates are where the
// reporting cadre was at an on-site visit (the move was seen there);
// without them the business is flagged and its next on-site visit locates
// it (locateTx). The old address and coordinates stay in its history.
func (s *Service) moveTx(tx *gorm.DB, r RelocationRequest, d RelocationDecision) error {
	var v Visit
	if err := tx.First(&v, r.VisitID).Error; err != nil {
		return db.NotFoundAs(err, msgVisitNotFound)
	}
	m := registry.Move{Address: d.Address, When: v.SubmittedAt, Actor: d.By}
	if v.Mode == ModeOnsite && v.Latitude != nil && v.Longitude != nil {
		m.Lat, m.Lng = v.Latitude, v.Longitude
	}
	return s.reg.MoveTx(tx, r.BusinessID, m)
}

// locateTx gives a business whose move was approved without coordinates
// those of this on-site visit, in the visit's transaction.
func (s *Service) locateTx(tx *gorm.DB, p *visitPlan, b *registry.Business) error {
	v := &p.visit
	if !b.LocatePending || v.Mode != ModeOnsite || v.Latitude == nil || v.Longitude == nil {
		return nil
	}
	_, err := s.reg.LocateTx(tx, b.ID, *v.Latitude, *v.Longitude)
	return err
}
