package registry

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/errs"
)

// assignmentImport makes the named cadre each listed business's cadre from
// the start date on, ending the current assignment. Naming the current
// cadre again changes nothing.
type assignmentImport struct {
	*importWork
	changes []*assignmentRow
}

type assignmentRow struct {
	business *Business
	cadre    *Cadre
	start    time.Time
	current  *Assignment
}

func (j *assignmentImport) plan(q *gorm.DB, t *table) error {
	codes, licences := fileKeys(t, aCreditCode, aLicenceNo)
	stored, err := loadBusinesses(q, codes, licences)
	if err != nil {
		return err
	}
	cadres, err := j.loadCadres(q)
	if err != nil {
		return err
	}
	regions, err := loadRegionTree(q)
	if err != nil {
		return err
	}
	seen := map[int64]int{}
	today := formatDate(j.now)
	for _, rec := range t.records {
		before := j.errorCount()
		c := rec.cells
		b, keyCol := j.business(rec, stored)
		if b != nil {
			if c[aName] != "" && c[aName] != b.Name {
				j.fail(rec.row, hName, c[aName], fmt.Sprintf(msgNameMismatch, b.Name))
			}
			if first, dup := seen[b.ID]; dup {
				j.fail(rec.row, assignmentSpec.columns[keyCol].name, c[keyCol], fmt.Sprintf(msgDuplicateRow, first))
			} else {
				seen[b.ID] = rec.row
			}
		}
		var cadre *Cadre
		if c[aCadre] == "" {
			j.fail(rec.row, hCadre, "", fmt.Sprintf(msgRequired, hCadre))
		} else {
			found, phoneAtFault, reason := cadres.resolve(c[aCadre], c[aCadrePhone])
			switch {
			case found == nil && phoneAtFault:
				j.fail(rec.row, hCadrePhone, c[aCadrePhone], reason)
			case found == nil:
				j.fail(rec.row, hCadre, c[aCadre], reason)
			}
			cadre = found
		}
		start := j.now
		if c[aStartDate] != "" {
			d, ok := parseDate(c[aStartDate])
			switch {
			case !ok:
				j.fail(rec.row, hStartDate, c[aStartDate], msgBadDate)
			case formatDate(d) > today:
				j.fail(rec.row, hStartDate, c[aStartDate], msgFutureDate)
			default:
				start = d
			}
		}
		if b == nil || cadre == nil {
			continue
		}
		r := &assignmentRow{business: b, cadre: cadre, start: start}
		if cur, ok := stored.current[b.ID]; ok {
			r.current = &cur
		}
		unchanged := r.current != nil && r.current.CadreID == cadre.ID
		if !unchanged {
			if err := j.s.CheckAssignable(*b, *cadre, regions); err != nil {
				j.fail(rec.row, hCadre, c[aCadre], errs.MessageOf(err))
			}
			if r.current != nil && r.start.Before(r.current.StartedAt) {
				// The same day is fine: the old assignment simply ends when the new one starts.
				if formatDate(r.start) != formatDate(r.current.StartedAt) {
					j.fail(rec.row, hStartDate, c[aStartDate], fmt.Sprintf(msgBeforeCurrent, formatDate(r.current.StartedAt)))
				}
				r.start = r.current.StartedAt
			}
		}
		switch {
		case j.errorCount() > before:
		case unchanged:
			j.rep.Unchanged++
		case r.current == nil:
			j.changes = append(j.changes, r)
			j.rep.Created++
		default:
			j.changes = append(j.changes, r)
			j.rep.Updated++
		}
	}
	return nil
}

// business finds the row's business by credit code, else licence number,
// and says which column identified it (for error reports).
func (j *assignmentImport) business(rec record, stored *businessIndex) (*Business, int) {
	c := rec.cells
	code, licence := NormalizeCode(c[aCreditCode]), NormalizeCode(c[aLicenceNo])
	switch {
	case code == "" && licence == "":
		j.fail(rec.row, hCreditCode, "", msgCodeOrLicence)
		return nil, aCreditCode
	case code != "":
		if reason := CheckCreditCode(code); reason != "" {
			j.fail(rec.row, hCreditCode, c[aCreditCode], reason)
			return nil, aCreditCode
		}
		if b := stored.byCode[code]; b != nil {
			return b, aCreditCode
		}
		if licence == "" {
			j.fail(rec.row, hCreditCode, c[aCreditCode], msgNoBusiness)
			return nil, aCreditCode
		}
	}
	if reason := CheckLicenceNo(licence); reason != "" {
		j.fail(rec.row, hLicenceNo, c[aLicenceNo], reason)
		return nil, aLicenceNo
	}
	if b := stored.byLicence[licence]; b != nil {
		return b, aLicenceNo
	}
	j.fail(rec.row, hLicenceNo, c[aLicenceNo], msgNoBusiness)
	return nil, aLicenceNo
}

// apply ends the current assignments — set-based, one UPDATE per distinct
// start date and chunk — and inserts the new ones in batches.
func (j *assignmentImport) apply(tx *gorm.DB) error {
	j.progress(j.rep.Unchanged)
	endAt := map[time.Time][]int64{}
	var order []time.Time
	for _, r := range j.changes {
		if r.current == nil {
			continue
		}
		if _, ok := endAt[r.start]; !ok {
			order = append(order, r.start)
		}
		endAt[r.start] = append(endAt[r.start], r.business.ID)
	}
	for _, at := range order {
		if err := endAssignments(tx, endAt[at], at.UTC()); err != nil {
			return err
		}
	}
	return inChunks(j.changes, func(chunk []*assignmentRow) error {
		as := make([]*Assignment, len(chunk))
		for i, r := range chunk {
			as[i] = &Assignment{BusinessID: r.business.ID, CadreID: r.cadre.ID, StartedAt: r.start.UTC(), Reason: msgImportReason, Actor: j.opt.Actor}
		}
		if err := j.s.InsertAssignmentsTx(tx, as); err != nil {
			return err
		}
		j.progress(len(chunk))
		return nil
	})
}
