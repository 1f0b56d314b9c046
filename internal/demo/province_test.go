package demo_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/demo"
	"github.com/shianbao/shianbao/internal/registry"
)

// TestProvinceScale runs the province's register (what `seed --scale
// 1000000` draws) at a small scale on every engine, so the code path of
// the big run is covered without it: exact counts, one root province with
// its thirteen cities, a consistent tree (levels, paths, codes), every
// business in a village and packed by a cadre of the right level and
// place.
func TestProvinceScale(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		const n = 2000
		sum := seed(t, d, demo.Options{Seed: 3, Scale: n, Province: true})
		r := load(t, d)
		if len(r.businesses) != n || sum.Businesses != n || sum.Assignments != n {
			t.Fatalf("%d businesses (summary %+v), want %d", len(r.businesses), sum, n)
		}
		if len(r.regions) != sum.Regions || len(r.cadres) != sum.Cadres || len(r.offices) != sum.Offices {
			t.Fatalf("summary %+v, stored %d regions, %d cadres, %d offices", sum, len(r.regions), len(r.cadres), len(r.offices))
		}
		checkTree(t, r)
		byLevel := map[registry.RegionLevel]int{}
		for _, x := range r.regions {
			byLevel[x.Level]++
		}
		if byLevel[registry.LevelProvince] != 1 || byLevel[registry.LevelCity] != 13 || byLevel[registry.LevelDistrict] < 13 {
			t.Fatalf("regions by level %v, want one province, 13 cities and their districts", byLevel)
		}
		prov := r.named(registry.LevelProvince, "江苏省")
		if prov.Code != "320000" || prov.ParentID != nil {
			t.Fatalf("root %+v, want 江苏省 320000", prov)
		}
		if c := r.named(registry.LevelCity, "无锡市"); c.ParentID == nil || *c.ParentID != prov.ID || c.Code != "320200" {
			t.Fatalf("无锡市 %+v, want a child of the province coded 320200", c)
		}
		// Every city has its office and leaders, every village businesses.
		offices := map[int64]bool{}
		for _, o := range r.offices {
			offices[o.RegionID] = true
		}
		leaders := map[int64]int{}
		for _, c := range r.cadres {
			if c.Level == registry.CadreCity {
				leaders[c.RegionID]++
			}
		}
		inVillage := map[int64]int{}
		for _, b := range r.businesses {
			if r.regions[b.RegionID].Level != registry.LevelVillage {
				t.Fatalf("%s registered in %s, not a village", b.Name, r.regions[b.RegionID].Name)
			}
			inVillage[b.RegionID]++
		}
		for _, x := range r.regions {
			switch x.Level {
			case registry.LevelProvince, registry.LevelCity, registry.LevelDistrict, registry.LevelTown:
				if !offices[x.ID] {
					t.Errorf("%s has no office", x.Name)
				}
			case registry.LevelVillage:
				if inVillage[x.ID] == 0 {
					t.Errorf("village %s has no business", x.Name)
				}
			}
		}
		for _, c := range r.cadres {
			if lv := r.regions[c.RegionID].Level; lv != map[registry.CadreLevel]registry.RegionLevel{
				registry.CadreCity: registry.LevelCity, registry.CadreCounty: registry.LevelDistrict,
				registry.CadreTown: registry.LevelTown, registry.CadreVillage: registry.LevelVillage,
			}[c.Level] {
				t.Fatalf("%s cadre %s based at a %s", c.Level, c.Name, lv)
			}
		}
		checkAssigned(t, d, r)
		checkCodes(t, r)
		if ratio := float64(n) / float64(len(r.cadres)); ratio < 6 || ratio > 13 {
			t.Errorf("%.1f businesses per cadre, want about 10", ratio)
		}
	}, registry.Schema)
}

// checkTree checks the region tree is one tree: a single root, each
// child one level below its parent, paths built from the ids, codes
// extending the parent's (a province's 2 digits, a city's 4, a district's
// 6, a town's 9), names distinct among siblings.
func checkTree(t *testing.T, r register) {
	t.Helper()
	below := map[registry.RegionLevel]registry.RegionLevel{
		registry.LevelProvince: registry.LevelCity, registry.LevelCity: registry.LevelDistrict,
		registry.LevelDistrict: registry.LevelTown, registry.LevelTown: registry.LevelVillage,
	}
	prefix := map[registry.RegionLevel]int{
		registry.LevelProvince: 2, registry.LevelCity: 4, registry.LevelDistrict: 6, registry.LevelTown: 9,
	}
	roots := 0
	siblings := map[string]bool{}
	for _, x := range r.regions {
		if x.ParentID == nil {
			roots++
			if x.Path != "/"+strconv.FormatInt(x.ID, 10)+"/" {
				t.Fatalf("root %s has path %q", x.Name, x.Path)
			}
			continue
		}
		p, ok := r.regions[*x.ParentID]
		if !ok {
			t.Fatalf("%s has a missing parent %d", x.Name, *x.ParentID)
		}
		if below[p.Level] != x.Level {
			t.Fatalf("%s (%s) under %s (%s)", x.Name, x.Level, p.Name, p.Level)
		}
		if x.Path != p.Path+strconv.FormatInt(x.ID, 10)+"/" {
			t.Fatalf("%s has path %q under %q", x.Name, x.Path, p.Path)
		}
		if k := prefix[p.Level]; len(x.Code) <= k || !strings.HasPrefix(x.Code, p.Code[:k]) {
			t.Fatalf("%s coded %q under %s coded %q", x.Name, x.Code, p.Name, p.Code)
		}
		key := strconv.FormatInt(p.ID, 10) + "/" + x.Name
		if siblings[key] {
			t.Fatalf("two regions named %s under %s", x.Name, p.Name)
		}
		siblings[key] = true
	}
	if roots != 1 {
		t.Fatalf("%d roots, want 1", roots)
	}
}
