package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// TestOverdueLabelNamesMissedCycle: an overdue task in 我的任务 names the
// cycle that was missed (the previous one), then what is left of the
// current one — never "本季度，已逾期" with weeks left.
func TestOverdueLabelNamesMissedCycle(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	cadres, _, err := w.reg.FindCadres(ctx, registry.CadreFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var cadre *registry.Cadre
	var late supervision.Task
	for i, c := range cadres {
		tasks, err := w.sup.Tasks(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			if task.Overdue && task.DaysLeft > 0 {
				cadre, late = &cadres[i], task
				break
			}
		}
		if cadre != nil {
			break
		}
	}
	if cadre == nil {
		t.Fatal("no cadre with an overdue task in the demo district")
	}
	w.bind(t, "o-late", account.RoleCadre, cadre.ID)
	r := w.chat(t, "o-late").Say("我的任务")
	var line string
	for _, l := range strings.Split(r.Text, "\n") {
		if strings.Contains(l, late.Name) {
			line = l
		}
	}
	want := late.Cycle.Prev().Label + "未督导，已逾期；" + late.Cycle.Label
	if !strings.Contains(line, want) || strings.Contains(line, late.Cycle.Label+"，已逾期") {
		t.Fatalf("the overdue task reads %q, want it to name %q", line, want)
	}
	if !strings.Contains(r.Text, "其中已逾期") {
		t.Errorf("the header does not count the overdue:\n%s", r.Text)
	}
}
