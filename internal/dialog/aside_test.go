package dialog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/kv"
)

// commands is the engine's command table in these tests: 上报督导 (and
// 上报 with more words) starts the report, 整改跟踪 another flow.
func commands(text string) (string, bool) {
	switch {
	case text == "上报督导" || strings.HasPrefix(text, "上报 "):
		return "report", true
	case text == "整改跟踪":
		return "recheck", true
	}
	return "", false
}

func recheckFlow() *dialog.Flow {
	return &dialog.Flow{
		Name: "recheck", Noun: "整改复查", Command: "整改跟踪",
		Steps: func(context.Context, *dialog.Session) ([]dialog.Step, error) {
			return []dialog.Step{
				{Key: "note", Kind: dialog.KindText, Prompt: text("复查情况？")},
				{Key: "ok", Kind: dialog.KindYesNo, Prompt: text("提交吗？")},
			}, nil
		},
		Submit: func(context.Context, *dialog.Session) (dialog.Reply, error) {
			return dialog.Reply{Text: "已记录复查。"}, nil
		},
	}
}

func asideEnv(t *testing.T, withDrafts bool) *env {
	t.Helper()
	e := newEnv(t)
	e.flow.defaults = true
	m := kv.NewMemory()
	t.Cleanup(func() { m.Close() })
	var drafts dialog.DraftStore
	if withDrafts {
		drafts = e.drafts
	}
	e.kv = m
	e.engine = dialog.New(dialog.Options{KV: m, Drafts: drafts, Clock: e.clock, Interrupt: interrupt, Command: commands},
		e.flow.flow(), recheckFlow())
	return e
}

// TestNothingLostByCommands walks the ways a command typed mid-flow is
// answered without losing the report: the same flow's command offers to
// continue, another flow's asks whether to switch, switching puts the
// report aside, and the flow's command continues it — with or without a
// draft store.
func TestNothingLostByCommands(t *testing.T) {
	for _, drafts := range []bool{true, false} {
		e := asideEnv(t, drafts)
		c := e.chat("u1")
		c.Start("report", nil)
		c.Say("阿明")
		c.Tap("现场督导")
		c.Say("整改跟踪") // a choice step: 否 asks the item again
		c.Tap("否")
		c.Say("上报督导")
		c.Tap("继续")
		c.Tap("有问题")
		c.Say("全部合格")
		c.Say("整改跟踪") // a free-text step: 否 takes the words as the answer
		c.Say("2")
		c.Say("返回")
		c.Say("整改跟踪")
		c.Tap("是")
		if r := c.Reply(); r.Then != "整改跟踪" {
			t.Fatalf("switching does not hand the command back: %+v", r)
		}
		c.Start("recheck", nil)
		c.Say("已整改")
		c.Offer("report", "上报督导")
		c.Tap("继续")
		c.Say("冷库温度过高")
		c.Say("完成")
		c.Say("跳过")
		c.Say("3")
		c.Say("跳过")
		c.Location(31.5207, 120.1879, "无锡市滨湖区胡埭镇")
		c.Say("王明")
		c.Say("确认")
		if r := c.Reply(); !r.Done {
			t.Fatalf("the report set aside did not submit: %+v\n%s", r, c.Transcript())
		}
		s := e.lastSubmitted()
		if v, _ := s.Answer("issue_hygiene"); v.Text != "冷库温度过高" {
			t.Fatalf("issue_hygiene = %+v", v)
		}
		if v, ok := s.Answer("changed"); !ok || v.Bool {
			t.Fatalf("changed (a default, not asked) = %+v %v", v, ok)
		}
		c.Offer("recheck", "整改跟踪")
		c.Tap("重新开始")
		if drafts {
			c.Golden("aside")
		}
	}
}

// TestParkAfterFailures: three failed answers offer help and a way out,
// five put the report aside with how to continue it.
func TestParkAfterFailures(t *testing.T) {
	e := asideEnv(t, true)
	c := e.chat("u1")
	c.Start("report", nil)
	c.Say("阿明")
	for range 5 {
		c.Say("飞过去")
	}
	c.Say("在吗")
	c.Offer("report", "上报督导")
	c.Tap("继续")
	c.Tap("现场督导")
	c.Say("暂存")
	c.Offer("report", "上报督导")
	c.Tap("重新开始")
	c.Golden("park")
}

// TestStartWithAnswers: what the user said at the start is not asked
// again, a default is not asked at all, and 返回 still reaches both.
func TestStartWithAnswers(t *testing.T) {
	e := asideEnv(t, true)
	c := e.chat("u1")
	r, err := e.engine.StartWith(context.Background(), "u1", "report", nil, dialog.Input{ID: "start"}, map[string]dialog.Value{
		"shop": {Text: "101"}, "mode": {Text: "onsite"}, "item_hygiene": {Text: "ok"}, "item_health": {Text: "ok"},
		"item_storage": {Text: "ok"}, "item_clean": {Text: "ok"}, "count": {Number: 1000},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Text, "人数应为0到999之间的整数。") {
		t.Fatalf("a given answer that fails its check is asked with the reason: %q", r.Text)
	}
	c.Say("2")
	c.Photo("sign1")
	c.Location(31.5207, 120.1879, "无锡市滨湖区胡埭镇")
	c.Say("返回")
	c.Say("不变")
	c.Say("王明")
	c.Say("确认")
	c.Golden("start_with_answers")
	if n := c.Actions(); n != 7 {
		t.Fatalf("%d actions", n)
	}
	s := e.lastSubmitted()
	if s.Get("shop_name") != "阿明面馆" {
		t.Fatalf("the shop's Validate did not run on the given answer: %v", s.Data)
	}
}
