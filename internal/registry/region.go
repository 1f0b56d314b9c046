package registry

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// Region is a node of the administrative tree: (province →) city → district →
// town/street → village/community. Path holds the ids from the root
// ("/1/2/7/") so a subtree is one indexed prefix match; scopes rely on it.
type Region struct {
	ID        int64
	ParentID  *int64
	Level     RegionLevel
	Code      string
	Name      string
	Path      string
	CreatedAt time.Time
}

// Contains reports whether other lies in r's subtree (r included).
func (r Region) Contains(other Region) bool { return strings.HasPrefix(other.Path, r.Path) }

// CreateRegion adds a region under parentID (nil for a root). The level
// must be the one below the parent's.
func (s *Service) CreateRegion(ctx context.Context, parentID *int64, level RegionLevel, name, code string) (*Region, error) {
	var out *Region
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		r, err := s.createRegionTx(tx, parentID, level, name, code)
		out = r
		return err
	})
	return out, err
}

func (s *Service) createRegionTx(tx *gorm.DB, parentID *int64, level RegionLevel, name, code string) (*Region, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, errs.E(errs.Invalid, msgRegionNameEmpty)
	}
	parentPath := "/"
	if parentID != nil {
		var parent Region
		if err := tx.First(&parent, *parentID).Error; err != nil {
			return nil, db.NotFoundAs(err, msgParentNotFound)
		}
		if want := childLevel(parent.Level); want != level {
			return nil, errs.E(errs.Invalid, msgWrongLevel, parent.Name, levelLabel(want))
		}
		parentPath = parent.Path
	}
	r := &Region{ParentID: parentID, Level: level, Name: name, Code: code, CreatedAt: s.now().UTC()}
	if err := tx.Create(r).Error; err != nil {
		if err = db.Translate(err); errs.Is(err, errs.Conflict) {
			return nil, errs.Wrap(errs.Conflict, err, fmt.Sprintf(msgRegionTaken, name))
		}
		return nil, fmt.Errorf("create region: %w", err)
	}
	r.Path = parentPath + strconv.FormatInt(r.ID, 10) + "/"
	if err := tx.Model(r).Update("path", r.Path).Error; err != nil {
		return nil, fmt.Errorf("create region: %w", db.Translate(err))
	}
	return r, nil
}

func childLevel(l RegionLevel) RegionLevel {
	switch l {
	case LevelProvince:
		return LevelCity
	case LevelCity:
		return LevelDistrict
	case LevelDistrict:
		return LevelTown
	case LevelTown:
		return LevelVillage
	}
	return ""
}

func levelLabel(l RegionLevel) string {
	return map[RegionLevel]string{LevelProvince: "省", LevelCity: "市", LevelDistrict: "区(县)", LevelTown: "镇(街道)", LevelVillage: "村(社区)"}[l]
}

// Region returns one region. NotFound if absent.
func (s *Service) Region(ctx context.Context, id int64) (*Region, error) {
	var r Region
	if err := s.db.Gorm(ctx).First(&r, id).Error; err != nil {
		return nil, db.NotFoundAs(err, msgRegionNotFound)
	}
	return &r, nil
}

// Regions returns every region, ordered by path so parents come first.
// The tree is small enough to index in memory (a city has a few thousand
// nodes, a province some forty thousand), but most console pages need it:
// a province's took longer to read on every request than a town manager's
// whole page may, so the last copy read is kept (see regionCache) and
// callers get their own copy of it.
func (s *Service) Regions(ctx context.Context) ([]Region, error) {
	var fp struct{ N, Top int64 }
	if err := s.db.Gorm(ctx).Model(&Region{}).Select("COUNT(*) AS n, COALESCE(MAX(id), 0) AS top").Scan(&fp).Error; err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	if rs, ok := s.regions.get(fp.N, fp.Top); ok {
		return rs, nil
	}
	var rs []Region
	if err := s.db.Gorm(ctx).Order("path").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	s.regions.put(rs)
	return rs, nil
}

// RegionTree returns every region indexed. A province-sized tree is the
// one kept (see regionCache) and shared by every caller, so it must be read
// only: indexing 35,000 regions again was most of a town manager's page
// time at a province's scale.
func (s *Service) RegionTree(ctx context.Context) (*RegionTree, error) {
	var fp struct{ N, Top int64 }
	if err := s.db.Gorm(ctx).Model(&Region{}).Select("COUNT(*) AS n, COALESCE(MAX(id), 0) AS top").Scan(&fp).Error; err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	if t, ok := s.regions.getTree(fp.N, fp.Top); ok {
		return t, nil
	}
	var rs []Region
	if err := s.db.Gorm(ctx).Order("path").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	if t := s.regions.put(rs); t != nil {
		return t, nil
	}
	return NewRegionTree(rs), nil
}

// regionCache keeps a large region tree last read. The service only ever
// adds regions (nothing renames, moves or deletes one, and a region's path
// is set in the transaction that adds it), so the number of rows and the
// highest id tell whether the kept copy is still the table, whichever
// instance added a region. A copy is used for regionKeep at most, so a
// name corrected by hand in the database shows within that; trees under
// regionCacheMin (a district's, a city's) are read every time.
type regionCache struct {
	mu     sync.Mutex
	n, top int64
	at     time.Time
	rs     []Region
	tree   *RegionTree // of its own copy of rs
}

const (
	regionCacheMin = 5000
	regionKeep     = time.Minute
)

func (c *regionCache) get(n, top int64) ([]Region, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n < regionCacheMin || c.rs == nil || c.n != n || c.top != top || time.Since(c.at) > regionKeep {
		return nil, false
	}
	return slices.Clone(c.rs), true
}

func (c *regionCache) getTree(n, top int64) (*RegionTree, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n < regionCacheMin || c.tree == nil || c.n != n || c.top != top || time.Since(c.at) > regionKeep {
		return nil, false
	}
	return c.tree, true
}

// put keeps rs with its own count and highest id (a region added between
// the check and the read makes the next call read again) and returns the
// kept tree; nil when rs is too small to keep.
func (c *regionCache) put(rs []Region) *RegionTree {
	if len(rs) < regionCacheMin {
		return nil
	}
	var top int64
	for _, r := range rs {
		top = max(top, r.ID)
	}
	tree := NewRegionTree(slices.Clone(rs))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n, c.top, c.at, c.rs, c.tree = int64(len(rs)), top, time.Now(), slices.Clone(rs), tree
	return tree
}

// loadRegionTree indexes the whole region tree read through q.
func loadRegionTree(q *gorm.DB) (*RegionTree, error) {
	var rs []Region
	if err := q.Session(&gorm.Session{NewDB: true}).Model(&Region{}).Order("path").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("load regions: %w", err)
	}
	return NewRegionTree(rs), nil
}

// Children returns the direct children of a region, by name.
func (s *Service) Children(ctx context.Context, parentID int64) ([]Region, error) {
	var rs []Region
	if err := s.db.Gorm(ctx).Where("parent_id = ?", parentID).Order("id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("list child regions: %w", err)
	}
	return rs, nil
}

// RegionTree indexes regions for lookups by id and by name under a parent.
type RegionTree struct {
	ByID    map[int64]Region
	byChild map[int64]map[string]Region
	Roots   []Region
	// All is every region as given (by path from Service.RegionTree).
	All []Region
}

// NewRegionTree indexes a list of regions.
func NewRegionTree(rs []Region) *RegionTree {
	t := &RegionTree{ByID: make(map[int64]Region, len(rs)), byChild: map[int64]map[string]Region{}, All: rs}
	for _, r := range rs {
		t.ByID[r.ID] = r
		if r.ParentID == nil {
			t.Roots = append(t.Roots, r)
			continue
		}
		m := t.byChild[*r.ParentID]
		if m == nil {
			m = map[string]Region{}
			t.byChild[*r.ParentID] = m
		}
		m[r.Name] = r
	}
	return t
}

// Child finds a child of parent by name.
func (t *RegionTree) Child(parentID int64, name string) (Region, bool) {
	r, ok := t.byChild[parentID][name]
	return r, ok
}

// Ancestor returns the region at the given level on r's path (r itself if it is at that level).
func (t *RegionTree) Ancestor(r Region, level RegionLevel) (Region, bool) {
	for {
		if r.Level == level {
			return r, true
		}
		if r.ParentID == nil {
			return Region{}, false
		}
		p, ok := t.ByID[*r.ParentID]
		if !ok {
			return Region{}, false
		}
		r = p
	}
}

// Town and Village name the town and village a region lies in ("" where none).
func (t *RegionTree) TownVillage(regionID int64) (town, village string) {
	r, ok := t.ByID[regionID]
	if !ok {
		return "", ""
	}
	if v, ok := t.Ancestor(r, LevelVillage); ok {
		village = v.Name
	}
	if tw, ok := t.Ancestor(r, LevelTown); ok {
		town = tw.Name
	}
	return town, village
}

// TownOrSelf is the town a region lies in, or the region itself above the
// town level: the unit a relocation stays within or leaves.
func (t *RegionTree) TownOrSelf(regionID int64) Region {
	r := t.ByID[regionID]
	if town, ok := t.Ancestor(r, LevelTown); ok {
		return town
	}
	return r
}

// Place names where a region lies for people: its town and village
// ("蠡湖街道湖光社区"), or its own name above the town level.
func (t *RegionTree) Place(r Region) string {
	town, village := t.TownVillage(r.ID)
	if town == "" {
		return r.Name
	}
	return town + village
}

// Descendants lists the regions in r's subtree (r included).
func (t *RegionTree) Descendants(r Region) []Region {
	var out []Region
	for _, x := range t.ByID {
		if r.Contains(x) {
			out = append(out, x)
		}
	}
	return out
}
