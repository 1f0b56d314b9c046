package wechat_test

import (
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/wechat"
)

// TestMarkdownAnswerIsInert: the group-bot's answer names businesses as
// registered; a name shaped like markup shows as text, and the only link
// is the article's own.
func TestMarkdownAnswerIsInert(t *testing.T) {
	const evil = `**假冒**<font color="warning">[链接](http://x)`
	md := wechat.Markdown(chat.Outbound{
		Text:     "逾期未督导：\n1. " + evil + "\n# 不是标题",
		Articles: []chat.Article{{Title: evil, Description: "<@all> 请查看", URL: "https://sab.example/h5/overdue/1"}},
	})
	for _, markup := range []string{"**", "<font", "[链接]", "<@all>", "\n# "} {
		if strings.Contains(md, markup) {
			t.Errorf("answer carries %q:\n%s", markup, md)
		}
	}
	if strings.Count(md, "](") != 1 || !strings.Contains(md, "](https://sab.example/h5/overdue/1)") {
		t.Errorf("want exactly the article's link:\n%s", md)
	}
	if !strings.Contains(md, chat.MarkdownText(evil)) {
		t.Errorf("the name does not read as registered:\n%s", md)
	}
}
