package registry

import (
	"fmt"

	"gorm.io/gorm"
)

// cadreImport upserts cadres by work phone. A cadre's region is the
// village if given, else the town, else the district; missing towns and
// villages are created.
type cadreImport struct {
	*importWork
	regions *regionPlan
	creates []*cadreRow
	updates []*cadreRow
}

type cadreRow struct {
	in            CadreInput
	town, village string
	old           *Cadre
}

var cadreFieldColumns = map[string]int{"name": cName, "post": cPost, "level": cLevel, "region": cTown, "work_phone": cWorkPhone}

func (j *cadreImport) plan(q *gorm.DB, t *table) error {
	cadres, err := loadCadres(q)
	if err != nil {
		return err
	}
	if j.regions, err = j.s.loadRegionPlan(q); err != nil {
		return err
	}
	seen := map[string]int{}
	for _, rec := range t.records {
		before := j.errorCount()
		phone := NormalizePhone(rec.cells[cWorkPhone])
		if first, dup := seen[phone]; dup && phone != "" {
			j.fail(rec.row, hWorkPhone, rec.cells[cWorkPhone], fmt.Sprintf(msgDuplicateRow, first))
		} else if phone != "" {
			seen[phone] = rec.row
		}
		old := cadres.byPhone[phone]
		if old != nil && !t.complete() {
			// A column the file leaves out keeps its stored value.
			storedCells := cadreCells(*old, j.regions.tree)
			for i := range rec.cells {
				if !t.has(i) {
					rec.cells[i] = storedCells[i]
				}
			}
		}
		c := rec.cells
		r := &cadreRow{town: c[cTown], village: c[cVillage], old: old}
		r.in = CadreInput{Name: c[cName], Post: c[cPost], WorkPhone: c[cWorkPhone], RegionID: -1}
		var ok bool
		if r.in.Level, ok = ParseCadreLevel(c[cLevel]); !ok {
			r.in.Level = CadreLevel(c[cLevel])
		}
		r.in.Normalize()
		for _, f := range r.in.Check() {
			col, known := cadreFieldColumns[f.Field]
			name, value := "", ""
			if known {
				name, value = cadreSpec.columns[col].name, c[col]
			}
			j.fail(rec.row, name, value, f.Reason)
		}
		if !j.checkRegionNames(rec, cadreSpec, cTown, cVillage) {
			continue
		}
		regionID := j.regions.need(r.town, r.village)
		switch {
		case j.errorCount() > before:
		case old == nil:
			j.creates = append(j.creates, r)
			j.rep.Created++
		case old.Name != r.in.Name || old.Post != r.in.Post || old.Level != r.in.Level || regionID == 0 || old.RegionID != regionID || !old.Active:
			j.updates = append(j.updates, r)
			j.rep.Updated++
		default:
			j.rep.Unchanged++
		}
	}
	j.rep.RegionsCreated = j.regions.created
	return nil
}

// apply creates the planned regions, updates changed cadres one by one
// (re-activating a listed cadre who had been deactivated) and inserts new
// ones in batches.
func (j *cadreImport) apply(tx *gorm.DB) error {
	if err := j.regions.ensure(tx); err != nil {
		return err
	}
	j.progress(j.rep.Unchanged)
	for _, r := range j.updates {
		err := tx.Model(&Cadre{}).Where("id = ?", r.old.ID).Updates(map[string]any{
			"name": r.in.Name, "post": r.in.Post, "level": r.in.Level, "region_id": j.regions.id(r.town, r.village),
			"active": true, "updated_at": j.now,
		}).Error
		if err != nil {
			return fmt.Errorf("update cadre %d: %w", r.old.ID, err)
		}
	}
	j.progress(len(j.updates))
	return inChunks(j.creates, func(chunk []*cadreRow) error {
		cs := make([]*Cadre, len(chunk))
		for i, r := range chunk {
			cs[i] = &Cadre{Name: r.in.Name, Post: r.in.Post, Level: r.in.Level, RegionID: j.regions.id(r.town, r.village), WorkPhone: r.in.WorkPhone}
		}
		if err := j.s.InsertCadresTx(tx, cs); err != nil {
			return err
		}
		j.progress(len(chunk))
		return nil
	})
}
