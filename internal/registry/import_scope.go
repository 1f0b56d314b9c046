package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"gorm.io/gorm"
)

// Messages of a scoped import.
const (
	msgOutsideRegion   = "不在您的管辖范围内：只能导入本辖区的主体和干部"
	msgOutsideBusiness = "该主体登记在您的管辖范围以外，不能在此导入修改"
	msgOutsideCadre    = "该干部不在您的管辖范围内"
	msgOutsideCadreOld = "该工作电话属于您管辖范围以外的干部，不能在此导入修改"
)

// ImportInScope is Import for a person who acts in the region subtree
// scopePath (a town's office): on top of Import's checks, a row is
// reported, and the file refused, when it would place a business or cadre
// outside the subtree (a town or village elsewhere, or a new town), change
// a business or cadre registered outside it, or assign a cadre from
// outside it. The check runs on the same snapshot as the plan, inside the
// import's transaction, so what the preview accepted is what commits.
// An empty scopePath is Import itself: every region.
func (s *Service) ImportInScope(ctx context.Context, kind Kind, filename string, r io.Reader, opt ImportOptions, scopePath string) (*ImportReport, error) {
	rep := &ImportReport{Kind: kind, DryRun: opt.DryRun}
	spec, err := specOf(kind)
	if err != nil {
		return rep, fmt.Errorf("import: %w", err)
	}
	format, err := FormatOf(filename)
	if err != nil {
		return rep, fmt.Errorf("import %s: %w", kind, err)
	}
	t, rowErrs, err := readTable(ctx, format, r, spec)
	if err != nil {
		return rep, fmt.Errorf("import %s: %w", kind, err)
	}
	rep.Errors = rowErrs
	if t != nil {
		rep.Rows = len(t.records)
	}
	if len(rep.Errors) > 0 {
		return rep, rejected(rep)
	}
	if opt.Actor == "" {
		opt.Actor = Actor(SourceImport)
	}
	w := &importWork{s: s, rep: rep, opt: opt, now: s.now().UTC()}
	var job importJob
	switch kind {
	case KindBusinesses:
		job = &businessImport{importWork: w}
	case KindCadres:
		job = &cadreImport{importWork: w}
	case KindAssignments:
		job = &assignmentImport{importWork: w}
	}
	run := func(q *gorm.DB) error {
		if err := job.plan(q, t); err != nil {
			return err
		}
		// plan has filled the columns a file leaves out from the register,
		// so every row names its town and village by now.
		if scopePath != "" {
			if err := w.checkScope(q, kind, t, scopePath); err != nil {
				return err
			}
		}
		if len(rep.Errors) > 0 {
			return errRejected
		}
		if opt.DryRun {
			return nil
		}
		w.progress(0)
		return job.apply(q)
	}
	if opt.DryRun {
		err = run(s.db.Gorm(ctx))
	} else {
		err = s.db.InTx(ctx, run)
	}
	switch {
	case errors.Is(err, errRejected):
		return rep, rejected(rep)
	case err != nil:
		rep.Created, rep.Updated, rep.Unchanged, rep.RegionsCreated = 0, 0, 0, nil
		return rep, fmt.Errorf("import %s: %w", kind, err)
	}
	if opt.Progress != nil {
		opt.Progress(rep.Rows, rep.Rows)
	}
	return rep, nil
}

// checkScope reports every row that reaches outside scopePath.
func (w *importWork) checkScope(q *gorm.DB, kind Kind, t *table, scopePath string) error {
	var rs []Region
	if err := q.Session(&gorm.Session{NewDB: true}).Order("path").Find(&rs).Error; err != nil {
		return fmt.Errorf("load regions: %w", err)
	}
	tree := NewRegionTree(rs)
	var district *Region
	for _, r := range rs {
		if r.Level == LevelDistrict && r.Name == w.s.rules.DistrictName {
			r := r
			district = &r
			break
		}
	}
	in := func(regionID int64) bool {
		r, ok := tree.ByID[regionID]
		return ok && strings.HasPrefix(r.Path, scopePath)
	}
	// within says whether the region a row names — existing, or to be
	// created under its deepest existing ancestor — lies in the scope.
	within := func(town, village string) bool {
		if district == nil {
			return false
		}
		deepest := *district
		if town != "" {
			tw, ok := tree.Child(district.ID, town)
			if !ok {
				return strings.HasPrefix(deepest.Path, scopePath)
			}
			deepest = tw
			if village != "" {
				if v, ok := tree.Child(tw.ID, village); ok {
					deepest = v
				}
			}
		}
		return strings.HasPrefix(deepest.Path, scopePath)
	}
	fresh := q.Session(&gorm.Session{NewDB: true})
	cadres, err := loadCadres(fresh)
	if err != nil {
		return err
	}
	// cadreIn says whether the row's cadre may be used: one of the scope,
	// or the one packing the business already (an edited export keeps the
	// county cadres of grade B businesses, and leaving them is no change).
	cadreIn := func(name, phone string, current int64) bool {
		if name == "" && phone == "" {
			return true
		}
		c, _, _ := cadres.resolve(name, phone)
		return c == nil || in(c.RegionID) || c.ID == current
	}
	switch kind {
	case KindBusinesses:
		codes, licences := fileKeys(t, bCreditCode, bLicenceNo)
		stored, err := loadBusinesses(fresh, codes, licences)
		if err != nil {
			return err
		}
		for _, rec := range t.records {
			c := rec.cells
			old := matchStored(stored, NormalizeCode(c[bCreditCode]), NormalizeCode(c[bLicenceNo]))
			var current int64
			if old != nil {
				current = stored.current[old.ID].CadreID
			}
			if old != nil && !in(old.RegionID) {
				col, v := hCreditCode, c[bCreditCode]
				if v == "" {
					col, v = hLicenceNo, c[bLicenceNo]
				}
				w.fail(rec.row, col, v, msgOutsideBusiness)
				continue
			}
			if !within(c[bTown], c[bVillage]) {
				col, v := hTown, c[bTown]
				if c[bVillage] != "" {
					col, v = hVillage, c[bVillage]
				}
				w.fail(rec.row, col, v, msgOutsideRegion)
			}
			if !cadreIn(c[bCadre], c[bCadrePhone], current) {
				w.fail(rec.row, hCadre, c[bCadre], msgOutsideCadre)
			}
		}
	case KindCadres:
		for _, rec := range t.records {
			c := rec.cells
			if old := cadres.byPhone[NormalizePhone(c[cWorkPhone])]; old != nil && !in(old.RegionID) {
				w.fail(rec.row, hWorkPhone, c[cWorkPhone], msgOutsideCadreOld)
				continue
			}
			if !within(c[cTown], c[cVillage]) {
				col, v := hTown, c[cTown]
				if c[cVillage] != "" {
					col, v = hVillage, c[cVillage]
				}
				w.fail(rec.row, col, v, msgOutsideRegion)
			}
		}
	case KindAssignments:
		codes, licences := fileKeys(t, aCreditCode, aLicenceNo)
		stored, err := loadBusinesses(fresh, codes, licences)
		if err != nil {
			return err
		}
		for _, rec := range t.records {
			c := rec.cells
			b := matchStored(stored, NormalizeCode(c[aCreditCode]), NormalizeCode(c[aLicenceNo]))
			var current int64
			if b != nil {
				current = stored.current[b.ID].CadreID
				if !in(b.RegionID) {
					col, v := hCreditCode, c[aCreditCode]
					if v == "" {
						col, v = hLicenceNo, c[aLicenceNo]
					}
					w.fail(rec.row, col, v, msgOutsideBusiness)
					continue
				}
			}
			if !cadreIn(c[aCadre], c[aCadrePhone], current) {
				w.fail(rec.row, hCadre, c[aCadre], msgOutsideCadre)
			}
		}
	}
	return nil
}

// matchStored finds the stored business a code or licence names.
func matchStored(ix *businessIndex, code, licence string) *Business {
	if b := ix.byCode[code]; code != "" && b != nil {
		return b
	}
	if b := ix.byLicence[licence]; licence != "" && b != nil {
		return b
	}
	return nil
}
