package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
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
}
