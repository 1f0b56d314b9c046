package dialog_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/dialog"
)

func val(text string) *dialog.Value { return &dialog.Value{Text: text} }

func day(s string) *dialog.Value {
	d, err := time.ParseInLocation(time.DateOnly, s, t0.Location())
	if err != nil {
		panic(err)
	}
	return &dialog.Value{Date: d}
}

// pageAnswers is what a form would post for 阿明面馆: one issue, its
// photo, and everything but the deadline, the location and the contact.
func pageAnswers() map[string]*dialog.Value {
	return map[string]*dialog.Value{
		"shop": val("101"), "mode": val("onsite"),
		"item_hygiene": val("ok"), "item_health": val("issue"), "item_storage": val("ok"), "item_clean": val("na"),
		"issue_health":  val("健康证过期"),
		"photos_health": {Photos: []dialog.Photo{{MediaID: "page-1"}}},
		"count":         {Number: 4},
		"sign":          {Skipped: true},
		"changed":       {Bool: false},
	}
}

// TestFillThenChat starts in the chat, fills most of it from a page, and
// finishes in the chat: the chat first asks whether to continue, then asks
// only what the page left out, and one report is submitted with the
// page's answers.
func TestFillThenChat(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.chat("u1")
	c.Start("report", nil)
	c.Say("阿明")
	s, err := e.engine.Peek(ctx, "u1")
	if err != nil || s == nil || s.Get("shop_name") != "阿明面馆" {
		t.Fatalf("Peek = %+v, %v", s, err)
	}
	answers := pageAnswers()
	answers["deadline_health"] = day("2026-11-01") // in the past: refused as in the chat
	answers["issue_nothing"] = val("ignored")      // no such step
	res, err := e.engine.Fill(ctx, "u1", "report", dialog.FillOptions{Conv: s.ID, Answers: answers})
	if err != nil {
		t.Fatal(err)
	}
	if res.Gone || res.Other != nil || res.Submitted {
		t.Fatalf("Fill = %+v", res)
	}
	if res.Problems["deadline_health"] != "整改期限不能早于今天。" || len(res.Problems) != 1 {
		t.Errorf("problems = %v", res.Problems)
	}
	if want := []string{"deadline_health", "location", "contact", "confirm"}; !slices.Equal(res.Missing, want) {
		t.Errorf("missing = %v, want %v", res.Missing, want)
	}
	if r := c.Say("在吗"); !strings.Contains(r.Text, "继续上次「阿明面馆」的督导") {
		t.Fatalf("after the page the chat answers %q, want the resume question", r.Text)
	}
	if r := c.Say("继续"); !strings.Contains(r.Text, "整改期限") {
		t.Fatalf("resumed at %q, want the deadline", r.Text)
	}
	c.Say("12月5日")
	c.Send(here())
	c.Say("王明")
	if r := c.Say("确认"); !r.Done {
		t.Fatalf("confirm: %+v", r)
	}
	got := e.lastSubmitted()
	if v, _ := got.Answer("photos_health"); len(v.Photos) != 1 || v.Photos[0].MediaID != "page-1" {
		t.Errorf("photos = %+v", v)
	}
	if v, _ := got.Answer("item_clean"); v.Text != "na" {
		t.Errorf("item_clean = %+v", v)
	}
	if v, _ := got.Answer("count"); v.Number != 4 {
		t.Errorf("count = %+v", v)
	}
	e.wantGone("u1")
}

// TestFillSubmit fills and submits from the page alone: once, even when
// the page posts again, and the chat has nothing left to resume.
func TestFillSubmit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	answers := pageAnswers()
	res, err := e.engine.Fill(ctx, "u2", "report", dialog.FillOptions{Answers: answers, Submit: true, Confirm: "confirm"})
	if err != nil {
		t.Fatal(err)
	}
	if _, confirmed := res.Session.Answer("confirm"); res.Submitted || len(res.Missing) != 4 || confirmed {
		t.Fatalf("incomplete Fill: submitted %v, missing %v", res.Submitted, res.Missing)
	}
	conv := res.Session.ID
	answers = map[string]*dialog.Value{
		"deadline_health": day("2026-12-01"),
		"location":        {Location: &dialog.Location{Lat: 31.52, Lng: 120.19}},
		"contact":         val("王明"),
	}
	res, err = e.engine.Fill(ctx, "u2", "report", dialog.FillOptions{Conv: conv, Answers: answers, Submit: true, Confirm: "confirm"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Submitted || !strings.Contains(res.Reply.Text, "督导记录已提交：阿明面馆，发现问题1项") {
		t.Fatalf("Fill = %+v", res)
	}
	again, err := e.engine.Fill(ctx, "u2", "report", dialog.FillOptions{Conv: conv, Answers: answers, Submit: true, Confirm: "confirm"})
	if err != nil || !again.Gone || again.Submitted {
		t.Fatalf("second submit = %+v, %v; want Gone", again, err)
	}
	if n := len(e.flow.submitted); n != 1 {
		t.Errorf("%d reports submitted, want 1", n)
	}
	e.wantGone("u2")
	// The chat hears once that the report is in, then has nothing of it.
	c := e.chat("u2")
	if r := c.Say("1"); !c.Handled() || !strings.Contains(r.Text, "已在网页上提交") || !strings.Contains(r.Text, "督导记录已提交：阿明面馆") {
		t.Errorf("the chat after the page's submit: %q", r.Text)
	}
	if r := c.Again(); !strings.Contains(r.Text, "已在网页上提交") {
		t.Errorf("a redelivery gets %q", r.Text)
	}
	if c.Say("2"); c.Handled() {
		t.Errorf("the chat still holds the report: %q", c.Reply().Text)
	}
}

// TestFillOther leaves another report in the chat alone unless told to
// replace it.
func TestFillOther(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.chat("u3")
	c.Start("report", nil)
	c.Say("好又多")
	isAming := func(s *dialog.Session) bool { return s.Get("shop_name") == "阿明面馆" }
	res, err := e.engine.Fill(ctx, "u3", "report", dialog.FillOptions{Match: isAming, Answers: pageAnswers()})
	if err != nil || res.Other == nil || res.Other.Get("shop_name") != "好又多超市" || res.Session != nil {
		t.Fatalf("Fill = %+v, %v; want the other report", res, err)
	}
	if s, _ := e.engine.Peek(ctx, "u3"); s == nil || s.Get("shop_name") != "好又多超市" {
		t.Fatalf("the chat's report changed: %+v", s)
	}
	res, err = e.engine.Fill(ctx, "u3", "report", dialog.FillOptions{Match: isAming, Replace: true, Answers: pageAnswers()})
	if err != nil || res.Session == nil || res.Session.Get("shop_name") != "阿明面馆" {
		t.Fatalf("Fill with Replace = %+v, %v", res, err)
	}
	if s, _ := e.engine.Peek(ctx, "u3"); s == nil || s.ID != res.Session.ID {
		t.Fatalf("Peek after Replace = %+v", s)
	}
}

// TestFillSubmitThenCommand: after a page's submit the chat's next message
// is not swallowed when it is a command — it runs, after a line saying the
// report is in — and a list command is answered with the same line.
func TestFillSubmitThenCommand(t *testing.T) {
	for _, tc := range []struct {
		name, say, want string
		then            bool
	}{
		{"Command", "上报 阿明面馆", "", true},
		{"Menu", "[menu]整改跟踪", "", true},
		{"List", "我的任务", "您本季度还有3家未督导", false},
		{"Answer", "1", "督导记录已提交：阿明面馆", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := asideEnv(t, true)
			ctx := context.Background()
			answers := pageAnswers()
			answers["deadline_health"] = day("2026-12-01")
			answers["location"] = &dialog.Value{Location: &dialog.Location{Lat: 31.52, Lng: 120.19}}
			answers["contact"] = val("王明")
			res, err := e.engine.Fill(ctx, "u5", "report", dialog.FillOptions{Answers: answers, Submit: true, Confirm: "confirm"})
			if err != nil || !res.Submitted {
				t.Fatalf("Fill = %+v, %v", res, err)
			}
			in := dialog.Input{ID: "m-" + tc.name, Text: tc.say}
			if text, ok := strings.CutPrefix(tc.say, "[menu]"); ok {
				in.Text, in.Menu = text, true
			}
			r, handled, err := e.engine.Handle(ctx, "u5", in)
			if err != nil || !handled || !strings.Contains(r.Text, "已在网页上提交") || !strings.Contains(r.Text, tc.want) {
				t.Fatalf("Handle(%q) = %q, handled %v, %v", tc.say, r.Text, handled, err)
			}
			if tc.then != (r.Then == in.Text) {
				t.Errorf("Then = %q after %q", r.Then, tc.say)
			}
		})
	}
}
