package notify_test

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/sim"
	"github.com/shianbao/shianbao/internal/wechat"
)

// The platform client's URI modifier is a process global pointed at the
// latest client's base, so none of these tests runs in parallel.

// start is a Saturday morning in China, outside quiet hours.
var start = time.Date(2026, 11, 28, 10, 0, 0, 0, clock.China)

// templates are the kinds the tests send, as the embedded default maps them.
var templates = map[string]notify.Template{
	"reminder.due":  {ID: "tpl-reminder-due", Fields: map[string]string{"thing1": "title", "time2": "due"}},
	"letter.issued": {ID: "tpl-letter-issued", Fields: map[string]string{"thing1": "title", "thing2": "business"}},
}

// env is one engine and kv store with a fake WeChat API behind the real
// platform client, a directory of bound people and the outbox over them.
type env struct {
	d      *db.DB
	store  kv.Store
	clk    *clock.Offset
	fake   *sim.FakeAPI
	client *wechat.Client
	robots map[string]string
	robot  *wechat.RobotSender
	dir    *directory
	cfg    notify.Config
	svc    *notify.Service
}

// each runs fn once per kv store (memory; Redis when configured) and
// database engine (SQLite; MySQL when configured).
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	stores := []struct {
		name string
		open func(t *testing.T) kv.Store
	}{
		{"memory", func(t *testing.T) kv.Store {
			m := kv.NewMemory()
			t.Cleanup(func() { m.Close() })
			return m
		}},
		{"redis", func(t *testing.T) kv.Store { return openRedis(t) }},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			store := st.open(t)
			dbtest.Each(t, func(t *testing.T, d *db.DB) { fn(t, newEnv(t, d, store)) }, notify.Schema)
		})
	}
}

func openRedis(t testing.TB) kv.Store {
	t.Helper()
	addr := os.Getenv(dbtest.EnvRedisAddr)
	if addr == "" {
		if dbtest.RequireServices() {
			t.Fatalf("%s is not set but %s=1", dbtest.EnvRedisAddr, dbtest.EnvRequireServices)
		}
		t.Skipf("Redis not configured (%s)", dbtest.EnvRedisAddr)
	}
	r, err := kv.NewRedis(kv.RedisOptions{Addrs: strings.Split(addr, ",")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if err := r.Ping(context.Background()); err != nil {
		t.Fatalf("redis at %s: %v", addr, err)
	}
	return r
}

func newEnv(t testing.TB, d *db.DB, store kv.Store) *env {
	t.Helper()
	fake := sim.NewFakeAPI()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client, err := wechat.NewClient(wechat.ClientOptions{
		// A fresh AppID per test, so tests sharing a Redis never share a token.
		AppID: "wxnotify" + strings.ToLower(rand.Text()[:10]), AppSecret: "SECRET-NOTIFY",
		APIBase: srv.URL, KV: store, HTTPTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{
		d: d, store: store, clk: clock.NewFixed(start), fake: fake, client: client,
		robots: map[string]string{"胡埭": "robot-" + rand.Text()},
		robot:  wechat.NewRobotSender(store, srv.URL, 2*time.Second),
		dir:    &directory{addrs: map[notify.Recipient][]notify.Address{}},
		cfg: notify.Config{
			Templates:  templates,
			QuietStart: "22:00", QuietEnd: "07:30",
			KeyPrefix: "notifytest:" + rand.Text() + ":",
		},
	}
	e.svc = e.service(nil)
	return e
}

// service builds another outbox over the same database, kv and fake
// (another dispatcher, another instance), with the env's settings changed
// by mod.
func (e *env) service(mod func(c *notify.Config)) *notify.Service {
	cfg := e.cfg
	if mod != nil {
		mod(&cfg)
	}
	return notify.NewService(e.d, e.store, e.dir, senders(e.client, e.robot, e.robots), cfg, e.clk, nil)
}

// reconfigure replaces the env's outbox with one whose settings mod changed.
func (e *env) reconfigure(mod func(c *notify.Config)) {
	mod(&e.cfg)
	e.svc = e.service(nil)
}

// senders adapts the platform client as the app does.
func senders(c *wechat.Client, r *wechat.RobotSender, robots map[string]string) notify.Senders {
	return notify.Senders{
		Template: func(ctx context.Context, to, tpl, url string, data map[string]string, clientMsgID string) (int64, error) {
			id, err := c.TemplateSend(ctx, wechat.TemplateMessage{ToUser: to, TemplateID: tpl, URL: url, Data: data, ClientMsgID: clientMsgID})
			return id, sendError(err)
		},
		Subscribe: func(ctx context.Context, to, tpl, page string, data map[string]string) error {
			return sendError(c.SubscribeSend(ctx, wechat.SubscribeMessage{ToUser: to, TemplateID: tpl, Page: page, Data: data}))
		},
		Custom: func(ctx context.Context, to, text, url string) error {
			if url != "" {
				text += "\n" + notify.DetailLink(url)
			}
			return sendError(c.CustomSend(ctx, to, chat.Say(text)))
		},
		Robot: func(ctx context.Context, group, md string) error {
			key, ok := robots[group]
			if !ok {
				return notify.ErrNoRobot
			}
			return sendError(r.SendMarkdown(ctx, key, md))
		},
	}
}

func sendError(err error) error {
	e, ok := wechat.AsError(err)
	if !ok {
		return err
	}
	return &notify.SendError{Code: e.Code, Msg: e.Op + ": " + wechat.Redact(e.Msg), Unreachable: e.Unreachable(), Throttled: e.Throttled(),
		OutsideWindow: e.OutsideWindow(), TokenInvalid: e.TokenInvalid(), Temporary: e.Temporary, RetryAfter: e.RetryAfter}
}

// directory is the people's bound identities.
type directory struct {
	mu     sync.Mutex
	addrs  map[notify.Recipient][]notify.Address
	marked []string
}

func (d *directory) Addresses(_ context.Context, kind notify.RecipientKind, id int64) ([]notify.Address, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]notify.Address(nil), d.addrs[notify.Recipient{Kind: kind, ID: id}]...), nil
}

func (d *directory) MarkUnreachable(_ context.Context, channel, user string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.marked = append(d.marked, channel+":"+user)
	return nil
}

// bind gives a cadre an Official Account identity that last wrote at
// lastMessage (nil: never).
func (e *env) bind(id int64, openid string, lastMessage *time.Time) notify.Recipient {
	to := notify.Recipient{Kind: notify.ToCadre, ID: id}
	e.dir.mu.Lock()
	defer e.dir.mu.Unlock()
	e.dir.addrs[to] = append(e.dir.addrs[to], notify.Address{Channel: "oa", UserID: openid, LastMessageAt: lastMessage, Reachable: true})
	return to
}

// reminder is a due reminder to to about business n.
func reminder(to notify.Recipient, n int) notify.Message {
	return notify.Message{
		Kind: "reminder.due", To: to, Subject: "business:" + strconv.Itoa(n), Cycle: "2026Q4", Stage: "t-7",
		Title: "本季度督导提醒", Fields: map[string]string{"due": "12月31日"},
		Text: "您包保的主体本季度尚未督导。", URL: "https://example.org/h5/tasks",
	}
}

func (e *env) enqueue(t testing.TB, msgs ...notify.Message) int {
	t.Helper()
	n, err := e.svc.Enqueue(t.Context(), msgs...)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return n
}

func (e *env) dispatch(t *testing.T, svc *notify.Service) (sent, retried, gaveUp int) {
	t.Helper()
	if svc == nil {
		svc = e.svc
	}
	sent, retried, gaveUp, err := svc.DispatchOnce(t.Context(), 100)
	if err != nil {
		t.Fatalf("DispatchOnce: %v", err)
	}
	return sent, retried, gaveUp
}

// all lists every notification, newest first.
func (e *env) all(t testing.TB) []notify.Notification {
	t.Helper()
	var out []notify.Notification
	for {
		ns, total, err := e.svc.List(t.Context(), notify.Filter{Limit: 500, Offset: len(out)})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		out = append(out, ns...)
		if len(ns) == 0 || int64(len(out)) >= total {
			return out
		}
	}
}

// only returns the single notification there is.
func (e *env) only(t *testing.T) notify.Notification {
	t.Helper()
	ns := e.all(t)
	if len(ns) != 1 {
		t.Fatalf("%d notifications, want 1", len(ns))
	}
	return ns[0]
}

// delivered counts, per client_msg_id, the template sends the fake put in
// front of a user.
func (e *env) delivered() map[string]int {
	out := map[string]int{}
	for _, c := range e.fake.CallsTo("/message/template/send") {
		if c.Delivered() {
			out[c.ClientMsgID]++
		}
	}
	return out
}

func countRows(t *testing.T, d *db.DB) int64 {
	t.Helper()
	var n int64
	if err := d.Gorm(t.Context()).Table("outbox").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
