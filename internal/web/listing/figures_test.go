package listing

import (
	"fmt"
	"testing"

	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
)

// provinceTree is 江苏省 with two cities of one district, each with two
// towns of two villages: ids 1 province, 2–3 cities, 4–5 districts, 6–9
// towns, 10–17 villages.
func provinceTree() *registry.RegionTree {
	rs := []registry.Region{{ID: 1, Level: registry.LevelProvince, Name: "江苏省", Path: "/1/"}}
	add := func(id, parent int64, level registry.RegionLevel, name string) {
		p := rs[0]
		for _, r := range rs {
			if r.ID == parent {
				p = r
			}
		}
		rs = append(rs, registry.Region{ID: id, ParentID: &p.ID, Level: level, Name: name, Path: fmt.Sprintf("%s%d/", p.Path, id)})
	}
	add(2, 1, registry.LevelCity, "无锡市")
	add(3, 1, registry.LevelCity, "苏州市")
	add(4, 2, registry.LevelDistrict, "滨湖区")
	add(5, 3, registry.LevelDistrict, "吴中区")
	for i := range int64(4) {
		add(6+i, 4+i/2, registry.LevelTown, fmt.Sprintf("镇%d", i))
		add(10+2*i, 6+i, registry.LevelVillage, fmt.Sprintf("村%da", i))
		add(11+2*i, 6+i, registry.LevelVillage, fmt.Sprintf("村%db", i))
	}
	return registry.NewRegionTree(rs)
}

// TestAreaLevel: a whole province's figures go by city, a city's and
// anything below by town, as do a city-rooted register's.
func TestAreaLevel(t *testing.T) {
	tree := provinceTree()
	for path, want := range map[string]registry.RegionLevel{
		"": registry.LevelCity, "/1/": registry.LevelCity, "/1/2/": registry.LevelTown, "/1/2/4/6/": registry.LevelTown,
	} {
		if got := AreaLevel(tree, path); got != want {
			t.Errorf("scope %q: by %s, want %s", path, got, want)
		}
	}
	city := registry.NewRegionTree([]registry.Region{{ID: 1, Level: registry.LevelCity, Name: "无锡市", Path: "/1/"}})
	if got := AreaLevel(city, ""); got != registry.LevelTown {
		t.Errorf("a city-rooted register goes by %s, want towns", got)
	}
}

// TestByLevel adds villages up to their cities and towns exactly.
func TestByLevel(t *testing.T) {
	tree := provinceTree()
	var villages []query.CoverageRow
	for id := int64(10); id <= 17; id++ {
		villages = append(villages, query.CoverageRow{ID: id, Name: tree.ByID[id].Name, Due: int(id), Covered: int(id) / 2})
	}
	cities := ByLevel(tree, villages, registry.LevelCity)
	// 无锡市 holds villages 10–13 (due 46, covered 5+5+6+6), 苏州市 14–17 (62, 7+7+8+8).
	if got := fmt.Sprintf("%+v", cities); got != "[{ID:2 Name:无锡市 Due:46 Covered:22 Percent:47.82608695652174} {ID:3 Name:苏州市 Due:62 Covered:30 Percent:48.38709677419355}]" {
		t.Errorf("by city %s", got)
	}
	towns := ByTown(tree, villages)
	if len(towns) != 4 || towns[0].Name != "镇0" || towns[0].Due != 21 || towns[3].Covered != 16 {
		t.Errorf("by town %+v", towns)
	}
}
