package reminder_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/reminder"
)

// TestRobotMarkdownIsInert: names from the register go into the contact
// group's markdown as text. A business named to look like markup neither
// bolds, colours nor links in the group; the managers' own copy (plain
// text) keeps the name as registered.
func TestRobotMarkdownIsInert(t *testing.T) {
	w := newDistrict(t, demoDistrict.OpenSQLite(t))
	ctx := context.Background()
	const evil = `**假冒**<font color="warning">[链接](http://x)`
	const evilVillage = `村<font color="info">#1</font>`
	town := mustTown(t, w.reg, "胡埭镇")
	w.clk.Set(china(2027, 1, 4, 9, 0))
	items, err := w.read.Overdue(ctx, town.Path)
	if err != nil || len(items) == 0 {
		t.Fatalf("no overdue business in 胡埭镇: %v", err)
	}
	gorm := w.d.Gorm(ctx)
	if err := gorm.Table("businesses").Where("id = ?", items[0].BusinessID).Update("name", evil).Error; err != nil {
		t.Fatal(err)
	}
	if err := gorm.Table("regions").Where("id = ?", items[0].VillageID).Update("name", evilVillage).Error; err != nil {
		t.Fatal(err)
	}
	markup := []string{"**假冒**", "<font", "[链接]", "#1"}

	var group, manager *notify.Message
	for _, n := range kinds(w.notices(t, china(2027, 1, 4, 9, 0)), reminder.KindEscalation) {
		m := n.Message
		if !strings.Contains(m.Text, "假冒") {
			continue
		}
		switch m.To.Kind {
		case notify.ToGroup:
			group = &m
		case notify.ToManager:
			manager = &m
		}
	}
	if group == nil || manager == nil {
		t.Fatal("no escalation to 胡埭镇's group and managers naming the business")
	}
	for _, s := range markup {
		if strings.Contains(group.Text, s) {
			t.Errorf("the group's markdown carries %q from a name:\n%s", s, group.Text)
		}
	}
	if !strings.Contains(group.Text, chat.MarkdownText(evil)) {
		t.Errorf("the group's markdown lost the business's name:\n%s", group.Text)
	}
	if !strings.Contains(manager.Text, evil) {
		t.Errorf("the managers' plain text altered the business's name:\n%s", manager.Text)
	}

	weekly := kinds(w.notices(t, china(2026, 12, 21, 9, 0)), reminder.KindWeekly)
	found := false
	for _, n := range weekly {
		if n.Message.To.Group != "胡埭" {
			continue
		}
		found = true
		if strings.Contains(n.Message.Text, "<font") || !strings.Contains(n.Message.Text, chat.MarkdownText(evilVillage)) {
			t.Errorf("weekly digest:\n%s", n.Message.Text)
		}
	}
	if !found {
		t.Fatal("no weekly digest to 胡埭")
	}
}

func mustTown(t *testing.T, reg *registry.Service, name string) registry.Region {
	t.Helper()
	rs, err := reg.Regions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no region %s", name)
	return registry.Region{}
}
