package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
)

// TestFullFormLink: every task list offers the full checklist's H5 page,
// and 全面 N answers with the link for the N-th task — outside a report,
// and in the middle of one, which then goes on where it was.
func TestFullFormLink(t *testing.T) {
	w := openDistrict(t)
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-full", account.RoleCadre, cadre.ID)
	c := w.chat(t, "o-full")
	formOf := func(n int) string { return fmt.Sprintf("/h5/visitform/%d?", tasks[n-1].BusinessID) }

	if r := c.Say("我的任务"); !strings.Contains(r.Text, "回复“全面 序号”获取检查表链接") {
		t.Fatalf("我的任务 does not offer the form:\n%s", r.Text)
	}
	if r := c.Say("全面 1"); !strings.Contains(r.Text, formOf(1)) || !strings.Contains(r.Text, "「"+tasks[0].Name+"」全面检查表") {
		t.Fatalf("全面 1:\n%s", r.Text)
	}
	if r := c.Say("全面"); !strings.Contains(r.Text, "全面 + 序号") {
		t.Fatalf("a bare 全面:\n%s", r.Text)
	}
	if r := c.Say("全面 99"); !strings.Contains(r.Text, "序号") || strings.Contains(r.Text, "/h5/visitform/") {
		t.Fatalf("全面 99:\n%s", r.Text)
	}
	if r := c.Say("上报督导"); !strings.Contains(r.Text, "回复“全面 序号”获取链接") {
		t.Fatalf("the report's business list does not offer the form:\n%s", r.Text)
	}
	if r := c.Say("全面 2"); !strings.Contains(r.Text, formOf(2)) || !strings.Contains(r.Text, "请选择要上报督导的主体") {
		t.Fatalf("全面 2 in the middle of a report:\n%s", r.Text)
	}
	if r := c.Say("1"); !strings.Contains(r.Text, "现场") {
		t.Fatalf("the report did not go on after the link:\n%s", r.Text)
	}
	c.Golden("visit_full_form")
}
