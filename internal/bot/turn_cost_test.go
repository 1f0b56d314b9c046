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

func TestTurnStatements(t *testing.T) {
	w := openDistrict(t)
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-cost", account.RoleCadre, cadre.ID)
	biz := w.taskBusiness(t, tasks, 1)
	log := recordSQL(w.d)
	c := w.chat(t, "o-cost")
	for i, step := range []func(){
		func() { c.Say("上报 1 现场 合格") },
		func() { c.Location(*biz.Latitude, *biz.Longitude, "门店") },
		func() { c.Tap("确认") },
	} {
		step()
		got := log.take()
		t.Logf("turn %d: %d statements\n  %s", i+1, len(got), strings.Join(got, "\n  "))
	}
}
