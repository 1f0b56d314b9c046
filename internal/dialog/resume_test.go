package dialog_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/dialog/dialogtest"
	"github.com/shianbao/shianbao/internal/kv"
)

func TestResumeAfterExpiry(t *testing.T) {
	e := newEnv(t)
	c := e.chat("u1")
	c.Start("report", nil)
	play(c, happy[:7]) // one photo received
	e.clock.Advance(31 * time.Minute)
	c.Note("31 分钟后")
	c.Say("在吗")
	c.Say("什么")
	c.Say("1")
	c.Photo("p2")
	c.Say("完成")
	e.clock.Advance(2 * time.Hour)
	c.Note("2 小时后")
	c.Photo("p9")
	c.Say("放弃")
	c.Say("1")
	c.Golden("resume")
	e.wantGone("u1")
}

func TestDraftExpires(t *testing.T) {
	e := newEnv(t)
	c := e.chat("u1")
	c.Start("report", nil)
	play(c, happy[:3])
	e.clock.Advance(6 * 24 * time.Hour)
	if r := c.Say("你好"); !strings.HasPrefix(r.Text, "继续上次「阿明面馆」的督导（检查项）吗？") {
		t.Fatalf("after 6 days: %q", r.Text)
	}
	c.Say("继续")
	e.clock.Advance(7*24*time.Hour + time.Minute)
	if c.Say("你好"); c.Handled() {
		t.Fatalf("draft resumed after 7 days: %+v", c.Reply())
	}
	e.wantGone("u1")
}

func TestNothingToResume(t *testing.T) {
	e := newEnv(t)
	c := e.chat("u1")
	c.Start("report", nil)
	e.clock.Advance(time.Hour)
	if c.Say("1"); c.Handled() {
		t.Fatalf("a session with no answer offered a draft: %+v", c.Reply())
	}
}

func TestResumeWithoutLabel(t *testing.T) {
	clk := clock.NewFixed(t0)
	m := kv.NewMemory()
	t.Cleanup(func() { m.Close() })
	var got string
	note := &dialog.Flow{
		Name: "note",
		Steps: func(context.Context, *dialog.Session) ([]dialog.Step, error) {
			return []dialog.Step{
				{Key: "text", Kind: dialog.KindText, Prompt: text("请输入内容：")},
				{Key: "ok", Kind: dialog.KindYesNo, Prompt: text("确定吗？")},
			}, nil
		},
		Submit: func(_ context.Context, s *dialog.Session) (dialog.Reply, error) {
			v, _ := s.Answer("text")
			got = v.Text
			return dialog.Reply{Text: "好的。"}, nil
		},
	}
	eng := dialog.New(dialog.Options{KV: m, Drafts: dialog.NewKVDrafts(m, "d:"), Clock: clk, SessionTTL: time.Minute}, note)
	c := dialogtest.New(t, eng, "u1")
	c.Clock = clk
	c.Start("note", nil)
	c.Say("一段话")
	clk.Advance(2 * time.Minute)
	if r := c.Say("是"); r.Text != "继续上次的填报吗？回复 1 继续 / 2 放弃" {
		t.Fatalf("resume question: %q", r.Text)
	}
	if r := c.Say("1"); r.Text != "好的，接着上次的填报继续。\n\n确定吗？\n（回复 1 是 / 2 否）" {
		t.Fatalf("resumed: %q", r.Text)
	}
	if r := c.Say("是"); !r.Done || got != "一段话" {
		t.Fatalf("submit: %+v, %q", r, got)
	}
}
