package dialog_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/dialog/dialogtest"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/message"
)

// t0 is a Friday morning in China; every transcript starts there.
var t0 = time.Date(2026, 11, 20, 9, 30, 0, 0, clock.China)

type shop struct{ id, name, category string }

var shops = []shop{
	{"101", "阿明面馆", "catering"},
	{"102", "好又多超市", "sales"},
	{"103", "阳光幼儿园食堂", "canteen"},
}

type item struct{ id, label string }

// itemsFor is the checklist of a category: the four key points for
// caterers and canteens, three for the others.
func itemsFor(category string) []item {
	items := []item{{"hygiene", "场所环境卫生"}, {"health", "人员健康管理"}, {"storage", "采购验收贮存"}}
	if category == "catering" || category == "canteen" {
		items = append(items, item{"clean", "餐饮具清洗消毒"})
	}
	return items
}

// reportFlow is a small supervision report exercising every kind of step,
// When, Multi, Skippable, Validate and a shortcut.
type reportFlow struct {
	mu        sync.Mutex
	submitted []*dialog.Session
	cancelled int
	// failNext makes the next Submit fail: "conflict" or "internal".
	failNext string
	// defaults gives "changed" a default (否): it is not asked.
	defaults bool
}

func (r *reportFlow) flow() *dialog.Flow {
	return &dialog.Flow{
		Name:    "report",
		Noun:    "督导",
		Command: "上报督导",
		Progress: func(s *dialog.Session, step string) string {
			if strings.HasPrefix(step, "item_") {
				return "检查项"
			}
			return ""
		},
		Label: func(s *dialog.Session) string { return s.Get("shop_name") },
		Steps: r.steps,
		Submit: func(ctx context.Context, s *dialog.Session) (dialog.Reply, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			fail := r.failNext
			r.failNext = ""
			switch fail {
			case "conflict":
				return dialog.Reply{}, errs.E(errs.Conflict, "该主体本周期已有一条督导记录，请核对后再提交。")
			case "internal":
				return dialog.Reply{}, errors.New("database is down")
			}
			r.submitted = append(r.submitted, s)
			issues := 0
			for _, it := range itemsFor(s.Get("category")) {
				if v, _ := s.Answer("item_" + it.id); v.Text == "issue" {
					issues++
				}
			}
			return dialog.Reply{
				Text:     fmt.Sprintf("督导记录已提交：%s，发现问题%d项。", s.Get("shop_name"), issues),
				Articles: []message.Article{{Title: "督导记录回执", Description: s.Get("shop_name"), URL: "https://h5.example/visit/1"}},
			}, nil
		},
		Cancelled: func(context.Context, *dialog.Session) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.cancelled++
			return nil
		},
	}
}

func text(s string) func(context.Context, *dialog.Session) (string, error) {
	return func(context.Context, *dialog.Session) (string, error) { return s, nil }
}

func answered(key, want string) func(s *dialog.Session) bool {
	return func(s *dialog.Session) bool { v, ok := s.Answer(key); return ok && v.Text == want }
}

var resultChoices = []dialog.Choice{
	{Key: "ok", Label: "合格", Aliases: []string{"好", "是", "没问题"}},
	{Key: "issue", Label: "有问题", Aliases: []string{"问题", "不合格", "否"}},
	{Key: "na", Label: "不适用", Aliases: []string{"无"}},
}

func (r *reportFlow) steps(_ context.Context, s *dialog.Session) ([]dialog.Step, error) {
	steps := []dialog.Step{
		{
			Key: "shop", Kind: dialog.KindChoice, Prompt: text("请选择要督导的主体："),
			Help: "请回复主体前的编号，或店名中的几个字。",
			Choices: func(context.Context, *dialog.Session) ([]dialog.Choice, error) {
				var cs []dialog.Choice
				for _, sh := range shops {
					cs = append(cs, dialog.Choice{Key: sh.id, Label: sh.name})
				}
				return cs, nil
			},
			Validate: func(_ context.Context, s *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
				for _, sh := range shops {
					if sh.id == v.Text {
						s.Put("shop_name", sh.name)
						s.Put("category", sh.category)
					}
				}
				return v, "", nil
			},
		},
		{
			Key: "mode", Kind: dialog.KindChoice, Prompt: text("请选择督导方式："),
			Choices: func(context.Context, *dialog.Session) ([]dialog.Choice, error) {
				return []dialog.Choice{
					{Key: "onsite", Label: "现场督导", Aliases: []string{"现场"}},
					{Key: "online", Label: "在线督导", Aliases: []string{"在线", "视频"}},
				}, nil
			},
		},
	}
	items := itemsFor(s.Get("category"))
	if s.Get("category") == "" {
		items = nil
	}
	for i, it := range items {
		rest := items[i:]
		steps = append(steps, dialog.Step{
			Key: "item_" + it.id, Kind: dialog.KindChoice,
			Prompt: text(fmt.Sprintf("第%d/%d项：%s\n1. 合格　2. 有问题　3. 不适用\n（回复“全部合格”可将本项及以后各项记为合格）", i+1, len(items), it.label)),
			Choices: func(context.Context, *dialog.Session) ([]dialog.Choice, error) {
				return resultChoices, nil
			},
			Shortcuts: map[string]func(context.Context, *dialog.Session) (string, error){
				"全部合格": func(_ context.Context, s *dialog.Session) (string, error) {
					for _, r := range rest {
						s.Set("item_"+r.id, dialog.Value{Text: "ok"})
					}
					return "", nil
				},
			},
		})
	}
	for _, it := range items {
		issue := answered("item_"+it.id, "issue")
		steps = append(steps,
			dialog.Step{
				Key: "issue_" + it.id, Kind: dialog.KindText, When: issue, Title: "问题描述",
				Prompt: text(fmt.Sprintf("「%s」存在什么问题？请简要描述。", it.label)),
			},
			dialog.Step{
				Key: "photos_" + it.id, Kind: dialog.KindPhoto, Multi: true, Skippable: true, When: issue,
				Prompt: text("请拍摄问题照片，可发送多张，发完后回复“完成”。"),
			},
			dialog.Step{
				Key: "deadline_" + it.id, Kind: dialog.KindDate, Skippable: true, When: issue,
				Prompt: text("整改期限是哪天？回复“跳过”默认7天后。"),
				Validate: func(_ context.Context, _ *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
					today := clock.Date(t0)
					if v.Skipped {
						return dialog.Value{Date: today.AddDate(0, 0, 7)}, "", nil
					}
					if v.Date.Before(today) {
						return v, "整改期限不能早于今天。", nil
					}
					if v.Date.After(today.AddDate(0, 0, 90)) {
						return v, "整改期限不能超过90天。", nil
					}
					return v, "", nil
				},
			},
		)
	}
	onsite := answered("mode", "onsite")
	steps = append(steps,
		dialog.Step{
			Key: "count", Kind: dialog.KindNumber, Prompt: text("现场从业人员有几人？"),
			Validate: func(_ context.Context, _ *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
				if v.Number < 0 || v.Number > 999 || v.Number != float64(int(v.Number)) {
					return v, "人数应为0到999之间的整数。", nil
				}
				return v, "", nil
			},
		},
		dialog.Step{Key: "sign", Kind: dialog.KindPhoto, Skippable: true, When: onsite, Prompt: text("请拍一张门头照片。")},
		dialog.Step{Key: "location", Kind: dialog.KindLocation, When: onsite, Prompt: text("请发送您当前的位置。")},
		dialog.Step{Key: "changed", Kind: dialog.KindYesNo, Prompt: text("经营状态是否有变化（变更、搬迁、停产停业）？"),
			Default: r.defaultChanged()},
		dialog.Step{
			Key: "change_note", Kind: dialog.KindText, When: func(s *dialog.Session) bool { v, _ := s.Answer("changed"); return v.Bool },
			Prompt: text("请说明变化情况。"),
		},
		dialog.Step{Key: "contact", Kind: dialog.KindText, Prompt: text("现场负责人姓名？")},
		dialog.Step{
			Key: "confirm", Kind: dialog.KindYesNo, Prompt: summary,
			// Amendments at the summary jump back to one step.
			Shortcuts: map[string]func(context.Context, *dialog.Session) (string, error){
				"有变化": func(_ context.Context, s *dialog.Session) (string, error) {
					s.Set("changed", dialog.Value{Bool: true})
					return "change_note", nil
				},
				"改负责人": func(context.Context, *dialog.Session) (string, error) { return "contact", nil },
			},
			Validate: func(_ context.Context, _ *dialog.Session, v dialog.Value) (dialog.Value, string, error) {
				if !v.Bool {
					return v, "如需修改，请回复“返回”逐步修改；放弃请回复“取消”。", nil
				}
				return v, "", nil
			},
		},
	)
	return steps, nil
}

func (r *reportFlow) defaultChanged() func(*dialog.Session) dialog.Value {
	if !r.defaults {
		return nil
	}
	return func(*dialog.Session) dialog.Value { return dialog.Value{Bool: false} }
}

func summary(_ context.Context, s *dialog.Session) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "请核对：%s", s.Get("shop_name"))
	for _, it := range itemsFor(s.Get("category")) {
		v, _ := s.Answer("item_" + it.id)
		result := map[string]string{"ok": "合格", "issue": "有问题", "na": "不适用"}[v.Text]
		fmt.Fprintf(&b, "\n· %s：%s", it.label, result)
		if v.Text == "issue" {
			d, _ := s.Answer("issue_" + it.id)
			dl, _ := s.Answer("deadline_" + it.id)
			fmt.Fprintf(&b, "（%s，%s前整改）", d.Text, dl.Date.Format("1月2日"))
		}
	}
	c, _ := s.Answer("contact")
	fmt.Fprintf(&b, "\n· 负责人：%s\n确认提交请回复“确认”。", c.Text)
	return b.String(), nil
}

// env is an engine with a fixed clock, kv sessions and kv drafts.
type env struct {
	t      *testing.T
	clock  *clock.Offset
	kv     kv.Store
	drafts dialog.DraftStore
	flow   *reportFlow
	engine *dialog.Engine
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clk := clock.NewFixed(t0)
	durable := kv.NewMemory()
	t.Cleanup(func() { durable.Close() })
	e := &env{t: t, clock: clk, drafts: dialog.NewKVDrafts(durable, "draft:"), flow: &reportFlow{}}
	e.restart()
	return e
}

// restart is the app closing and starting again: a new engine and an empty
// kv store, the same drafts.
func (e *env) restart() {
	e.t.Helper()
	m := kv.NewMemory()
	e.t.Cleanup(func() { m.Close() })
	e.kv = m
	e.engine = dialog.New(dialog.Options{
		KV: m, Drafts: e.drafts, Clock: e.clock, Interrupt: interrupt,
	}, e.flow.flow())
}

func (e *env) chat(user string) *dialogtest.T {
	c := dialogtest.New(e.t, e.engine, user)
	c.Clock = e.clock
	return c
}

func interrupt(_ context.Context, _ string, text string) (string, bool, error) {
	switch text {
	case "我的任务":
		return "您本季度还有3家未督导：阿明面馆、好又多超市、阳光幼儿园食堂。", true, nil
	case "出错":
		return "", false, errors.New("tasks unavailable")
	}
	return "", false, nil
}
