package reminder_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/configs"
	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/demo/demotest"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/reminder"
	"github.com/shianbao/shianbao/internal/supervision"
)

// china returns a time in China.
func china(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, clock.China)
}

// weekBefore is 9:00 on 24 December 2026: seven days before Q4 (and H2,
// and the year) end.
var weekBefore = china(2026, 12, 24, 9, 0)

// district is the demo district, seeded as of weekBefore.
type district struct {
	d        *db.DB
	clk      *clock.Offset
	reg      *registry.Service
	sup      *supervision.Service
	read     *query.Reader
	accounts *account.Service
	store    kv.Store
	planner  *reminder.Planner
}

func schemas() []db.Schema {
	return []db.Schema{registry.Schema, audit.Schema, account.Schema, supervision.Schema, notify.Schema}
}

// demoDistrict is the demo district seeded once for this package's tests.
var demoDistrict = demotest.District("reminder", weekBefore, schemas()...)

// newDistrict builds the services over d, a copy of demoDistrict.
func newDistrict(t testing.TB, d *db.DB) *district {
	t.Helper()
	w := &district{d: d, clk: clock.NewFixed(weekBefore), store: kv.NewMemory()}
	t.Cleanup(func() { w.store.Close() })
	w.reg = registry.NewService(d, registry.Rules{}, w.clk)
	data, err := configs.FS.ReadFile("checklists.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lists, err := supervision.LoadChecklists(data)
	if err != nil {
		t.Fatal(err)
	}
	w.sup = supervision.NewService(d, w.reg, lists, supervision.DefaultRules(), w.clk)
	w.read = query.New(d).WithRules(w.sup.ReadRules(), w.clk)
	w.accounts = account.NewService(d, w.store, w.reg, w.clk, []byte("reminder-test-secret-0123456789"))
	w.planner = w.newPlanner(t, nil)
	return w
}

// newPlanner builds a planner over the district whose offices all have a
// group robot, with the given extra sources.
func (w *district) newPlanner(t testing.TB, sources []reminder.Source) *reminder.Planner {
	t.Helper()
	p, err := reminder.NewPlanner(reminder.Deps{
		Supervision: w.sup, Registry: w.reg, Contacts: w.accounts, Links: links{},
		Groups: func(string) bool { return true }, Sources: sources,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// each runs fn on SQLite and, when configured, MySQL, each with a freshly
// seeded district.
func each(t *testing.T, fn func(t *testing.T, w *district)) {
	t.Helper()
	demoDistrict.Each(t, func(t *testing.T, d *db.DB) { fn(t, newDistrict(t, d)) })
}

// notices plans at at, failing the test on error.
func (w *district) notices(t *testing.T, at time.Time) []reminder.Notice {
	t.Helper()
	w.clk.Set(at)
	ns, err := w.planner.Notices(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// cadres lists the district's active cadres.
func (w *district) cadres(t *testing.T) []registry.Cadre {
	t.Helper()
	cs, _, err := w.reg.FindCadres(context.Background(), registry.CadreFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func kinds(ns []reminder.Notice, kind string) []reminder.Notice {
	var out []reminder.Notice
	for _, n := range ns {
		if n.Message.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// links are the H5 links, unsigned: the page, its reader and the day it expires.
type links struct{}

func (links) CadreTasks(id int64, r registry.Actor, e time.Time) string {
	return fmt.Sprintf("https://h5.example/tasks/%d?r=%s&e=%s", id, r, e.In(clock.China).Format(time.DateOnly))
}

func (links) OfficeOverdue(id int64, r registry.Actor, e time.Time) string {
	return fmt.Sprintf("https://h5.example/overdue/%d?r=%s&e=%s", id, r, e.In(clock.China).Format(time.DateOnly))
}

func (links) Rectification(id int64, r registry.Actor, e time.Time) string {
	return fmt.Sprintf("https://h5.example/rect/%d?r=%s&e=%s", id, r, e.In(clock.China).Format(time.DateOnly))
}

// linkFor is the link part naming its reader and its expiry: 30 days after
// the day the message was planned.
func linkFor(reader registry.Actor, planned time.Time) string {
	return fmt.Sprintf("?r=%s&e=%s", reader, clock.Date(planned).AddDate(0, 0, 30).Format(time.DateOnly))
}

// outbox records what is enqueued, keyed as the real outbox is: a key
// already there is not queued again. It counts every attempt to queue a
// key twice, which is what "sent twice" would take.
type outbox struct {
	mu      sync.Mutex
	byKey   map[string]notify.Message
	repeats int
	calls   int
	// block, when set, holds every Enqueue until it is closed.
	block chan struct{}
	// failAfter, when positive, makes Enqueue store that many messages in
	// all and then fail, as a crash in the middle of a run would.
	failAfter int
}

func newOutbox() *outbox { return &outbox{byKey: map[string]notify.Message{}} }

func (o *outbox) Enqueue(ctx context.Context, msgs ...notify.Message) (int, error) {
	if o.block != nil {
		select {
		case <-o.block:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls++
	n := 0
	for _, m := range msgs {
		if o.failAfter > 0 && len(o.byKey) >= o.failAfter {
			return n, fmt.Errorf("outbox: crashed")
		}
		if _, ok := o.byKey[m.Key()]; ok {
			o.repeats++
			continue
		}
		o.byKey[m.Key()] = m
		n++
	}
	return n, nil
}

func (o *outbox) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.byKey)
}

var _ reminder.Enqueuer = (*outbox)(nil)

// stores returns the in-process kv and, when configured, Redis, each
// under a fresh key prefix.
func stores(t *testing.T) map[string]kv.Store {
	t.Helper()
	out := map[string]kv.Store{"memory": kv.NewMemory()}
	addr := os.Getenv(dbtest.EnvRedisAddr)
	switch {
	case addr != "":
		r, err := kv.NewRedis(kv.RedisOptions{Addrs: []string{addr}})
		if err != nil {
			t.Fatal(err)
		}
		out["redis"] = r
	case dbtest.RequireServices():
		t.Fatalf("%s is not set but %s=1", dbtest.EnvRedisAddr, dbtest.EnvRequireServices)
	}
	for _, s := range out {
		t.Cleanup(func() { s.Close() })
	}
	return out
}

func randomPrefix() string { return "reminder-test:" + rand.Text() + ":" }

// TestMain drops the MySQL template of the demo district after the tests.
func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
