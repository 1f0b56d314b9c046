package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/bot"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/demo/demotest"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/visitform"
)

// noLock stands in for the per-user chat lock: these tests take turns.
func noLock(context.Context, chat.Channel, string) (func(), error) { return func() {}, nil }

// allOK is a complete online visit: every item 合格.
func allOK(p *visitform.Page) visitform.Form {
	f := visitform.Form{Mode: string(supervision.ModeOnline), Status: visitform.StatusNormal, Items: map[string]visitform.Item{}}
	for _, it := range p.Items {
		f.Items[it.ID] = visitform.Item{Result: string(supervision.ResultOK)}
	}
	return f
}

func TestVisitFormSubmitOnce(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-form", account.RoleCadre, cadre.ID)
	forms := w.bot.VisitForms(noLock)
	who := visitform.Who{Channel: chat.ChannelOA, UserID: "o-form", CadreID: cadre.ID}
	biz := tasks[0].BusinessID

	p, err := forms.Open(ctx, who, biz)
	if err != nil {
		t.Fatal(err)
	}
	if p.Conv != "" || p.Other != "" || len(p.Items) < 10 || p.Business.ID != biz {
		t.Fatalf("a fresh page: conv %q, other %q, %d items", p.Conv, p.Other, len(p.Items))
	}
	done, err := forms.Post(ctx, who, biz, visitform.Request{Form: allOK(p), Submit: true})
	if err != nil {
		t.Fatal(err)
	}
	if done.Done == nil || !strings.Contains(done.Done.Receipt, "督导已提交") || done.Conv == "" {
		t.Fatalf("submit: %+v", done)
	}
	again, err := forms.Post(ctx, who, biz, visitform.Request{Conv: done.Conv, Form: allOK(p), Submit: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.Done == nil || again.Done.VisitID != done.Done.VisitID {
		t.Fatalf("second submit: %+v, want the same visit %d", again.Done, done.Done.VisitID)
	}
	vs, err := w.sup.RecentVisits(ctx, cadre.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range vs {
		if v.BusinessID == biz && v.ID == done.Done.VisitID {
			n++
		}
	}
	if n != 1 || vs[0].ID != done.Done.VisitID {
		t.Errorf("visits %+v: want the one visit on top", vs)
	}

	// The chat hears of it: one confirmation queued for the cadre (a
	// customer-service message in the 48-hour window, not held by quiet
	// hours: the cadre has just submitted), not one per 提交.
	to := notify.Recipient{Kind: notify.ToCadre, ID: cadre.ID}
	sent, _, err := w.outbox.List(ctx, notify.Filter{Kind: supervision.KindVisitConfirmed, Recipient: &to})
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 || sent[0].Channel != notify.ChannelCustom || !sent[0].Urgent || !strings.Contains(sent[0].Text, "网页上填写的督导已收到") ||
		!strings.Contains(sent[0].Text, tasks[0].Name) || !strings.Contains(sent[0].URL, "/h5/visits/") {
		t.Fatalf("confirmations queued: %+v", sent)
	}
	// And the chat knows the business is done this cycle: reporting it
	// again is asked about as an extra visit.
	out, err := w.bot.Handle(ctx, chat.Inbound{Channel: chat.ChannelOA, UserID: "o-form", Kind: chat.KindText, Text: "上报 " + tasks[0].Name, MsgKey: "m-again"})
	if err != nil || !strings.Contains(out.Text, "督导过，仍要再报一次吗") {
		t.Fatalf("上报 the business again after the page: %q, %v", out.Text, err)
	}
}

func TestVisitFormProblems(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-form-p", account.RoleCadre, cadre.ID)
	forms := w.bot.VisitForms(noLock)
	who := visitform.Who{Channel: chat.ChannelOA, UserID: "o-form-p", CadreID: cadre.ID}
	biz := tasks[0].BusinessID
	p, err := forms.Open(ctx, who, biz)
	if err != nil {
		t.Fatal(err)
	}
	first, second := p.Items[0], p.Items[1]
	f := visitform.Form{Mode: "onsite", Status: "relocated", Items: map[string]visitform.Item{
		first.ID:  {Result: "issue", Deadline: "2026-11-01"},
		second.ID: {Result: "maybe"},
	}}
	got, err := forms.Post(ctx, who, biz, visitform.Request{Form: f, Submit: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.Done != nil {
		t.Fatal("an incomplete report was stored")
	}
	texts := map[string]string{}
	for _, pr := range append(got.Problems, got.Missing...) {
		texts[pr.Field] += pr.Text
	}
	want := map[string]string{
		"item-" + second.ID:    "请选择检查结果",
		"deadline-" + first.ID: "不能早于今天",
		"desc-" + first.ID:     "「" + first.Label + "」未填写问题描述",
		"status-note":          "新地址",
	}
	for field, w := range want {
		if !strings.Contains(texts[field], w) {
			t.Errorf("%s: %q, want %q", field, texts[field], w)
		}
	}
	for field, text := range texts {
		if field == "" || strings.Contains(text, "item:") || strings.Contains(text, "issue:") || strings.Contains(text, "%!") {
			t.Errorf("problem %q: %q", field, text)
		}
	}
	// Saved as far as it went: the chat resumes on the same draft.
	again, err := forms.Open(ctx, who, biz)
	if err != nil || again.Conv != got.Conv || again.Form.Items[first.ID].Result != "issue" || again.Form.Status != "relocated" {
		t.Fatalf("reopened: %+v, %v", again, err)
	}
	out, err := w.bot.Handle(ctx, chat.Inbound{Channel: chat.ChannelOA, UserID: "o-form-p", Kind: chat.KindText, Text: "你好", MsgKey: "m-1"})
	if err != nil || !strings.Contains(out.Text, "继续上次「"+p.Business.Name+"」的督导") {
		t.Fatalf("the chat after the page: %q, %v", out.Text, err)
	}
}

func TestVisitFormOtherReport(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-form-o", account.RoleCadre, cadre.ID)
	c := w.chat(t, "o-form-o")
	c.Say("上报督导")
	c.Say("2")
	forms := w.bot.VisitForms(noLock)
	who := visitform.Who{Channel: chat.ChannelOA, UserID: "o-form-o", CadreID: cadre.ID}
	p, err := forms.Open(ctx, who, tasks[0].BusinessID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Other != tasks[1].Name || p.Conv != "" {
		t.Fatalf("other = %q, conv %q; want the chat's report on %s", p.Other, p.Conv, tasks[1].Name)
	}
	kept, err := forms.Post(ctx, who, tasks[0].BusinessID, visitform.Request{Form: allOK(p)})
	if err != nil || kept.Other != tasks[1].Name || kept.Conv != "" {
		t.Fatalf("post without replace: %+v, %v", kept, err)
	}
	if r := c.Say("现场"); !strings.Contains(r.Text, "选择检查内容") {
		t.Fatalf("the chat's report moved on badly: %q", r.Text)
	}
	replaced, err := forms.Post(ctx, who, tasks[0].BusinessID, visitform.Request{Form: allOK(p), Replace: true})
	if err != nil || replaced.Conv == "" || replaced.Other != "" {
		t.Fatalf("post with replace: %+v, %v", replaced, err)
	}
	if r := c.Say("你好"); !strings.Contains(r.Text, tasks[0].Name) {
		t.Fatalf("the chat now holds %q, want %s", r.Text, tasks[0].Name)
	}
}

func TestVisitFormNotYours(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	cadre, _ := w.cadreWithTasks(t)
	forms := w.bot.VisitForms(noLock)
	who := visitform.Who{Channel: chat.ChannelOA, UserID: "o-form-n", CadreID: cadre.ID}
	others := demotest.Businesses(t, w.d, query.BusinessFilter{Limit: 200})
	for _, b := range others {
		if _, err := w.sup.CheckCanReport(ctx, cadre.ID, b.ID); err == nil {
			continue
		}
		if _, err := forms.Open(ctx, who, b.ID); !errs.Is(err, errs.Forbidden) && !errs.Is(err, errs.Invalid) {
			t.Fatalf("Open on %s: %v, want refused", b.Name, err)
		}
		if _, err := forms.Post(ctx, who, b.ID, visitform.Request{Form: visitform.Form{}}); err == nil {
			t.Fatalf("Post on %s accepted", b.Name)
		}
		return
	}
	t.Fatal("no business another cadre packs")
}

var _ bot.UserLock = noLock
