package dialog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/dialog/dialogtest"
	"github.com/shianbao/shianbao/internal/kv"
)

// turnIn is one input of a scripted conversation and the step it answers.
type turnIn struct {
	step string
	in   dialog.Input
}

func say(s string) dialog.Input { return dialog.Input{Text: s} }

func photo(id string) dialog.Input {
	return dialog.Input{Photo: &dialog.Photo{MediaID: id, PicURL: "https://img.example/" + id}}
}

func here() dialog.Input {
	return dialog.Input{Location: &dialog.Location{Lat: 31.5207, Lng: 120.1879, Label: "无锡市滨湖区胡埭镇"}}
}

// happy is a whole report: one issue with two photos, the shortcut, and
// every kind of step.
var happy = []turnIn{
	{"shop", say("阿明")},
	{"mode", say("1")},
	{"item_hygiene", say("合格")},
	{"item_health", say("2")},
	{"item_storage", say("全部合格")},
	{"issue_health", say("两名员工健康证过期")},
	{"photos_health", photo("p1")},
	{"photos_health", photo("p2")},
	{"photos_health", say("完成")},
	{"deadline_health", say("12月5日")},
	{"count", say("三")},
	{"sign", photo("sign1")},
	{"location", here()},
	{"changed", say("否")},
	{"contact", say("王明")},
	{"confirm", say("确认")},
}

func play(c *dialogtest.T, script []turnIn) {
	for _, x := range script {
		c.Send(x.in)
	}
}

func answersJSON(t *testing.T, s *dialog.Session) string {
	t.Helper()
	b, err := json.Marshal(struct {
		A map[string]dialog.Value
		D map[string]string
	}{s.Answers, s.Data})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (e *env) lastSubmitted() *dialog.Session {
	e.t.Helper()
	e.flow.mu.Lock()
	defer e.flow.mu.Unlock()
	if len(e.flow.submitted) == 0 {
		e.t.Fatalf("nothing submitted")
	}
	return e.flow.submitted[len(e.flow.submitted)-1]
}

func (e *env) wantGone(user string) {
	e.t.Helper()
	ctx := context.Background()
	if flow, _, ok, err := e.engine.Active(ctx, user); err != nil || ok {
		e.t.Fatalf("Active = %q, %v, %v; want nothing", flow, ok, err)
	}
	if d, err := e.drafts.Load(ctx, user); err != nil || d != nil {
		e.t.Fatalf("draft = %+v, %v; want none", d, err)
	}
}

func TestHappyPath(t *testing.T) {
	e := newEnv(t)
	c := e.chat("u1")
	c.Start("report", nil)
	play(c, happy)
	c.Golden("happy")

	if r := c.Reply(); !r.Done || len(r.Articles) != 1 {
		t.Fatalf("last reply = %+v, want Done with a receipt", r)
	}
	s := e.lastSubmitted()
	if got := s.Get("shop_name"); got != "阿明面馆" {
		t.Errorf("shop_name = %q", got)
	}
	checks := map[string]func(dialog.Value) bool{
		"shop":        func(v dialog.Value) bool { return v.Text == "101" },
		"item_clean":  func(v dialog.Value) bool { return v.Text == "ok" },
		"item_health": func(v dialog.Value) bool { return v.Text == "issue" },
		"photos_health": func(v dialog.Value) bool {
			return len(v.Photos) == 2 && v.Photos[1].MediaID == "p2" && v.Photos[0].At.Equal(t0)
		},
		"deadline_health": func(v dialog.Value) bool { return v.Date.Format(time.DateOnly) == "2026-12-05" },
		"count":           func(v dialog.Value) bool { return v.Number == 3 },
		"location": func(v dialog.Value) bool {
			return v.Location != nil && v.Location.Label == "无锡市滨湖区胡埭镇"
		},
		"changed": func(v dialog.Value) bool { return !v.Bool },
		"contact": func(v dialog.Value) bool { return v.Text == "王明" },
	}
	for key, ok := range checks {
		if v, found := s.Answer(key); !found || !ok(v) {
			t.Errorf("answer %s = %+v (found %v)", key, v, found)
		}
	}
	for _, key := range []string{"issue_hygiene", "change_note"} {
		if _, found := s.Answer(key); found {
			t.Errorf("answer %s of a step that does not apply reached Submit", key)
		}
	}
	if s.ID == "" || !s.Started.Equal(t0) {
		t.Errorf("session id %q started %v", s.ID, s.Started)
	}
	e.wantGone("u1")
	if c.Say("1"); c.Handled() {
		t.Fatalf("a message after the end was handled: %+v", c.Reply())
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	c := e.chat("u1")
	c.Start("report", nil)
	c.Say("9")
	c.Say("饭店")
	c.Say("阿明")
	c.Say("上门")
	c.Say("现场")
	c.Say("还行")
	c.Say("1")
	c.Photo("x1")
	c.Say("问题")
	c.Say("全部合格")
	c.Location(31.52, 120.18, "别处")
	c.Say(strings.Repeat("脏", 501))
	c.Say("   ")
	c.Say("健康证过期")
	c.Say("稍等")
	c.Photo("p1")
	c.Location(31.52, 120.18, "别处")
	c.Say("完成")
	c.Say("下下周")
	c.Say("昨天")
	c.Say("abc")
	c.Say("明年")
	c.Say("7天后")
	c.Say("很多")
	c.Say("-1")
	c.Say("3")
	c.Say("没拍")
	c.Say("跳过")
	c.Say("胡埭镇")
	c.Location(31.5207, 120.1879, "无锡市滨湖区胡埭镇")
	c.Say("也许")
	c.Say("是")
	c.Say("")
	c.Say("店名改为阿明牛肉面")
	c.Say("跳过")
	c.Photo("x2")
	c.Say("王明")
	c.Say("不")
	c.Say("确认！")
	c.Golden("bad_input")
	if !c.Reply().Done {
		t.Fatalf("not submitted: %+v", c.Reply())
	}
	s := e.lastSubmitted()
	if v, _ := s.Answer("sign"); !v.Skipped {
		t.Errorf("sign = %+v, want skipped", v)
	}
	if v, _ := s.Answer("deadline_health"); v.Date.Format(time.DateOnly) != "2026-11-27" {
		t.Errorf("deadline = %v", v.Date)
	}
	if v, _ := s.Answer("change_note"); v.Text != "店名改为阿明牛肉面" {
		t.Errorf("change_note = %+v", v)
	}
}

func TestHelp(t *testing.T) {
	e := newEnv(t)
	c := e.chat("u1")
	c.Start("report", nil)
	c.Say("帮助")
	play(c, happy[:6])
	c.Say("？")
	play(c, happy[6:10])
	c.Say("返回")
	c.Say("帮助")
	c.Golden("help")
}

// TestBackAtEveryStep goes back from every step of the happy path, replays
// from the step it returned to, and expects the same report.
func TestBackAtEveryStep(t *testing.T) {
	// The first line of the question that asks each step.
	prompts := map[string]string{}
	e := newEnv(t)
	c := e.chat("u1")
	prompts["shop"] = firstLine(c.Start("report", nil).Text)
	for i, x := range happy {
		r := c.Send(x.in)
		if i+1 < len(happy) && happy[i+1].step != x.step {
			prompts[happy[i+1].step] = firstLine(r.Text)
		}
	}
	want := answersJSON(t, e.lastSubmitted())

	t.Run("00_shop", func(t *testing.T) {
		e := newEnv(t)
		c := e.chat("u1")
		c.Start("report", nil)
		if r := c.Say("上一步"); !strings.HasPrefix(r.Text, "已经是第一步了。") {
			t.Fatalf("back at the first step: %q", r.Text)
		}
	})
	for k := 1; k < len(happy); k++ {
		t.Run(fmt.Sprintf("%02d_%s", k, happy[k].step), func(t *testing.T) {
			e := newEnv(t)
			c := e.chat("u1")
			c.Start("report", nil)
			play(c, happy[:k])
			// Back leads to the step answered before this one, at the first
			// input of its run (a Multi step takes several).
			j := k - 1
			for happy[j].step == happy[k].step {
				j--
			}
			for j > 0 && happy[j-1].step == happy[j].step {
				j--
			}
			r := c.Say("返回")
			if !strings.HasPrefix(r.Text, "已回到上一步。") || !strings.Contains(r.Text, prompts[happy[j].step]) {
				t.Fatalf("back from %s: %q, want the question of %s (%q)", happy[k].step, r.Text, happy[j].step, prompts[happy[j].step])
			}
			play(c, happy[j:])
			if !c.Reply().Done {
				t.Fatalf("not submitted:\n%s", c.Transcript())
			}
			if got := answersJSON(t, e.lastSubmitted()); got != want {
				t.Fatalf("answers after going back:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestBack walks back from the summary past the first step, keeps answers
// with 不变, changes one (which brings the steps of a new issue) and submits.
func TestBack(t *testing.T) {
	e := newEnv(t)
	c := e.chat("u1")
	c.Start("report", nil)
	play(c, happy[:len(happy)-1])
	for range 14 {
		c.Say("返回")
	}
	c.Say("不变")
	c.Say("不变")
	c.Say("有问题")
	for range 3 {
		c.Say("不变")
	}
	c.Say("地面油污")
	c.Say("跳过")
	c.Say("跳过")
	for range 8 {
		c.Say("不变")
	}
	c.Say("确认")
	c.Golden("back")
	if !c.Reply().Done {
		t.Fatalf("not submitted:\n%s", c.Transcript())
	}
	s := e.lastSubmitted()
	if v, _ := s.Answer("deadline_hygiene"); v.Date.Format(time.DateOnly) != "2026-11-27" {
		t.Errorf("skipped deadline = %+v, want the default", v)
	}
	if v, _ := s.Answer("photos_hygiene"); !v.Skipped {
		t.Errorf("photos_hygiene = %+v", v)
	}
	if v, _ := s.Answer("photos_health"); len(v.Photos) != 2 {
		t.Errorf("kept photos = %+v", v)
	}
}

func TestCancelAtEveryStep(t *testing.T) {
	for k := 0; k < len(happy); k++ {
		t.Run(fmt.Sprintf("%02d_%s", k, happy[k].step), func(t *testing.T) {
			e := newEnv(t)
			c := e.chat("u1")
			c.Start("report", nil)
			play(c, happy[:k])
			r := c.Say(" 取消。")
			if r.Text != "已取消，本次内容未保存。" || !r.Done {
				t.Fatalf("cancel: %+v", r)
			}
			e.wantGone("u1")
			if again := c.Again(); again.Text != r.Text || !again.Done {
				t.Fatalf("repeated cancel: %+v", again)
			}
			if c.Say("1"); c.Handled() {
				t.Fatalf("handled after cancel: %+v", c.Reply())
			}
			if e.flow.cancelled != 1 || len(e.flow.submitted) != 0 {
				t.Fatalf("cancelled %d, submitted %d", e.flow.cancelled, len(e.flow.submitted))
			}
		})
	}
}

func TestInterrupt(t *testing.T) {
	e := newEnv(t)
	c := e.chat("u1")
	c.Start("report", nil)
	play(c, happy[:4])
	c.Say("我的任务")
	c.Say("全部合格")
	c.Say("两名员工健康证过期")
	c.Say("我的任务")
	c.Photo("p1")
	e.clock.Advance(time.Hour)
	c.Note("1 小时后")
	c.Say("我的任务")
	c.Say("1")
	c.Golden("interrupt")

	c.Errors = true
	c.Say("出错")
	if c.Err() == nil {
		t.Fatal("an interrupt's error was swallowed")
	}
}

func TestRepeatedDelivery(t *testing.T) {
	e := newEnv(t)
	c := e.chat("u1")
	c.Start("report", nil)
	c.Again()
	play(c, happy[:6])
	c.Again()
	c.Photo("p1")
	c.Again()
	c.Photo("p2")
	if got := c.Reply().Text; !strings.Contains(got, "第2张") {
		t.Fatalf("a repeated photo counted twice: %q", got)
	}
	c.Say("完成")
	c.Again()
	play(c, happy[9:])
	c.Again()
	c.Golden("repeated")
	e.flow.mu.Lock()
	defer e.flow.mu.Unlock()
	if n := len(e.flow.submitted); n != 1 {
		t.Fatalf("submitted %d times", n)
	}
	if v, _ := e.flow.submitted[0].Answer("photos_health"); len(v.Photos) != 2 {
		t.Fatalf("photos = %+v", v.Photos)
	}
}

// TestCrash closes the app between two steps: a new engine with an empty kv
// store resumes from the draft, with nothing lost.
func TestCrash(t *testing.T) {
	e := newEnv(t)
	c := e.chat("u1")
	c.Start("report", nil)
	play(c, happy[:7])
	e.restart()
	c.Switch(e.engine)
	c.Note("服务重启（会话存储清空，草稿仍在）")
	c.Say("在吗")
	c.Say("1")
	play(c, happy[7:])
	c.Golden("crash")
	want := newEnv(t)
	wc := want.chat("u1")
	wc.Start("report", nil)
	play(wc, happy)
	if got, want := answersJSON(t, e.lastSubmitted()), answersJSON(t, want.lastSubmitted()); got != want {
		t.Fatalf("answers after a crash:\n%s\nwant\n%s", got, want)
	}
}

func TestSubmitErrors(t *testing.T) {
	e := newEnv(t)
	c := e.chat("u1")
	e.flow.failNext = "conflict"
	c.Start("report", nil)
	play(c, happy)
	c.Say("确认")
	c.Golden("submit_conflict")
	if !c.Reply().Done {
		t.Fatalf("not submitted after the conflict: %+v", c.Reply())
	}

	e = newEnv(t)
	c = e.chat("u1")
	c.Errors = true
	e.flow.failNext = "internal"
	c.Start("report", nil)
	play(c, happy)
	if c.Err() == nil {
		t.Fatal("an internal error from Submit was not returned")
	}
	// Nothing of the failed turn was kept: the same message goes through.
	if r := c.Again(); !r.Done || c.Err() != nil {
		t.Fatalf("retry: %+v, %v", r, c.Err())
	}
}

func TestStartReplacesAndActive(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.chat("u1")
	c.Start("report", nil)
	play(c, happy[:2])
	flow, label, ok, err := e.engine.Active(ctx, "u1")
	if err != nil || !ok || flow != "report" || label != "阿明面馆" {
		t.Fatalf("Active = %q %q %v %v", flow, label, ok, err)
	}
	// After the session lapsed, the draft still counts.
	e.clock.Advance(time.Hour)
	if _, label, ok, _ := e.engine.Active(ctx, "u1"); !ok || label != "阿明面馆" {
		t.Fatalf("Active from the draft = %q %v", label, ok)
	}
	r := c.Start("report", &struct {
		Note string `dialog:"note"`
	}{"x"})
	if !strings.HasPrefix(r.Text, "请选择要督导的主体") {
		t.Fatalf("start: %q", r.Text)
	}
	if _, label, ok, _ := e.engine.Active(ctx, "u1"); !ok || label != "" {
		t.Fatalf("Active after a new start = %q %v", label, ok)
	}
	if d, _ := e.drafts.Load(ctx, "u1"); d != nil {
		t.Fatalf("the old draft survived Start: %+v", d)
	}
	if err := e.engine.Cancel(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	e.wantGone("u1")
	if _, err := e.engine.Start(ctx, "u1", "nope", nil); err == nil {
		t.Fatal("started an unknown flow")
	}
}

func TestUsersAreSeparate(t *testing.T) {
	e := newEnv(t)
	a, b := e.chat("a"), e.chat("b")
	a.Start("report", nil)
	b.Start("report", nil)
	a.Say("1")
	b.Say("2")
	if !strings.Contains(a.Say("1").Text, "第1/4项") || !strings.Contains(b.Say("1").Text, "第1/3项") {
		t.Fatalf("a: %q\nb: %q", a.Reply().Text, b.Reply().Text)
	}
}

func TestNoDraftStore(t *testing.T) {
	clk := clock.NewFixed(t0)
	m := kv.NewMemory()
	t.Cleanup(func() { m.Close() })
	f := &reportFlow{}
	eng := dialog.New(dialog.Options{KV: m, Clock: clk}, f.flow())
	c := dialogtest.New(t, eng, "u1")
	c.Clock = clk
	c.Start("report", nil)
	play(c, happy[:3])
	clk.Advance(31 * time.Minute)
	if c.Say("1"); c.Handled() {
		t.Fatalf("an expired session without drafts was handled: %+v", c.Reply())
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// TestConcurrentUsers runs many conversations on one engine at once (with
// -race, this is the check that an Engine holds no per-user state).
func TestConcurrentUsers(t *testing.T) {
	e := newEnv(t)
	const users = 40
	done := make(chan string, users)
	for i := range users {
		go func() {
			user := fmt.Sprintf("u%d", i)
			ctx := context.Background()
			if _, err := e.engine.Start(ctx, user, "report", nil); err != nil {
				done <- err.Error()
				return
			}
			var r dialog.Reply
			for j, x := range happy {
				in := x.in
				in.ID = fmt.Sprintf("%s-%d", user, j)
				var err error
				if r, _, err = e.engine.Handle(ctx, user, in); err != nil {
					done <- err.Error()
					return
				}
			}
			if !r.Done {
				done <- user + " not submitted: " + r.Text
				return
			}
			done <- ""
		}()
	}
	for range users {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
	if n := len(e.flow.submitted); n != users {
		t.Fatalf("submitted %d, want %d", n, users)
	}
}

// BenchmarkTurn measures one turn (kv sessions and drafts in memory): the
// engine's own cost, without Redis or database round trips.
func BenchmarkTurn(b *testing.B) {
	clk := clock.NewFixed(t0)
	m := kv.NewMemory()
	b.Cleanup(func() { m.Close() })
	f := &reportFlow{}
	eng := dialog.New(dialog.Options{KV: m, Drafts: dialog.NewKVDrafts(m, "d:"), Clock: clk}, f.flow())
	ctx := context.Background()
	turns := 0
	n := 0
	for b.Loop() {
		n++
		user := fmt.Sprintf("u%d", n)
		if _, err := eng.Start(ctx, user, "report", nil); err != nil {
			b.Fatal(err)
		}
		for j, x := range happy {
			in := x.in
			in.ID = fmt.Sprintf("%d", j)
			if _, _, err := eng.Handle(ctx, user, in); err != nil {
				b.Fatal(err)
			}
		}
		turns += len(happy) + 1
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(turns), "ns/turn")
}
