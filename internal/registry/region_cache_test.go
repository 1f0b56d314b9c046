package registry_test

import (
	"context"
	"fmt"
	"testing"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/registry"
)

// TestRegionsOfAProvince: a province-sized tree is kept between calls (as
// rows and as an index), yet
// every call sees a region added since (by this service or another one on
// the same database), and a caller changing its copy changes nobody
// else's.
func TestRegionsOfAProvince(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		svc := registry.NewService(d, registry.Rules{}, nil)
		var district *registry.Region
		err := d.InTx(ctx, func(tx *gorm.DB) error {
			prov, err := svc.InsertRegionTx(tx, nil, registry.LevelProvince, "江苏省", "320000")
			if err != nil {
				return err
			}
			city, err := svc.InsertRegionTx(tx, &prov.ID, registry.LevelCity, "无锡市", "320200")
			if err != nil {
				return err
			}
			if district, err = svc.InsertRegionTx(tx, &city.ID, registry.LevelDistrict, "滨湖区", "320211"); err != nil {
				return err
			}
			for i := range 5000 {
				if _, err := svc.InsertRegionTx(tx, &district.ID, registry.LevelTown, fmt.Sprintf("镇%04d", i), ""); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		rs, err := svc.Regions(ctx)
		if err != nil || len(rs) != 5003 {
			t.Fatalf("%d regions, %v; want 5003", len(rs), err)
		}
		rs[0].Name = "改掉的名字"
		other := registry.NewService(d, registry.Rules{}, nil)
		added, err := other.CreateRegion(ctx, &district.ID, registry.LevelTown, "新设镇", "")
		if err != nil {
			t.Fatal(err)
		}
		rs, err = svc.Regions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 5004 || rs[0].Name != "江苏省" {
			t.Fatalf("%d regions, root %q: want 5004 with the root unchanged", len(rs), rs[0].Name)
		}
		found := false
		for _, r := range rs {
			found = found || (r.ID == added.ID && r.Path == added.Path)
		}
		if !found {
			t.Fatal("the region another service added is missing")
		}
		tree, err := svc.RegionTree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(tree.All) != 5004 || tree.ByID[added.ID].Name != "新设镇" || len(tree.Roots) != 1 {
			t.Fatalf("tree of %d regions, %d roots, added %+v", len(tree.All), len(tree.Roots), tree.ByID[added.ID])
		}
		if _, err := other.CreateRegion(ctx, &district.ID, registry.LevelTown, "再设镇", ""); err != nil {
			t.Fatal(err)
		}
		if tree, err = svc.RegionTree(ctx); err != nil || len(tree.All) != 5005 {
			t.Fatalf("tree after another region: %v", err)
		}
	}, registry.Schema)
}
