package registry

import (
	"context"
	"fmt"
	"io"

	"gorm.io/gorm"
)

// exportBatch is how many rows an export reads at a time: memory stays flat
// for a city's register, and the cadres and assignments of a batch are
// fetched with one query each.
const exportBatch = 1000

// Export writes a table with exactly the columns Import reads, in the same
// order, so an export can be edited and imported back. Businesses carry
// their current cadre; cadres are the active ones; assignments are the
// current ones. scopePath ("" for everything) limits the rows to a region
// subtree (a Region.Path). CSV is UTF-8 with a BOM so Excel shows the
// Chinese; XLSX is one sheet. Invalid for an unknown kind or format.
func (s *Service) Export(ctx context.Context, kind Kind, format Format, w io.Writer, scopePath string) error {
	spec, err := specOf(kind)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	regions, err := s.Regions(ctx)
	if err != nil {
		return fmt.Errorf("export %s: %w", kind, err)
	}
	tree := NewRegionTree(regions)
	tw, err := newTableWriter(format, w, spec)
	if err != nil {
		return fmt.Errorf("export %s: %w", kind, err)
	}
	switch kind {
	case KindBusinesses:
		err = s.exportBusinesses(ctx, tw, tree, scopePath)
	case KindCadres:
		err = s.exportCadres(ctx, tw, tree, scopePath)
	case KindAssignments:
		err = s.exportAssignments(ctx, tw, scopePath)
	}
	if err != nil {
		tw.abort()
		return fmt.Errorf("export %s: %w", kind, err)
	}
	if err := tw.close(); err != nil {
		return fmt.Errorf("export %s: %w", kind, err)
	}
	return nil
}

// inScope limits q's region_id column to a region subtree.
func (s *Service) inScope(ctx context.Context, q *gorm.DB, column, scopePath string) *gorm.DB {
	if scopePath == "" {
		return q
	}
	return q.Where(column+" IN (?)", s.db.Gorm(ctx).Model(&Region{}).Select("id").Where("path LIKE ?", escapeLike(scopePath)+"%"))
}

func (s *Service) exportBusinesses(ctx context.Context, tw tableWriter, tree *RegionTree, scopePath string) error {
	var batch []Business
	q := s.inScope(ctx, s.db.Gorm(ctx).Model(&Business{}), "region_id", scopePath)
	return q.FindInBatches(&batch, exportBatch, func(*gorm.DB, int) error {
		ids := make([]int64, len(batch))
		for i, b := range batch {
			ids[i] = b.ID
		}
		var as []Assignment
		if err := s.db.Gorm(ctx).Select("business_id", "cadre_id").Where("active_business_id IN ?", ids).Find(&as).Error; err != nil {
			return fmt.Errorf("load assignments: %w", err)
		}
		cadreIDs := make([]int64, 0, len(as))
		for _, a := range as {
			cadreIDs = append(cadreIDs, a.CadreID)
		}
		cadres, err := s.cadresByID(ctx, cadreIDs)
		if err != nil {
			return err
		}
		cadreOf := make(map[int64]*Cadre, len(as))
		for _, a := range as {
			cadreOf[a.BusinessID] = cadres[a.CadreID]
		}
		for _, b := range batch {
			if err := tw.write(businessCells(b, tree, cadreOf[b.ID])); err != nil {
				return err
			}
		}
		return nil
	}).Error
}

func (s *Service) exportCadres(ctx context.Context, tw tableWriter, tree *RegionTree, scopePath string) error {
	var batch []Cadre
	q := s.inScope(ctx, s.db.Gorm(ctx).Model(&Cadre{}).Where("active = ?", true), "region_id", scopePath)
	return q.FindInBatches(&batch, exportBatch, func(*gorm.DB, int) error {
		for _, c := range batch {
			if err := tw.write(cadreCells(c, tree)); err != nil {
				return err
			}
		}
		return nil
	}).Error
}

func (s *Service) exportAssignments(ctx context.Context, tw tableWriter, scopePath string) error {
	var batch []Assignment
	q := s.db.Gorm(ctx).Model(&Assignment{}).Where("active_business_id IS NOT NULL")
	if scopePath != "" {
		q = q.Where("business_id IN (?)", s.inScope(ctx, s.db.Gorm(ctx).Model(&Business{}).Select("id"), "region_id", scopePath))
	}
	return q.FindInBatches(&batch, exportBatch, func(*gorm.DB, int) error {
		ids := make([]int64, len(batch))
		cadreIDs := make([]int64, len(batch))
		for i, a := range batch {
			ids[i], cadreIDs[i] = a.BusinessID, a.CadreID
		}
		var bs []Business
		if err := s.db.Gorm(ctx).Where("id IN ?", ids).Find(&bs).Error; err != nil {
			return fmt.Errorf("load businesses: %w", err)
		}
		byID := make(map[int64]Business, len(bs))
		for _, b := range bs {
			byID[b.ID] = b
		}
		cadres, err := s.cadresByID(ctx, cadreIDs)
		if err != nil {
			return err
		}
		for _, a := range batch {
			b, ok := byID[a.BusinessID]
			c := cadres[a.CadreID]
			if !ok || c == nil {
				continue
			}
			if err := tw.write(assignmentCells(b, *c, a)); err != nil {
				return err
			}
		}
		return nil
	}).Error
}

func (s *Service) cadresByID(ctx context.Context, ids []int64) (map[int64]*Cadre, error) {
	out := make(map[int64]*Cadre, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var cs []*Cadre
	if err := s.db.Gorm(ctx).Where("id IN ?", ids).Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("load cadres: %w", err)
	}
	for _, c := range cs {
		out[c.ID] = c
	}
	return out, nil
}

// businessCells is a business as a row of the businesses table. Import
// uses it too, to fill the columns a file leaves out.
func businessCells(b Business, tree *RegionTree, c *Cadre) []string {
	town, village := tree.TownVillage(b.RegionID)
	row := make([]string, bColumns)
	row[bName] = b.Name
	row[bCreditCode] = deref(b.CreditCode)
	row[bLicenceNo] = deref(b.LicenceNo)
	row[bCategory] = b.Category.Label()
	row[bGrade] = string(b.Grade)
	row[bTown], row[bVillage] = town, village
	row[bAddress] = b.Address
	row[bLongitude], row[bLatitude] = formatCoordinate(b.Longitude), formatCoordinate(b.Latitude)
	row[bPrincipal], row[bPrincipalPhone] = b.Principal, b.PrincipalPhone
	row[bDirector], row[bDirectorPhone] = b.Director, b.DirectorPhone
	row[bOfficer], row[bOfficerPhone] = b.Officer, b.OfficerPhone
	row[bStatus] = statusCells[b.Status]
	if c != nil {
		row[bCadre], row[bCadrePhone] = c.Name, c.WorkPhone
	}
	return row
}

// cadreCells is a cadre as a row of the cadres table.
func cadreCells(c Cadre, tree *RegionTree) []string {
	town, village := tree.TownVillage(c.RegionID)
	row := make([]string, cColumns)
	row[cName], row[cPost], row[cLevel] = c.Name, c.Post, c.Level.Label()
	row[cTown], row[cVillage] = town, village
	row[cWorkPhone] = c.WorkPhone
	return row
}

// assignmentCells is a current assignment as a row of the assignments table.
func assignmentCells(b Business, c Cadre, a Assignment) []string {
	row := make([]string, aColumns)
	row[aCreditCode], row[aLicenceNo], row[aName] = deref(b.CreditCode), deref(b.LicenceNo), b.Name
	row[aCadre], row[aCadrePhone] = c.Name, c.WorkPhone
	row[aStartDate] = formatDate(a.StartedAt)
	return row
}
