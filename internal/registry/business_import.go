package registry

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/errs"
)

// businessImport upserts businesses by credit code, else licence number,
// creating missing towns and villages and assigning named cadres.
type businessImport struct {
	*importWork
	regions *regionPlan
	creates []*businessRow // new businesses
	updates []*businessRow // registered details changed
	status  []*businessRow // status changed
	assigns []*businessRow // existing businesses with a new cadre
}

// businessRow is a row of the file and what it changes.
type businessRow struct {
	in            BusinessInput
	town, village string
	status        Status
	cadre         *Cadre // nil: the row leaves the assignment as it is
	old           *Business
	oldCadreID    int64
}

var businessFieldColumns = map[string]int{
	"name": bName, "credit_code": bCreditCode, "licence_no": bLicenceNo, "category": bCategory, "grade": bGrade,
	"region": bTown, "address": bAddress, "latitude": bLatitude, "longitude": bLongitude,
	"principal": bPrincipal, "principal_phone": bPrincipalPhone, "director": bDirector,
	"director_phone": bDirectorPhone, "officer": bOfficer, "officer_phone": bOfficerPhone,
}

// businessIndex is the stored businesses a file's codes refer to.
type businessIndex struct {
	byCode, byLicence map[string]*Business
	current           map[int64]Assignment // business → current assignment
}

// loadBusinesses reads, in chunked IN queries, the businesses whose credit
// codes or licence numbers appear in the file, and their current assignments.
func loadBusinesses(q *gorm.DB, codes, licences []string) (*businessIndex, error) {
	ix := &businessIndex{byCode: map[string]*Business{}, byLicence: map[string]*Business{}, current: map[int64]Assignment{}}
	byID := map[int64]*Business{}
	add := func(bs []*Business) {
		for _, b := range bs {
			if prev, ok := byID[b.ID]; ok {
				b = prev
			}
			byID[b.ID] = b
			if b.CreditCode != nil {
				ix.byCode[*b.CreditCode] = b
			}
			if b.LicenceNo != nil {
				ix.byLicence[*b.LicenceNo] = b
			}
		}
	}
	for _, c := range []struct {
		column string
		vals   []string
	}{{"credit_code", codes}, {"licence_no", licences}} {
		err := inChunks(c.vals, func(chunk []string) error {
			var bs []*Business
			if err := q.Where(c.column+" IN ?", chunk).Find(&bs).Error; err != nil {
				return fmt.Errorf("load businesses: %w", err)
			}
			add(bs)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	ids := make([]int64, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	err := inChunks(ids, func(chunk []int64) error {
		var as []Assignment
		if err := q.Where("active_business_id IN ?", chunk).Find(&as).Error; err != nil {
			return fmt.Errorf("load assignments: %w", err)
		}
		for _, a := range as {
			ix.current[a.BusinessID] = a
		}
		return nil
	})
	return ix, err
}

// fileKeys collects the distinct codes and licence numbers of a file.
func fileKeys(t *table, codeCol, licenceCol int) (codes, licences []string) {
	seenC, seenL := map[string]bool{}, map[string]bool{}
	for _, rec := range t.records {
		if c := NormalizeCode(rec.cells[codeCol]); c != "" && !seenC[c] {
			seenC[c] = true
			codes = append(codes, c)
		}
		if l := NormalizeCode(rec.cells[licenceCol]); l != "" && !seenL[l] {
			seenL[l] = true
			licences = append(licences, l)
		}
	}
	return codes, licences
}

func (j *businessImport) plan(q *gorm.DB, t *table) error {
	codes, licences := fileKeys(t, bCreditCode, bLicenceNo)
	stored, err := loadBusinesses(q, codes, licences)
	if err != nil {
		return err
	}
	cadres, err := j.loadCadres(q)
	if err != nil {
		return err
	}
	if j.regions, err = j.s.loadRegionPlan(q); err != nil {
		return err
	}
	complete := t.complete()
	seenCode, seenLicence := map[string]int{}, map[string]int{}
	for _, rec := range t.records {
		before := j.errorCount()
		code, licence := NormalizeCode(rec.cells[bCreditCode]), NormalizeCode(rec.cells[bLicenceNo])
		if first, dup := seenCode[code]; dup && code != "" {
			j.fail(rec.row, hCreditCode, rec.cells[bCreditCode], fmt.Sprintf(msgDuplicateRow, first))
		} else if first, dup := seenLicence[licence]; dup && licence != "" {
			j.fail(rec.row, hLicenceNo, rec.cells[bLicenceNo], fmt.Sprintf(msgDuplicateRow, first))
		}
		if _, dup := seenCode[code]; !dup && code != "" {
			seenCode[code] = rec.row
		}
		if _, dup := seenLicence[licence]; !dup && licence != "" {
			seenLicence[licence] = rec.row
		}
		old := j.match(rec, code, licence, stored)
		if old != nil && !complete {
			// A column the file leaves out keeps its stored value; an empty
			// cell in a column the file has clears it.
			var cur *Cadre
			if id := stored.current[old.ID].CadreID; id != 0 {
				cur = cadres.byID[id]
			}
			storedCells := businessCells(*old, j.regions.tree, cur)
			for i := range rec.cells {
				if !t.has(i) {
					rec.cells[i] = storedCells[i]
				}
			}
		}
		r := j.parse(rec)
		r.old = old
		if old != nil {
			r.oldCadreID = stored.current[old.ID].CadreID
		}
		regionID := j.regions.need(r.town, r.village)
		// Deregistration ends the assignment, so the cadre cells of a 注销
		// row (still filled in an edited export) are ignored.
		if name, phone := rec.cells[bCadre], rec.cells[bCadrePhone]; (name != "" || phone != "") && r.status != StatusDeregistered {
			c, phoneAtFault, reason := cadres.resolve(name, phone)
			switch {
			case c == nil && phoneAtFault:
				j.fail(rec.row, hCadrePhone, phone, reason)
			case c == nil:
				j.fail(rec.row, hCadre, name, reason)
			}
			r.cadre = c
		}
		if old != nil && old.Status == StatusDeregistered && r.status != StatusDeregistered {
			j.fail(rec.row, hStatus, rec.cells[bStatus], fmt.Sprintf(msgDeregistered, old.Name))
		}
		changed, statusChanged, cadreChanged := true, true, r.cadre != nil
		if old != nil {
			changed = !sameBusiness(*old, r.in, regionID)
			statusChanged = r.status != old.Status
			cadreChanged = r.cadre != nil && r.cadre.ID != r.oldCadreID
		}
		// The level rule is checked whenever the row touches what it
		// depends on, so an untouched row never fails on a rule changed
		// since it was stored.
		if r.cadre != nil && r.in.Grade.Valid() && (old == nil || cadreChanged || statusChanged || r.in.Grade != old.Grade || regionID != old.RegionID) {
			b := Business{Name: r.in.Name, Grade: r.in.Grade, Status: r.status, RegionID: j.regions.existing(regionID, r.town)}
			if err := j.s.CheckAssignable(b, *r.cadre, j.regions.tree); err != nil {
				j.fail(rec.row, hCadre, rec.cells[bCadre], errs.MessageOf(err))
			}
		}
		if j.errorCount() > before {
			continue
		}
		switch {
		case old == nil:
			j.creates = append(j.creates, r)
			j.rep.Created++
		case changed || statusChanged || cadreChanged:
			if changed {
				j.updates = append(j.updates, r)
			}
			if statusChanged {
				j.status = append(j.status, r)
			}
			if cadreChanged {
				j.assigns = append(j.assigns, r)
			}
			j.rep.Updated++
		default:
			j.rep.Unchanged++
		}
	}
	j.rep.RegionsCreated = j.regions.created
	return nil
}

// match finds the stored business a row updates: by credit code, else by
// licence number. A code and a licence belonging to two different
// businesses are an error, since writing the row would break one of them.
func (j *businessImport) match(rec record, code, licence string, stored *businessIndex) *Business {
	byCode, byLicence := stored.byCode[code], stored.byLicence[licence]
	if code == "" {
		byCode = nil
	}
	if licence == "" {
		byLicence = nil
	}
	switch {
	case byCode != nil && byLicence != nil && byCode.ID != byLicence.ID,
		byCode == nil && byLicence != nil && code != "" && byLicence.CreditCode != nil:
		j.fail(rec.row, hLicenceNo, rec.cells[bLicenceNo], fmt.Sprintf(msgCodeTaken, byLicence.Name, byLicence.Code()))
		return nil
	case byCode != nil:
		return byCode
	}
	return byLicence
}

// parse reads and checks a row's cells, reporting each bad one. The row
// comes back either way, so the checks against the register still run on
// it and the report lists everything at once.
func (j *businessImport) parse(rec record) *businessRow {
	c := rec.cells
	r := &businessRow{town: c[bTown], village: c[bVillage]}
	r.in = BusinessInput{
		Name: c[bName], CreditCode: c[bCreditCode], LicenceNo: c[bLicenceNo], Address: c[bAddress],
		Principal: c[bPrincipal], PrincipalPhone: c[bPrincipalPhone], Director: c[bDirector], DirectorPhone: c[bDirectorPhone],
		Officer: c[bOfficer], OfficerPhone: c[bOfficerPhone],
		// Check needs a region; the town and village are checked here instead.
		RegionID: -1,
	}
	var ok bool
	if r.in.Category, ok = ParseCategory(c[bCategory]); !ok {
		r.in.Category = Category(c[bCategory])
	}
	if r.in.Grade, ok = ParseGrade(c[bGrade]); !ok {
		r.in.Grade = Grade(c[bGrade])
	}
	reported := map[int]bool{}
	// An unreadable coordinate is reported once; a stand-in keeps Check
	// from adding "both or neither" on top.
	for _, cc := range []struct {
		col   int
		dst   **float64
		stand float64
	}{{bLongitude, &r.in.Longitude, 120}, {bLatitude, &r.in.Latitude, 31}} {
		v, ok := parseCoordinate(c[cc.col])
		if !ok {
			j.fail(rec.row, businessSpec.columns[cc.col].name, c[cc.col], fmt.Sprintf(msgNotNumber, businessSpec.columns[cc.col].name))
			reported[cc.col] = true
			v = &cc.stand
		}
		*cc.dst = v
	}
	if looksScientific(c[bCreditCode]) {
		j.fail(rec.row, hCreditCode, c[bCreditCode], msgScientific)
		reported[bCreditCode] = true
	}
	r.in.Normalize()
	for _, f := range r.in.Check() {
		col, known := businessFieldColumns[f.Field]
		if known && reported[col] {
			continue
		}
		name, value := "", ""
		if known {
			name, value = businessSpec.columns[col].name, c[col]
		}
		j.fail(rec.row, name, value, f.Reason)
	}
	if r.town == "" {
		j.fail(rec.row, hTown, "", fmt.Sprintf(msgRequired, hTown))
	}
	j.checkRegionNames(rec, businessSpec, bTown, bVillage)
	if r.status, ok = ParseStatus(c[bStatus]); !ok {
		j.fail(rec.row, hStatus, c[bStatus], msgBadStatus)
	}
	return r
}

func sameBusiness(b Business, in BusinessInput, regionID int64) bool {
	return b.Name == in.Name && deref(b.CreditCode) == in.CreditCode && deref(b.LicenceNo) == in.LicenceNo &&
		b.Category == in.Category && b.Grade == in.Grade && regionID != 0 && b.RegionID == regionID &&
		b.Address == in.Address && sameCoordinate(b.Latitude, in.Latitude) && sameCoordinate(b.Longitude, in.Longitude) &&
		b.Principal == in.Principal && b.PrincipalPhone == in.PrincipalPhone &&
		b.Director == in.Director && b.DirectorPhone == in.DirectorPhone &&
		b.Officer == in.Officer && b.OfficerPhone == in.OfficerPhone
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// apply writes the plan: regions, changed details, status events, new
// businesses with their assignments, then reassignments. Updates go
// before inserts so a licence number moved from a stored business to a new
// one is free by the time the new one is inserted.
func (j *businessImport) apply(tx *gorm.DB) error {
	if err := j.regions.ensure(tx); err != nil {
		return err
	}
	j.progress(j.rep.Unchanged)
	update, err := prepareUpdate(tx, "businesses", "name", "credit_code", "licence_no", "category", "grade", "region_id", "address",
		"latitude", "longitude", "principal", "principal_phone", "director", "director_phone", "officer", "officer_phone", "updated_at")
	if err != nil {
		return err
	}
	defer update.close()
	for i, r := range j.updates {
		b := *r.old
		r.in.RegionID = j.regions.id(r.town, r.village)
		r.in.apply(&b)
		err := update.exec(b.ID, b.Name, b.CreditCode, b.LicenceNo, string(b.Category), string(b.Grade), b.RegionID, b.Address,
			b.Latitude, b.Longitude, b.Principal, b.PrincipalPhone, b.Director, b.DirectorPhone, b.Officer, b.OfficerPhone, j.now)
		if err != nil {
			return fmt.Errorf("update business %s: %w", b.Code(), err)
		}
		if (i+1)%queryChunk == 0 {
			j.progress(queryChunk)
		}
	}
	j.progress(len(j.updates) % queryChunk)
	for _, r := range j.status {
		if _, err := j.s.ChangeStatusTx(tx, r.old.ID, StatusChange{
			Kind: statusEvent(r.old.Status, r.status), EffectiveOn: j.now, Note: msgImportReason, Actor: j.opt.Actor, Source: SourceImport,
		}); err != nil {
			return fmt.Errorf("change status of %s: %w", r.old.Code(), err)
		}
	}
	err = inChunks(j.creates, func(chunk []*businessRow) error {
		bs := make([]*Business, len(chunk))
		var as []*Assignment
		for i, r := range chunk {
			r.in.RegionID = j.regions.id(r.town, r.village)
			b := &Business{Status: r.status}
			r.in.apply(b)
			bs[i] = b
		}
		if err := j.s.InsertBusinessesTx(tx, bs, j.opt.Actor, SourceImport); err != nil {
			return err
		}
		for i, r := range chunk {
			if r.cadre != nil {
				as = append(as, &Assignment{BusinessID: bs[i].ID, CadreID: r.cadre.ID, StartedAt: j.now, Reason: msgImportReason, Actor: j.opt.Actor})
			}
		}
		if err := j.s.InsertAssignmentsTx(tx, as); err != nil {
			return err
		}
		j.progress(len(chunk))
		return nil
	})
	if err != nil {
		return err
	}
	return j.reassign(tx)
}

// reassign ends the current assignments of the businesses given a new
// cadre, set-based, and starts the new ones.
func (j *businessImport) reassign(tx *gorm.DB) error {
	var ended []int64
	as := make([]*Assignment, 0, len(j.assigns))
	for _, r := range j.assigns {
		if r.oldCadreID != 0 {
			ended = append(ended, r.old.ID)
		}
		as = append(as, &Assignment{BusinessID: r.old.ID, CadreID: r.cadre.ID, StartedAt: j.now, Reason: msgImportReason, Actor: j.opt.Actor})
	}
	if err := endAssignments(tx, ended, j.now); err != nil {
		return err
	}
	return j.s.InsertAssignmentsTx(tx, as)
}

// endAssignments ends the current assignments of many businesses at once.
func endAssignments(tx *gorm.DB, businessIDs []int64, at time.Time) error {
	return inChunks(businessIDs, func(chunk []int64) error {
		err := tx.Model(&Assignment{}).Where("active_business_id IN ?", chunk).
			Updates(map[string]any{"ended_at": at, "active_business_id": nil}).Error
		if err != nil {
			return fmt.Errorf("end assignments: %w", err)
		}
		return nil
	})
}

// statusEvent is the event that takes a business from one status to another.
func statusEvent(from, to Status) EventKind {
	switch {
	case to == StatusDeregistered:
		return EventDeregistered
	case to == StatusSuspended:
		return EventSuspended
	case from == StatusSuspended:
		return EventResumed
	}
	return EventChanged
}

// existing is the region a row's business lies in as far as the tree has
// it before the import: the row's region, else the town a new village is
// made in, else the district a new town is. A cadre covers a region yet to
// be made exactly when they cover this one.
func (p *regionPlan) existing(regionID int64, town string) int64 {
	switch {
	case regionID != 0:
		return regionID
	case p.towns[town] != 0:
		return p.towns[town]
	case p.district != nil:
		return p.district.ID
	}
	return 0
}
