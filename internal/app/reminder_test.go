package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/wechat"
)

// TestRemindersAfterClockJump is the push issue's story through the
// simulator: bound cadres with open work each get exactly one reminder a
// week before quarter end, jumping again sends nothing twice, and overdue
// work escalates to the office.
func TestRemindersAfterClockJump(t *testing.T) {
	a := bootSQLite(t)
	ctx := context.Background()
	cadres := cadresWithTasks(t, a, 3)
	ph := newPhone(t, a, wechat.ModeSafe)
	openids := map[string]bool{}
	for i, c := range cadres {
		code, _, err := a.Accounts.IssueCode(ctx, account.RoleCadre, c.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		openid := "o-remind-" + string(rune('a'+i))
		if got := ph.text(openid, "绑定 "+code); !strings.Contains(got, "绑定成功") {
			t.Fatalf("bind: %q", got)
		}
		openids[openid] = true
	}

	jump := func(preset string) {
		t.Helper()
		resp, err := http.Post(a.URL()+"/dev/simulator/api/clock", "application/json", strings.NewReader(`{"preset":"`+preset+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("clock jump %s = %d", preset, resp.StatusCode)
		}
	}
	remindersTo := func() map[string]int {
		got := map[string]int{}
		for _, c := range a.FakeAPI.CallsTo("/cgi-bin/message/template/send") {
			if c.Delivered() && openids[c.ToUser] && !pledgePush(a, c) {
				got[c.ToUser]++
			}
		}
		return got
	}

	jump("t-7")
	// The app's own dispatcher may hold some of the rows; wait for them.
	got := remindersTo()
	for deadline := time.Now().Add(15 * time.Second); len(got) < 3 && time.Now().Before(deadline); got = remindersTo() {
		time.Sleep(100 * time.Millisecond)
	}
	if len(got) != 3 {
		var rows []struct {
			Kind, Status, LastError, RecipientKind string
			RecipientID                            int64
		}
		a.DB.Gorm(ctx).Table("outbox").Select("kind, status, last_error, recipient_kind, recipient_id").Limit(10).Scan(&rows)
		t.Logf("outbox sample: %+v", rows)
		t.Logf("calls: %d", len(a.FakeAPI.Calls()))
	}
	if len(got) != 3 {
		t.Fatalf("reminded %v, want each of the 3 bound cadres once", got)
	}
	for id, n := range got {
		if n != 1 {
			t.Fatalf("%s got %d reminders", id, n)
		}
	}
	jump("t-7")
	time.Sleep(500 * time.Millisecond)
	for id, n := range remindersTo() {
		if n != 1 {
			t.Fatalf("after a second jump %s has %d reminders; nothing may be sent twice", id, n)
		}
	}

	// Unbound cadres are recorded as unreachable rather than lost.
	rows, total, err := a.Notify.List(ctx, notify.Filter{Status: []notify.Status{notify.StatusUnreachable}, Limit: 5})
	if err != nil || total == 0 || len(rows) == 0 {
		t.Fatalf("unreachable list: %d %v", total, err)
	}

	jump("overdue-3")
	var escalations int64
	a.DB.Gorm(ctx).Table("outbox").Where("kind = ?", "escalation").Count(&escalations)
	if escalations == 0 {
		t.Fatal("no escalation to the offices after overdue")
	}
}
