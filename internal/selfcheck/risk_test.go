package selfcheck_test

import (
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
)

func riskIDs(rs []selfcheck.Risk) string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return strings.Join(ids, ",")
}

func TestShippedRisks(t *testing.T) {
	rs, err := selfcheck.DefaultRisks()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range registry.Categories {
		list := rs.For(c)
		if len(list) < 8 || len(list) > 15 {
			t.Errorf("%s: %d points: %s", c, len(list), riskIDs(list))
		}
		if !strings.Contains(riskIDs(list), "staff_health") || !strings.Contains(riskIDs(list), "pest_control") {
			t.Errorf("%s lacks the common points: %s", c, riskIDs(list))
		}
	}
	catering, canteen := riskIDs(rs.For(registry.CategoryCatering)), riskIDs(rs.For(registry.CategoryCanteen))
	for _, id := range []string{"sample_retention", "tableware_disinfection", "cold_storage_temp"} {
		if !strings.Contains(catering, id) || !strings.Contains(canteen, id) {
			t.Errorf("%s missing from catering or canteens", id)
		}
	}
	if strings.Contains(catering, "meal_accompany") || !strings.Contains(canteen, "meal_accompany") {
		t.Errorf("canteen-only point misplaced: %s / %s", catering, canteen)
	}
	if sales := riskIDs(rs.For(registry.CategorySales)); !strings.Contains(sales, "expiry_handling") || strings.Contains(sales, "sample_retention") {
		t.Errorf("sales: %s", sales)
	}
}

func TestLoadRisksErrors(t *testing.T) {
	for name, src := range map[string]string{
		"BadID":        "items:\n  - {id: Bad-ID, label: x, categories: [all]}\n",
		"Duplicate":    "items:\n  - {id: a, label: x, categories: [all]}\n  - {id: a, label: y, categories: [all]}\n",
		"NoLabel":      "items:\n  - {id: a, categories: [all]}\n",
		"BadCategory":  "items:\n  - {id: a, label: x, categories: [bakery]}\n",
		"NoCategories": "items:\n  - {id: a, label: x}\n",
		"Uncovered":    "items:\n  - {id: a, label: x, categories: [sales]}\n",
		"UnknownField": "items:\n  - {id: a, label: x, categories: [all], photo: true}\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := selfcheck.LoadRisks([]byte(src)); err == nil {
				t.Fatal("loaded")
			}
		})
	}
}
