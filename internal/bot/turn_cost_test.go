package bot_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/db"
)

// sqlLog records the SQL statements GORM runs on d from now on.
type sqlLog struct {
	mu   sync.Mutex
	stmt []string
}

func recordSQL(d *db.DB) *sqlLog {
	l := &sqlLog{}
	rec := func(tx *gorm.DB) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.stmt = append(l.stmt, tx.Statement.SQL.String())
	}
	cb := d.Gorm(context.Background()).Callback()
	cb.Create().After("gorm:create").Register("test:log_create", rec)
	cb.Query().After("gorm:query").Register("test:log_query", rec)
	cb.Update().After("gorm:update").Register("test:log_update", rec)
	cb.Delete().After("gorm:delete").Register("test:log_delete", rec)
	cb.Row().After("gorm:row").Register("test:log_row", rec)
	cb.Raw().After("gorm:raw").Register("test:log_raw", rec)
	return l
}

func (l *sqlLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.stmt
	l.stmt = nil
	return out
}

// TestTurnStatements counts the SQL statements of each turn of a
// one-message report (上报 1 现场 合格, the location, 确认): the turn path
// under load is bound by these round trips. The start reads the business
// once (the coverage check takes it), the location turn reads nothing but
// saves the draft (the business's place is kept in the report), and the
// turn after a touch does not read the identities again.
func TestTurnStatements(t *testing.T) {
	w := openDistrict(t)
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-cost", account.RoleCadre, cadre.ID)
	biz := w.taskBusiness(t, tasks, 1)
	log := recordSQL(w.d)
	c := w.chat(t, "o-cost")
	limits := []int{10, 1, 10}
	for i, step := range []func(){
		func() { c.Say("上报 1 现场 合格") },
		func() { c.Location(*biz.Latitude, *biz.Longitude, "门店") },
		func() { c.Tap("确认") },
	} {
		step()
		got := log.take()
		if len(got) > limits[i] {
			t.Errorf("turn %d: %d statements, at most %d:\n  %s", i+1, len(got), limits[i], strings.Join(got, "\n  "))
		}
	}

	// Right after 我的任务, a number is the business the cadre saw there:
	// the task list is not computed again.
	list := c.Say("我的任务").Text
	second := ""
	for _, l := range strings.Split(list, "\n") {
		if name, ok := strings.CutPrefix(l, "2. "); ok {
			second, _, _ = strings.Cut(name, "（")
		}
	}
	log.take()
	r := c.Say("上报 2 现场 合格")
	for _, stmt := range log.take() {
		if strings.Contains(stmt, "JOIN assignments a ON a.active_business_id") {
			t.Errorf("上报 2 after 我的任务 computed the task list again:\n%s", stmt)
		}
	}
	c.Say("跳过")
	if r = c.Tap("确认"); second == "" || !strings.Contains(r.Text, "督导已提交："+second) {
		t.Errorf("上报 2 after a list whose second line is %q answers:\n%s", second, r.Text)
	}
}

// BenchmarkOneMessageTurns runs the turns of a one-message report — 上报 1
// 现场 合格, the location, then 取消 so the task stays open for the next
// iteration — on SQLite and the in-process kv, and reports the SQL
// statements per report beside the time. Profile it with
//
//	go test -run '^$' -bench OneMessageTurns -cpuprofile /tmp/turn.pprof ./internal/bot
func BenchmarkOneMessageTurns(b *testing.B) {
	w := newDistrict(b, demoDistrict.OpenSQLite(b))
	cadre, tasks := w.cadreWithTasks(b)
	ctx := context.Background()
	code, _, err := w.accounts.IssueCode(ctx, account.RoleCadre, cadre.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	say := func(in chat.Inbound) string {
		in.Channel, in.UserID = chat.ChannelOA, "o-bench"
		out, err := w.bot.Handle(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		return out.Text
	}
	if r := say(chat.Inbound{Kind: chat.KindText, Text: "绑定 " + code, MsgKey: "bind"}); !strings.Contains(r, "绑定成功") {
		b.Fatalf("bind: %q", r)
	}
	biz := w.taskBusiness(b, tasks, 1)
	log := recordSQL(w.d)
	log.take()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := strconv.Itoa(i)
		if r := say(chat.Inbound{Kind: chat.KindText, Text: "上报 1 现场 合格", MsgKey: "a" + id}); !strings.Contains(r, "位置") {
			b.Fatalf("turn 1: %q", r)
		}
		say(chat.Inbound{Kind: chat.KindLocation, Latitude: *biz.Latitude, Longitude: *biz.Longitude, Label: "门店", MsgKey: "b" + id})
		if r := say(chat.Inbound{Kind: chat.KindText, Text: "取消", MsgKey: "c" + id}); !strings.Contains(r, "取消") {
			b.Fatalf("turn 3: %q", r)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(log.take()))/float64(b.N), "statements/op")
}
