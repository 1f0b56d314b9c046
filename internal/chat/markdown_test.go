package chat_test

import (
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/chat"
)

func TestMarkdownText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"阿明面馆", "阿明面馆"},
		{"好又多便利店(马鞍店)", "好又多便利店(马鞍店)"},
		{`**假冒**<font color="warning">[链接](http://x)`, `＊＊假冒＊＊＜font color="warning"＞［链接］(http://x)`},
		{"店名\n# 通知\n> 引用 <@all>", "店名\n＃ 通知\n＞ 引用 ＜@all＞"},
		{"`code`_斜_", "｀code｀＿斜＿"},
	} {
		got := chat.MarkdownText(tc.in)
		if got != tc.want {
			t.Errorf("MarkdownText(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.ContainsAny(got, "*_`[]<>#") {
			t.Errorf("MarkdownText(%q) = %q keeps markup", tc.in, got)
		}
	}
}
