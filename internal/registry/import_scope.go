package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/audit"
)

// ImportInScope is Import for a person who acts in the region subtree
// scopePath (a town's office): on top of Import's checks, a row is
// reported, and the file refused, when it would place a business or cadre
// outside the subtree (a town or village elsewhere, or a new town), change
// a business or cadre registered outside it, or assign a cadre from
// outside it. The check runs on the same snapshot as the plan, inside the
// import's transaction, so what the preview accepted is what commits.
//
// The scope is checked before anything else, and a row reaching outside
// it gets a message naming nothing the row does not say itself, and no
// other check: those would name what lies outside (the cadre a phone
// number belongs to, the business a licence is registered to). The rest
// of the file sees only the cadres of the scope and those packing its
// businesses now.
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
	lim := readLimits{maxRows: s.rules.ImportMaxRows, maxUnzipped: s.rules.ImportMaxUnzippedBytes}
	t, err := readTable(ctx, format, r, spec, lim, rep)
	if err != nil {
		return rep, fmt.Errorf("import %s: %w", kind, err)
	}
	if t != nil {
		rep.Rows = len(t.records)
	}
	if rep.ErrorCount() > 0 {
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
		rows := t
		if scopePath != "" {
			var err error
			if rows, err = w.checkScope(q, kind, t, scopePath); err != nil {
				return err
			}
		}
		if err := job.plan(q, rows); err != nil {
			return err
		}
		if rep.ErrorCount() > 0 {
			return errRejected
		}
		if opt.DryRun {
			return nil
		}
		w.progress(0)
		if err := job.apply(q); err != nil || !opt.Audit {
			return err
		}
		return audit.Record(q, audit.Entry{At: s.now(), Actor: string(opt.Actor), Action: "register.import", SubjectType: "import",
			Detail: fmt.Sprintf("%s: %s", filename, rep.Summary())})
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

// checkScope reports every row that reaches outside scopePath and returns
// the table without those rows, for the other checks. It also limits the
// cadres those checks see (importWork.visibleCadre) to the scope's and to
// those packing the file's businesses now: an edited export keeps the
// county cadres of grade B businesses, and leaving them is no change.
//
// Where the file leaves a column out, a stored row keeps its value, as
// the plan fills it; so a row is judged by where it would end up.
func (w *importWork) checkScope(q *gorm.DB, kind Kind, t *table, scopePath string) (*table, error) {
	var rs []Region
	if err := q.Session(&gorm.Session{NewDB: true}).Order("path").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("load regions: %w", err)
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
	// place is where a row puts its business or cadre: the file's town and
	// village, or the stored ones for a column the file leaves out.
	place := func(cells []string, townCol, villageCol int, stored func() []string) (town, village string) {
		town, village = cells[townCol], cells[villageCol]
		if stored != nil && !t.complete() {
			st := stored()
			if !t.has(townCol) {
				town = st[townCol]
			}
			if !t.has(villageCol) {
				village = st[villageCol]
			}
		}
		return town, village
	}
	placeFail := func(rec record, town, village string) {
		col, v := hTown, town
		if village != "" {
			col, v = hVillage, village
		}
		w.fail(rec.row, col, v, msgOutsideRegion)
	}
	fresh := q.Session(&gorm.Session{NewDB: true})
	cadres, err := loadCadres(fresh)
	if err != nil {
		return nil, err
	}
	// cadreOutside says whether the cadre a row names lies outside the
	// scope: the one its phone belongs to (whatever name the row gives),
	// else every active cadre of its name. The business's current cadre
	// is never outside.
	cadreOutside := func(name, phone string, current int64) bool {
		if phone != "" {
			c := cadres.byPhone[NormalizePhone(phone)]
			return c != nil && !in(c.RegionID) && c.ID != current
		}
		cs := cadres.byName[name]
		for _, c := range cs {
			if in(c.RegionID) || c.ID == current {
				return false
			}
		}
		return len(cs) > 0
	}
	packing := map[int64]bool{}
	w.visibleCadre = func(c *Cadre) bool { return in(c.RegionID) || packing[c.ID] }
	outside := map[int]bool{}
	out := func(rec record, col, value, reason string) {
		w.fail(rec.row, col, value, reason)
		outside[rec.row] = true
	}
	switch kind {
	case KindBusinesses:
		codes, licences := fileKeys(t, bCreditCode, bLicenceNo)
		stored, err := loadBusinesses(fresh, codes, licences)
		if err != nil {
			return nil, err
		}
		for _, rec := range t.records {
			c := rec.cells
			code, licence := NormalizeCode(c[bCreditCode]), NormalizeCode(c[bLicenceNo])
			// Either key may belong to a business elsewhere: the code as
			// the row's business, the licence as one the row would clash with.
			if b := stored.byCode[code]; code != "" && b != nil && !in(b.RegionID) {
				out(rec, hCreditCode, c[bCreditCode], msgOutsideBusiness)
				continue
			}
			if b := stored.byLicence[licence]; licence != "" && b != nil && !in(b.RegionID) {
				out(rec, hLicenceNo, c[bLicenceNo], msgOutsideBusiness)
				continue
			}
			old := matchStored(stored, code, licence)
			var current int64
			var storedCells func() []string
			if old != nil {
				current = stored.current[old.ID].CadreID
				packing[current] = true
				storedCells = func() []string { return businessCells(*old, tree, nil) }
			}
			if town, village := place(c, bTown, bVillage, storedCells); !within(town, village) {
				placeFail(rec, town, village)
				outside[rec.row] = true
			}
			// The plan ignores the cadre cells of a 注销 row, and so does this.
			if st, _ := ParseStatus(c[bStatus]); st != StatusDeregistered && cadreOutside(c[bCadre], c[bCadrePhone], current) {
				out(rec, hCadre, c[bCadre], msgOutsideCadre)
			}
		}
	case KindCadres:
		for _, rec := range t.records {
			c := rec.cells
			old := cadres.byPhone[NormalizePhone(c[cWorkPhone])]
			if old != nil && !in(old.RegionID) {
				out(rec, hWorkPhone, c[cWorkPhone], msgOutsideCadreOld)
				continue
			}
			var storedCells func() []string
			if old != nil {
				storedCells = func() []string { return cadreCells(*old, tree) }
			}
			if town, village := place(c, cTown, cVillage, storedCells); !within(town, village) {
				placeFail(rec, town, village)
				outside[rec.row] = true
			}
		}
	case KindAssignments:
		codes, licences := fileKeys(t, aCreditCode, aLicenceNo)
		stored, err := loadBusinesses(fresh, codes, licences)
		if err != nil {
			return nil, err
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
					out(rec, col, v, msgOutsideBusiness)
					continue
				}
				packing[current] = true
			}
			if cadreOutside(c[aCadre], c[aCadrePhone], current) {
				out(rec, hCadre, c[aCadre], msgOutsideCadre)
			}
		}
	}
	if len(outside) == 0 {
		return t, nil
	}
	rest := &table{present: t.present, records: make([]record, 0, len(t.records)-len(outside))}
	for _, rec := range t.records {
		if !outside[rec.row] {
			rest.records = append(rest.records, rec)
		}
	}
	return rest, nil
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
