package query

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// PledgeFilter selects who must sign a pledge (承诺书) — active cadres
// packing at least one business, and operating businesses — and whether
// they have, on the current basis the pledge feature gives (Year and each
// kind's text version; a business's pledge must also name its current
// assignment).
type PledgeFilter struct {
	ScopePath string
	// Kind is "cadre", "business" or "" for both.
	Kind string
	// Status is PledgesSigned, PledgesUnsigned or "" for both.
	Status string
	// RegionID narrows to a town or village (within ScopePath).
	RegionID int64
	// CadreID narrows to a cadre: its own pledge and its businesses'.
	CadreID         int64
	Year            int
	CadreVersion    string
	BusinessVersion string
	Limit, Offset   int
}

// The statuses a pledge filter may name.
const (
	PledgesSigned   = "signed"
	PledgesUnsigned = "unsigned"
)

// PledgeLine is one subject that must sign, with its pledge on the
// current basis when it has signed (PledgeID non-nil).
type PledgeLine struct {
	Kind       string
	SubjectID  int64
	Name       string
	RegionID   int64
	Village    string
	CadreID    int64
	Cadre      string
	PledgeID   *int64
	SignedAt   *time.Time
	SignerName string
	Method     string
}

// Signed reports whether the line has its pledge.
func (l PledgeLine) Signed() bool { return l.PledgeID != nil }

// pledgeSubjects is the union of everyone who must sign with their
// current pledge, and its arguments, filtered as f says.
func (r *Reader) pledgeSubjects(ctx context.Context, f PledgeFilter) (string, []any, error) {
	switch f.Kind {
	case "", "cadre", "business":
	default:
		return "", nil, errs.E(errs.Invalid, msgBadPledgeKind)
	}
	switch f.Status {
	case "", PledgesSigned, PledgesUnsigned:
	default:
		return "", nil, errs.E(errs.Invalid, msgBadPledgeStatus)
	}
	var parts []string
	var args []any
	if f.Kind != "business" {
		parts = append(parts, `
SELECT 'cadre' AS kind, c.id AS subject_id, c.name AS name, c.region_id AS region_id, rg.name AS village, rg.path AS path,
	c.id AS cadre_id, c.name AS cadre, p.id AS pledge_id, p.signed_at AS signed_at, p.signer_name AS signer_name, p.method AS method
FROM cadres c JOIN regions rg ON rg.id = c.region_id
LEFT JOIN pledges p ON p.kind = 'cadre' AND p.subject_id = c.id AND p.year = ? AND p.version = ?
WHERE c.active = ? AND EXISTS (SELECT 1 FROM assignments a WHERE a.cadre_id = c.id AND a.active_business_id IS NOT NULL)`)
		args = append(args, f.Year, f.CadreVersion, true)
	}
	if f.Kind != "cadre" {
		parts = append(parts, `
SELECT 'business' AS kind, b.id AS subject_id, b.name AS name, b.region_id AS region_id, rg.name AS village, rg.path AS path,
	COALESCE(a.cadre_id, 0) AS cadre_id, COALESCE(c.name, '') AS cadre, p.id AS pledge_id, p.signed_at AS signed_at,
	p.signer_name AS signer_name, p.method AS method
FROM businesses b JOIN regions rg ON rg.id = b.region_id
LEFT JOIN assignments a ON a.active_business_id = b.id
LEFT JOIN cadres c ON c.id = a.cadre_id
LEFT JOIN pledges p ON p.kind = 'business' AND p.subject_id = b.id AND p.year = ? AND p.version = ? AND p.assignment_id = COALESCE(a.id, 0)
WHERE b.status = 'operating'`)
		args = append(args, f.Year, f.BusinessVersion)
	}
	var where []string
	if f.ScopePath != "" {
		where = append(where, subtree("x.path"))
		args = append(args, subtreeArg(f.ScopePath))
	}
	if f.RegionID != 0 {
		var paths []string
		if err := r.db.Gorm(ctx).Table("regions").Where("id = ?", f.RegionID).Pluck("path", &paths).Error; err != nil {
			return "", nil, fmt.Errorf("pledge region: %w", err)
		}
		if len(paths) == 0 || !strings.HasPrefix(paths[0], f.ScopePath) {
			return "", nil, errs.E(errs.NotFound, msgPledgeRegion)
		}
		where = append(where, subtree("x.path"))
		args = append(args, subtreeArg(paths[0]))
	}
	if f.CadreID != 0 {
		where = append(where, "x.cadre_id = ?")
		args = append(args, f.CadreID)
	}
	switch f.Status {
	case PledgesSigned:
		where = append(where, "x.pledge_id IS NOT NULL")
	case PledgesUnsigned:
		where = append(where, "x.pledge_id IS NULL")
	}
	sql := "SELECT x.* FROM (" + strings.Join(parts, "\nUNION ALL\n") + ") x"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	return sql, args, nil
}

const pledgeColumns = "kind, subject_id, name, region_id, village, cadre_id, cadre, pledge_id, signed_at, signer_name, method"

// Pledges lists one page of who must sign, cadres first, then by village
// and name, with the total. Two queries. Invalid for an unknown kind or
// status; NotFound for a region outside the scope.
func (r *Reader) Pledges(ctx context.Context, f PledgeFilter) ([]PledgeLine, int64, error) {
	sql, args, err := r.pledgeSubjects(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	g := r.db.Gorm(ctx)
	var total int64
	if err := g.Raw("SELECT COUNT(*) FROM ("+sql+") n", args...).Scan(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count pledges: %w", db.Translate(err))
	}
	var rows []PledgeLine
	q := "SELECT " + pledgeColumns + " FROM (" + sql + ") s ORDER BY kind DESC, village, name, subject_id LIMIT ? OFFSET ?"
	if err := g.Raw(q, append(args, pageLimit(f.Limit, 50, 1000), max(f.Offset, 0))...).Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list pledges: %w", db.Translate(err))
	}
	return rows, total, nil
}

// EachPledge calls fn with every line f selects, a thousand at a time, in
// the list's order: the export.
func (r *Reader) EachPledge(ctx context.Context, f PledgeFilter, fn func([]PledgeLine) error) error {
	for off := 0; ; off += 1000 {
		f.Limit, f.Offset = 1000, off
		rows, _, err := r.Pledges(ctx, f)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		if err := fn(rows); err != nil {
			return err
		}
	}
}

// PledgeCount is who must sign in one village (or under one cadre), and
// how many have.
type PledgeCount struct {
	ID                           int64
	Name                         string
	Cadres, CadresSigned         int
	Businesses, BusinessesSigned int
}

// PledgeFigures counts who must sign and who has, by region (the
// subjects' own: villages, and towns for town-level cadres) and by cadre
// (its own pledge and its businesses'), in name order. Two queries.
func (r *Reader) PledgeFigures(ctx context.Context, f PledgeFilter) (byRegion, byCadre []PledgeCount, err error) {
	f.Status = ""
	sql, args, err := r.pledgeSubjects(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	count := `
SUM(CASE WHEN kind = 'cadre' THEN 1 ELSE 0 END) AS cadres,
SUM(CASE WHEN kind = 'cadre' AND pledge_id IS NOT NULL THEN 1 ELSE 0 END) AS cadres_signed,
SUM(CASE WHEN kind = 'business' THEN 1 ELSE 0 END) AS businesses,
SUM(CASE WHEN kind = 'business' AND pledge_id IS NOT NULL THEN 1 ELSE 0 END) AS businesses_signed`
	g := r.db.Gorm(ctx)
	if err := g.Raw("SELECT region_id AS id, village AS name,"+count+" FROM ("+sql+") s GROUP BY region_id, village ORDER BY village, region_id", args...).
		Scan(&byRegion).Error; err != nil {
		return nil, nil, fmt.Errorf("pledges by region: %w", db.Translate(err))
	}
	if err := g.Raw("SELECT cadre_id AS id, cadre AS name,"+count+" FROM ("+sql+") s WHERE cadre_id <> 0 GROUP BY cadre_id, cadre ORDER BY cadre, cadre_id", args...).
		Scan(&byCadre).Error; err != nil {
		return nil, nil, fmt.Errorf("pledges by cadre: %w", db.Translate(err))
	}
	return byRegion, byCadre, nil
}

// PledgeInScope returns NotFound unless the pledge's subject lies in the
// scope's subtree (a cadre's or business's pledge, by the region it was
// signed under).
func (r *Reader) PledgeInScope(ctx context.Context, id int64, scopePath string) error {
	q := r.db.Gorm(ctx).Table("pledges p").Joins("JOIN regions rg ON rg.id = p.region_id").Where("p.id = ?", id)
	if scopePath != "" {
		q = q.Where(subtree("rg.path"), subtreeArg(scopePath))
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return fmt.Errorf("pledge in scope: %w", db.Translate(err))
	}
	if n == 0 {
		return errs.E(errs.NotFound, msgPledgeNotFound)
	}
	return nil
}
