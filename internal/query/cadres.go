package query

import (
	"context"
	"fmt"

	"github.com/shianbao/shianbao/internal/db"
)

// inChunks calls fn with ids a thousand at a time, so an IN list stays
// within every database's limits.
func inChunks(ids []int64, fn func([]int64) error) error {
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 1000)]
		ids = ids[len(chunk):]
		if err := fn(chunk); err != nil {
			return err
		}
	}
	return nil
}

// CadreLoads counts the businesses of the region subtree scopePath ("" for
// everything) each cadre packs now. One query per thousand cadres.
func (r *Reader) CadreLoads(ctx context.Context, cadreIDs []int64, scopePath string) (map[int64]int, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, err
	}
	out := make(map[int64]int, len(cadreIDs))
	err := inChunks(cadreIDs, func(chunk []int64) error {
		var rows []struct {
			CadreID int64
			N       int
		}
		q := r.db.Gorm(ctx).Table("assignments a").Select("a.cadre_id, COUNT(*) AS n").
			Where("a.cadre_id IN ? AND a.active_business_id IS NOT NULL", chunk)
		if scopePath != "" {
			q = q.Where("a.business_id IN (SELECT b.id FROM businesses b WHERE "+regionIn("b.region_id")+")", subtreeArg(scopePath))
		}
		if err := q.Group("a.cadre_id").Scan(&rows).Error; err != nil {
			return err
		}
		for _, row := range rows {
			out[row.CadreID] = row.N
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cadre loads: %w", db.Translate(err))
	}
	return out, nil
}

// CadreCoverage reports, for each of the given cadres, this cycle's
// coverage of the operating businesses of the region subtree scopePath
// ("" for everything) they pack now — the figures of Progress's ByCadre,
// for a page of cadres. One query per thousand ids.
func (r *Reader) CadreCoverage(ctx context.Context, cadreIDs []int64, scopePath string) (map[int64]CoverageRow, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, err
	}
	if err := r.rulesOK(); err != nil {
		return nil, err
	}
	out := make(map[int64]CoverageRow, len(cadreIDs))
	cov, cargs := r.coveredSQL(spanOf(r.cycles(r.now())))
	inScope := ""
	if scopePath != "" {
		inScope = " AND " + regionIn("b.region_id")
	}
	err := inChunks(cadreIDs, func(chunk []int64) error {
		var rows []CoverageRow
		args := append(append([]any{}, cargs...), statusOperating, chunk)
		if scopePath != "" {
			args = append(args, subtreeArg(scopePath))
		}
		err := r.db.Gorm(ctx).Raw(`
SELECT a.cadre_id AS id, COUNT(*) AS due, SUM(CASE WHEN `+cov+` THEN 1 ELSE 0 END) AS covered
FROM businesses b JOIN assignments a ON a.active_business_id = b.id
WHERE b.status = ? AND a.cadre_id IN ?`+inScope+`
GROUP BY a.cadre_id`, args...).Scan(&rows).Error
		if err != nil {
			return err
		}
		for _, row := range rows {
			row.percent()
			out[row.ID] = row
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cadre coverage: %w", db.Translate(err))
	}
	return out, nil
}

// ManagerLine is an active manager with the office they work for.
type ManagerLine struct {
	ID         int64
	OfficeID   int64
	Name       string
	Post       string
	OfficeName string
}

// Managers lists the active managers of the offices in a region subtree,
// by office and name. One query.
func (r *Reader) Managers(ctx context.Context, scopePath string) ([]ManagerLine, error) {
	if err := checkScope(scopePath); err != nil {
		return nil, err
	}
	q := r.db.Gorm(ctx).Table("managers m").Select("m.id, m.office_id, m.name, m.post, o.name AS office_name").
		Joins("JOIN offices o ON o.id = m.office_id").Where("m.active = ?", true)
	if scopePath != "" {
		q = q.Where(regionIn("o.region_id"), subtreeArg(scopePath))
	}
	var out []ManagerLine
	if err := q.Order("o.region_id, m.name, m.id").Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("managers in scope: %w", db.Translate(err))
	}
	return out, nil
}
