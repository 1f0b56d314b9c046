package wechat_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/wechat"
)

func button(name, key string) string {
	return `{"type":"click","name":"` + name + `","key":"` + key + `"}`
}

func menuOf(buttons ...string) json.RawMessage {
	return json.RawMessage(`{"button":[` + strings.Join(buttons, ",") + `]}`)
}

// TestPushMenus: the default menu and one conditional menu per tag reach
// the platform; pushing again replaces the conditional menus rather than
// adding to them; each user sees the menu of the tag MoveTag gave them.
func TestPushMenus(t *testing.T) {
	f, c := setup(t)
	def := menuOf(button("绑定", "BIND"), button("帮助", "HELP"))
	tagged := []wechat.TaggedMenu{
		{Tag: "包保干部", Menu: menuOf(button("我的任务", "MY_TASKS"))},
		{Tag: "食安办", Menu: menuOf(button("进度", "PROGRESS"))},
	}
	for range 2 {
		if err := c.PushMenus(t.Context(), def, tagged); err != nil {
			t.Fatalf("PushMenus: %v", err)
		}
	}
	if n := len(f.CallsTo("/menu/addconditional")); n != 4 {
		t.Errorf("addconditional calls = %d, want 4", n)
	}
	if n := len(f.CallsTo("/menu/delconditional")); n != 2 {
		t.Errorf("delconditional calls = %d, want 2 (the first push's)", n)
	}
	if n := len(f.CallsTo("/tags/create")); n != 2 {
		t.Errorf("tags created = %d, want 2 (once each)", n)
	}

	ours := []string{"包保干部", "食安办", "主体联系人"}
	sees := func(user, key string) {
		t.Helper()
		if m := string(f.MenuFor(user)); !strings.Contains(m, key) {
			t.Errorf("%s sees %s, want the menu with %s", user, m, key)
		}
	}
	sees("o-1", "BIND")
	for _, step := range []struct{ want, key string }{{"包保干部", "MY_TASKS"}, {"食安办", "PROGRESS"}, {"食安办", "PROGRESS"}, {"", "BIND"}} {
		if err := c.MoveTag(t.Context(), "o-1", step.want, ours); err != nil {
			t.Fatalf("MoveTag %q: %v", step.want, err)
		}
		want := []string{step.want}
		if step.want == "" {
			want = nil
		}
		if got := f.UserTags("o-1"); !slices.Equal(got, want) {
			t.Errorf("after moving to %q the user carries %v", step.want, got)
		}
		sees("o-1", step.key)
	}
	sees("o-2", "BIND")

	bad := append(tagged, wechat.TaggedMenu{Tag: "x", Menu: menuOf()})
	if err := c.PushMenus(t.Context(), def, bad); err == nil {
		t.Error("a tag's invalid menu was pushed")
	}
}
