package supervision_test

import (
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

func ids(items []supervision.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func has(items []supervision.Item, id string) bool {
	for _, it := range items {
		if it.ID == id {
			return true
		}
	}
	return false
}

func TestShippedChecklists(t *testing.T) {
	cl, err := supervision.DefaultChecklists()
	if err != nil {
		t.Fatal(err)
	}
	common := []string{"licence_valid", "two_resp_publicity", "safety_staff", "risk_control_list", "daily_weekly_monthly",
		"premises_hygiene", "staff_health", "purchase_inspection", "storage", "training", "prior_rectification", "emergency_plan"}
	catering := []string{"cleaning_disinfection", "raw_cooked_separation", "thorough_cooking", "sample_retention",
		"additive_mgmt", "special_room", "open_kitchen", "kitchen_waste"}
	sales := []string{"label_shelf_life", "bulk_labeling", "expiry_handling", "special_food_zone", "cold_chain_temp", "agri_product_cert", "recall"}
	production := []string{"production_env", "raw_material_check", "process_control", "additive_use", "release_testing",
		"storage_delivery", "nonconforming_recall", "labeling", "traceability"}

	t.Run("Catering", func(t *testing.T) {
		got := ids(cl.For(registry.CategoryCatering))
		if want := append(append([]string{}, common...), catering...); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("For(catering) = %v", got)
		}
	})
	t.Run("CanteenTakesCatering", func(t *testing.T) {
		if got, want := ids(cl.For(registry.CategoryCanteen)), ids(cl.For(registry.CategoryCatering)); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("For(canteen) = %v", got)
		}
	})
	t.Run("Sales", func(t *testing.T) {
		got := cl.For(registry.CategorySales)
		if len(got) != len(common)+len(sales) || has(got, "cleaning_disinfection") || !has(got, "cold_chain_temp") {
			t.Fatalf("For(sales) = %v", ids(got))
		}
	})
	t.Run("Production", func(t *testing.T) {
		got := cl.For(registry.CategoryProduction)
		if len(got) != len(common)+len(production) {
			t.Fatalf("For(production) = %v", ids(got))
		}
		want := map[string]string{"production_env": "生产环境条件", "raw_material_check": "进货查验(原辅料)", "process_control": "生产过程控制",
			"additive_use": "食品添加剂使用", "release_testing": "出厂检验", "storage_delivery": "贮存与交付",
			"nonconforming_recall": "不合格品管理与召回", "labeling": "标签标识", "traceability": "追溯体系"}
		for id, label := range want {
			if it, ok := cl.Item(id); !ok || it.Label != label {
				t.Errorf("%s: %+v", id, it)
			}
		}
	})
	t.Run("Grades", func(t *testing.T) {
		if has(cl.ForGrade(registry.CategorySales, registry.GradeD), "emergency_plan") || !has(cl.ForGrade(registry.CategorySales, registry.GradeA), "emergency_plan") {
			t.Fatal("emergency_plan should apply to A and B only")
		}
	})
	t.Run("Quick", func(t *testing.T) {
		q := cl.Quick()
		var labels []string
		for _, it := range q {
			labels = append(labels, it.LabelFor(supervision.CheckQuick))
		}
		if got := strings.Join(labels, ","); got != "场所环境卫生,人员健康管理,采购验收贮存,清洗消毒" {
			t.Fatalf("quick = %s", got)
		}
		if it, _ := cl.Item("purchase_inspection"); it.LabelFor(supervision.CheckFull) != "采购验收/进货查验(索证索票、台账)" {
			t.Fatalf("full label = %s", it.LabelFor(supervision.CheckFull))
		}
	})
	t.Run("Every", func(t *testing.T) {
		n := 0
		for _, it := range cl.All() {
			if it.Label == "" {
				t.Errorf("%s: no label", it.ID)
			}
			n++
		}
		if n != len(common)+len(catering)+len(sales)+len(production) {
			t.Errorf("%d items", n)
		}
	})
}

func TestLoadChecklistsErrors(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"DuplicateID":     {"items:\n- {id: a, label: A, categories: [all]}\n- {id: a, label: B, categories: [all]}\nquick: [a]\n", "duplicate id"},
		"UnknownCategory": {"items:\n- {id: a, label: A, categories: [bakery]}\nquick: [a]\n", `unknown category "bakery"`},
		"UnknownQuick":    {"items:\n- {id: a, label: A, categories: [all]}\nquick: [b]\n", `unknown item "b"`},
		"NoLabel":         {"items:\n- {id: a, categories: [all]}\nquick: [a]\n", "no label"},
		"BadID":           {"items:\n- {id: A-1, label: A, categories: [all]}\nquick: [A-1]\n", "should be lower-case"},
		"UnknownField":    {"items:\n- {id: a, label: A, categories: [all], photo: true}\nquick: [a]\n", "photo"},
		"NoCategories":    {"items:\n- {id: a, label: A}\nquick: [a]\n", "no categories"},
		"BadGrade":        {"items:\n- {id: a, label: A, categories: [all], grades: [E]}\nquick: [a]\n", "unknown grade"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := supervision.LoadChecklists([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
