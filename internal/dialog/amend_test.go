package dialog_test

import (
	"strings"
	"testing"
)

// TestAmendFromSummary: a shortcut at the summary that jumps back to one
// step (a status change, another contact) asks that step — and any step
// that now applies and has no answer — then returns to the summary,
// passing over the answered steps between instead of asking each again.
func TestAmendFromSummary(t *testing.T) {
	e := newEnv(t)
	c := e.chat("u1")
	c.Start("report", nil)
	play(c, happy[:len(happy)-1])
	if !strings.Contains(c.Reply().Text, "请核对") {
		t.Fatalf("not at the summary:\n%s", c.Transcript())
	}

	c.Say("有变化")
	if !strings.Contains(c.Reply().Text, "请说明变化情况") {
		t.Fatalf("有变化 did not ask for the change:\n%s", c.Transcript())
	}
	c.Say("已改为连锁店")
	if got := c.Reply().Text; !strings.Contains(got, "请核对") || !strings.Contains(got, "负责人：王明") {
		t.Fatalf("after the change, not back at the summary with the contact kept:\n%s", c.Transcript())
	}

	c.Say("改负责人")
	if !strings.Contains(c.Reply().Text, "现场负责人") {
		t.Fatalf("改负责人 did not ask for the contact:\n%s", c.Transcript())
	}
	c.Say("李四")
	if got := c.Reply().Text; !strings.Contains(got, "请核对") || !strings.Contains(got, "负责人：李四") {
		t.Fatalf("after the new contact, not back at the summary:\n%s", c.Transcript())
	}

	// 返回 from the summary still walks back one step at a time.
	c.Say("返回")
	if !strings.Contains(c.Reply().Text, "现场负责人") {
		t.Fatalf("返回 from the summary:\n%s", c.Transcript())
	}
	c.Say("不变")
	c.Say("确认")
	if !c.Reply().Done {
		t.Fatalf("not submitted:\n%s", c.Transcript())
	}
	s := e.lastSubmitted()
	if v, _ := s.Answer("change_note"); v.Text != "已改为连锁店" {
		t.Errorf("change_note = %+v", v)
	}
	if v, _ := s.Answer("contact"); v.Text != "李四" {
		t.Errorf("contact = %+v", v)
	}
}
