package visitform_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/visitform"
)

var items = []supervision.Item{{Point: supervision.Point{ID: "licence", Label: "证照齐全有效"}},
	{Point: supervision.Point{ID: "clean", Label: "场所环境卫生"}, PhotoExpected: true}}

func form() visitform.Form {
	return visitform.Form{Mode: "onsite", Status: "relocated", StatusNote: " 富安路18号 ", Contact: "",
		Items: map[string]visitform.Item{
			"licence": {Result: "ok"},
			"clean":   {Result: "issue", Desc: "地面积水", Photos: []string{"m-1"}, Deadline: "2026-12-05"},
		}}
}

// TestAnswersRoundTrip maps a form onto the chat's answers and back.
func TestAnswersRoundTrip(t *testing.T) {
	a, problems := form().Answers(items, false, clock.China)
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	s := &dialog.Session{}
	for k, v := range a {
		if v != nil {
			s.Set(k, *v)
		}
	}
	want := map[string]string{"check": "full", "mode": "onsite", "item:licence": "ok", "item:clean": "issue",
		"issue:clean:desc": "地面积水", "status": "relocated", "status_note": "富安路18号"}
	for k, w := range want {
		if v, _ := s.Answer(k); v.Text != w {
			t.Errorf("%s = %q, want %q", k, v.Text, w)
		}
	}
	if v, _ := s.Answer("issue:clean:deadline"); !v.Date.Equal(time.Date(2026, 12, 5, 0, 0, 0, 0, clock.China)) {
		t.Errorf("deadline = %v", v.Date)
	}
	for _, k := range []string{"location", "contact", "confirm"} {
		if v, ok := a[k]; ok && v != nil {
			t.Errorf("a draft answers %s: %+v", k, v)
		}
	}
	back := visitform.Read(s, items)
	if back.Items["clean"].Desc != "地面积水" || back.Items["clean"].Photos[0] != "m-1" || back.Items["clean"].Deadline != "2026-12-05" ||
		back.Status != "relocated" || back.StatusNote != "富安路18号" || back.Mode != "onsite" || back.Items["licence"].Result != "ok" {
		t.Errorf("read back: %+v", back)
	}
}

// TestAnswersFinal answers blank optional fields as 跳过 on submit.
func TestAnswersFinal(t *testing.T) {
	f := form()
	it := f.Items["clean"]
	it.Photos, it.Deadline = nil, ""
	f.Items["clean"] = it
	a, _ := f.Answers(items, true, clock.China)
	for _, k := range []string{"location", "contact", "issue:clean:photo", "issue:clean:deadline"} {
		if v := a[k]; v == nil || !v.Skipped {
			t.Errorf("%s = %+v, want skipped", k, v)
		}
	}
	if v, ok := a["confirm"]; ok {
		t.Errorf("confirm = %+v: left to the engine", v)
	}
}

func TestAnswersProblems(t *testing.T) {
	for name, c := range map[string]struct {
		edit  func(*visitform.Form)
		field string
	}{
		"Mode":   {func(f *visitform.Form) { f.Mode = "walk" }, "mode"},
		"Result": {func(f *visitform.Form) { f.Items["licence"] = visitform.Item{Result: "fine"} }, "item-licence"},
		"LongDesc": {func(f *visitform.Form) {
			i := f.Items["clean"]
			i.Desc = strings.Repeat("水", 501)
			f.Items["clean"] = i
		}, "desc-clean"},
		"Date":   {func(f *visitform.Form) { i := f.Items["clean"]; i.Deadline = "12月5日"; f.Items["clean"] = i }, "deadline-clean"},
		"Photos": {func(f *visitform.Form) { i := f.Items["clean"]; i.Photos = make([]string, 10); f.Items["clean"] = i }, "photos-clean"},
		"Status": {func(f *visitform.Form) { f.Status = "closed" }, "status"},
	} {
		t.Run(name, func(t *testing.T) {
			f := form()
			c.edit(&f)
			_, problems := f.Answers(items, true, clock.China)
			if len(problems) != 1 || problems[0].Field != c.field || problems[0].Text == "" {
				t.Fatalf("problems = %+v, want one on %s", problems, c.field)
			}
		})
	}
}

func TestFieldAndMissing(t *testing.T) {
	label := func(id string) string { return map[string]string{"clean": "场所环境卫生"}[id] }
	for key, want := range map[string][2]string{
		visitform.ItemKey("clean"):                          {"item-clean", "「场所环境卫生」未选择检查结果。"},
		visitform.IssueKey("clean", visitform.PartDesc):     {"desc-clean", "「场所环境卫生」未填写问题描述。"},
		visitform.IssueKey("clean", visitform.PartPhoto):    {"photos-clean", "「场所环境卫生」未添加照片。"},
		visitform.IssueKey("clean", visitform.PartDeadline): {"deadline-clean", "「场所环境卫生」未选择整改期限。"},
		visitform.KeyStatusNote:                             {"status-note", "请说明经营状态的变化（搬迁请填写新地址）。"},
		visitform.KeyBusiness:                               {"", "还有内容未填写。"},
	} {
		if got := visitform.Field(key); got != want[0] {
			t.Errorf("Field(%s) = %q, want %q", key, got, want[0])
		}
		if got := visitform.Missing(key, label); got != want[1] {
			t.Errorf("Missing(%s) = %q, want %q", key, got, want[1])
		}
	}
}
