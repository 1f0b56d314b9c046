package bot_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/configs"
	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/bot"
	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/demo/demotest"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/dialog/dialogtest"
	"github.com/shianbao/shianbao/internal/draft"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web/h5"
)

// district is the demo district with every service the bot talks to, on
// a clock fixed at 2026-11-28 09:00 China time, so transcripts are stable.
type district struct {
	d        *db.DB
	clk      *clock.Offset
	store    kv.Store
	reg      *registry.Service
	sup      *supervision.Service
	accounts *account.Service
	letters  *letter.Service
	cards    *card.Service
	self     *selfcheck.Service
	inc      *incident.Service
	bot      *bot.Bot
}

var now = time.Date(2026, 11, 28, 9, 0, 0, 0, clock.China)

// demoDistrict is the demo district seeded once for this package's tests.
var demoDistrict = demotest.District("bot", now, schemas()...)

// newDistrict builds the services over d, a copy of demoDistrict.
func newDistrict(t *testing.T, d *db.DB) *district {
	t.Helper()
	w := &district{d: d, clk: clock.NewFixed(now), store: kv.NewMemory()}
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
	w.accounts = account.NewService(d, w.store, w.reg, w.clk, []byte("bot-test-secret-0123456789"))
	outbox := notify.NewService(d, w.store, nil, notify.Senders{}, notify.Config{}, w.clk, nil)
	links := h5.Links{BaseURL: "https://sab.example", Secret: []byte("links-secret")}
	w.letters = letter.NewService(d, w.reg, w.sup, w.accounts, outbox, links, letter.DefaultConfig(), w.clk)
	w.sup.IssueLettersWith(w.letters)
	w.cards = card.NewService(d, w.reg, w.accounts, outbox, links, w.clk)
	if w.self, err = selfcheck.NewService(selfcheck.Deps{DB: d, Registry: w.reg, Accounts: w.accounts, Visits: w.sup,
		Letters: w.letters, Links: links, Clock: w.clk}); err != nil {
		t.Fatal(err)
	}
	if w.inc, err = incident.NewService(incident.Deps{DB: d, Registry: w.reg, Accounts: w.accounts, Outbox: outbox,
		BaseURL: "https://sab.example", Clock: w.clk}); err != nil {
		t.Fatal(err)
	}
	w.bot = bot.New(bot.Deps{
		Accounts: w.accounts, Registry: w.reg, Supervision: w.sup, KV: w.store,
		Query:   query.New(d).WithRules(w.sup.ReadRules(), w.clk),
		Letters: w.letters, Cards: w.cards, SelfCheck: w.self, Incidents: w.inc,
		Drafts: draft.NewStore(d, w.clk), Clock: w.clk,
		Links: h5.Links{BaseURL: "https://sab.example", Secret: []byte("links-secret")},
	})
	return w
}

func openDistrict(t *testing.T) *district {
	t.Helper()
	return newDistrict(t, demoDistrict.OpenSQLite(t))
}

func schemas() []db.Schema {
	return []db.Schema{registry.Schema, audit.Schema, account.Schema, supervision.Schema, draft.Schema, notify.Schema, letter.Schema, card.Schema, selfcheck.Schema, incident.Schema}
}

// cadreWithTasks finds a village cadre with at least three open tasks.
func (w *district) cadreWithTasks(t *testing.T) (registry.Cadre, []supervision.Task) {
	t.Helper()
	ctx := context.Background()
	cadres, _, err := w.reg.FindCadres(ctx, registry.CadreFilter{Limit: 300})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cadres {
		if c.Level != registry.CadreVillage {
			continue
		}
		tasks, err := w.sup.Tasks(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) >= 3 {
			return c, tasks
		}
	}
	t.Fatal("no village cadre with three open tasks in the demo district")
	return registry.Cadre{}, nil
}

// bind binds openid to a cadre or manager through the bot, as a user would.
func (w *district) bind(t *testing.T, openid string, role account.Role, id int64) {
	t.Helper()
	code, _, err := w.accounts.IssueCode(context.Background(), role, id, "test")
	if err != nil {
		t.Fatal(err)
	}
	out, err := w.bot.Handle(context.Background(), chat.Inbound{Channel: chat.ChannelOA, UserID: openid, Kind: chat.KindText, Text: "绑定 " + code, MsgKey: "bind-" + openid})
	if err != nil || !strings.Contains(out.Text, "绑定成功") {
		t.Fatalf("bind: %+v %v", out, err)
	}
}

// chat records a conversation of openid with the bot.
func (w *district) chat(t *testing.T, openid string) *dialogtest.T {
	t.Helper()
	c := dialogtest.NewFunc(t, func(ctx context.Context, in dialog.Input) (dialog.Reply, bool, error) {
		m := chat.Inbound{Channel: chat.ChannelOA, UserID: openid, MsgKey: in.ID, Time: in.At, Kind: chat.KindText, Text: in.Text}
		// Test conventions for what is not text: "[语音]…" is a voice
		// message with WeChat's recognition, "[点击菜单] KEY" a menu click.
		if rest, ok := strings.CutPrefix(in.Text, "[语音]"); ok {
			m.Kind, m.Text = chat.KindVoice, rest
		}
		if key, ok := strings.CutPrefix(in.Text, "[点击菜单] "); ok {
			m.Kind, m.Event, m.EventKey, m.Text = chat.KindEvent, chat.EventClick, key, ""
		}
		switch {
		case in.Photo != nil:
			m.Kind, m.MediaID, m.PicURL = chat.KindImage, in.Photo.MediaID, in.Photo.PicURL
		case in.Location != nil:
			m.Kind, m.Latitude, m.Longitude, m.Label = chat.KindLocation, in.Location.Lat, in.Location.Lng, in.Location.Label
		}
		out, err := w.bot.Handle(ctx, m)
		return dialog.Reply{Text: out.Text, Articles: out.Articles, Menu: out.Menu}, true, err
	})
	c.Clock = w.clk
	return c
}

func TestVisitHappyPath(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-cadre", account.RoleCadre, cadre.ID)
	biz, err := w.reg.Business(ctx, tasks[0].BusinessID)
	if err != nil {
		t.Fatal(err)
	}

	c := w.chat(t, "o-cadre")
	c.Say("我的任务")
	c.Say("上报督导")
	c.Again() // the platform redelivers: the flow must not advance twice
	c.Say("1")
	c.Say("现场")
	c.Say("1")
	c.Say("1")
	c.Say("2")
	c.Say("全部合格")
	c.Say("后厨地面积水，防蝇帘缺失")
	c.Photo("media-evidence-1")
	c.Photo("media-evidence-2")
	c.Say("完成")
	c.Location(*biz.Latitude+0.0003, *biz.Longitude+0.0003, "门店附近")
	c.Say("1")
	c.Say("确认")
	c.Golden("visit_happy")

	covered, _, err := w.sup.Covered(ctx, biz.ID)
	if err != nil || !covered {
		t.Fatalf("business not covered after the report: %v", err)
	}
	rects, err := w.sup.OpenRectifications(ctx, cadre.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rects {
		if r.BusinessID == biz.ID && strings.Contains(r.Description, "积水") {
			found = true
		}
	}
	if !found {
		t.Fatalf("the finding's rectification is not open: %+v", rects)
	}
	vs, err := w.sup.RecentVisits(ctx, cadre.ID, 1)
	if err != nil || len(vs) != 1 {
		t.Fatalf("recent visits: %+v %v", vs, err)
	}
	detail, err := w.sup.Visit(ctx, vs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(detail.Photos) != 2 || detail.DistanceM == nil || detail.Far {
		t.Fatalf("photos %d, distance %v far %v", len(detail.Photos), detail.DistanceM, detail.Far)
	}
}

func TestVisitBadInputEverywhere(t *testing.T) {
	w := openDistrict(t)
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-bad", account.RoleCadre, cadre.ID)
	biz, _ := w.reg.Business(context.Background(), tasks[0].BusinessID)

	c := w.chat(t, "o-bad")
	c.Say("上报督导")
	c.Say("99")
	c.Say("不存在的店")
	c.Say("1")
	c.Say("飞行")
	c.Say("现场")
	c.Say("三")
	c.Say("快速")
	c.Say("也许")
	c.Say("不知道")
	c.Say("还是不知道")
	c.Say("帮助")
	c.Say("2")
	c.Say("全部合格")
	c.Say(strings.Repeat("长", 501))
	c.Say("冷藏柜温度过高")
	c.Say("好的")
	c.Say("我在店里")
	c.Location(*biz.Latitude+0.02, *biz.Longitude, "很远的地方")
	c.Say("也许")
	// Back past the steps not asked (contact, status, location) to the deadline.
	c.Say("返回")
	c.Say("返回")
	c.Say("返回")
	c.Say("返回")
	c.Say("2020-01-01")
	c.Say("明年")
	c.Say("3天")
	c.Say("不变")
	c.Say("2")
	c.Say("停产停业")
	c.Say("装修，预计下月恢复") // back at the summary: one change, not a second walk
	c.Say("对接人")
	c.Say(strings.Repeat("名", 40))
	c.Say("王店长")
	c.Say("否")
	c.Say("确认")
	c.Golden("visit_bad_input")

	b, _ := w.reg.Business(context.Background(), biz.ID)
	if b.Status != registry.StatusSuspended {
		t.Fatalf("停产停业 seen on the visit did not suspend the business: %s", b.Status)
	}
}

func TestVisitBackCancelInterruptResume(t *testing.T) {
	w := openDistrict(t)
	cadre, _ := w.cadreWithTasks(t)
	w.bind(t, "o-nav", account.RoleCadre, cadre.ID)

	c := w.chat(t, "o-nav")
	c.Say("上报督导")
	c.Say("2")
	c.Say("在线")
	c.Say("返回")
	c.Say("不变")
	c.Say("1")
	c.Say("我的任务") // an interruption: answered, then the question again
	c.Say("1")
	c.Note("半小时后再来（会话过期，草稿保留）")
	w.clk.Advance(31 * time.Minute)
	c.Say("1")
	c.Say("1")
	c.Say("2")
	c.Say("取消")
	c.Say("上报督导")
	c.Say("取消")
	c.Golden("visit_navigation")
}

func TestVisitNotAssigned(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	cadre, _ := w.cadreWithTasks(t)
	w.bind(t, "o-mine", account.RoleCadre, cadre.ID)
	// A business packed by someone else.
	all := demotest.Businesses(t, w.d, query.BusinessFilter{Limit: 200})
	var other registry.Business
	for _, b := range all {
		if a, err := w.reg.CurrentAssignment(ctx, b.ID); err == nil && a.CadreID != cadre.ID {
			other = b
			break
		}
	}
	c := w.chat(t, "o-mine")
	c.Say("上报督导")
	c.Say(other.Name)
	c.Say("取消")
	out := c.Transcript()
	if !strings.Contains(out, "不是您包保的主体") || !strings.Contains(out, "联系") {
		t.Fatalf("refusal does not name whom to ask:\n%s", out)
	}
	c.Golden("visit_not_assigned")
}

func TestManagerProgressAndOverdue(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	offices, err := w.reg.Offices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var hudai registry.Office
	for _, o := range offices {
		if o.ShortName == "胡埭" {
			hudai = o
		}
	}
	ms, err := w.reg.Managers(ctx, hudai.ID)
	if err != nil || len(ms) == 0 {
		t.Fatalf("no manager for 胡埭: %v", err)
	}
	w.bind(t, "o-manager", account.RoleManager, ms[0].ID)
	c := w.chat(t, "o-manager")
	c.Say("进度")
	c.Say("进度 干部")
	c.Say("下一页")
	c.Say("逾期")
	c.Say("上报督导")
	c.Golden("manager_progress")
}

// TestDistrictManagerProgress: a district office's 进度 lists its towns
// first, the villages on request.
func TestDistrictManagerProgress(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	offices, err := w.reg.Offices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var district *registry.Office
	for i, o := range offices {
		if strings.HasPrefix(o.Name, "滨湖区") {
			district = &offices[i]
		}
	}
	if district == nil {
		t.Fatal("no office of 滨湖区")
	}
	ms, err := w.reg.Managers(ctx, district.ID)
	if err != nil || len(ms) == 0 {
		t.Fatalf("no manager for 滨湖区: %v", err)
	}
	w.bind(t, "o-district", account.RoleManager, ms[0].ID)
	c := w.chat(t, "o-district")
	c.Say("进度")
	c.Say("进度 村")
	c.Say("下一页")
	c.Golden("manager_district_progress")
}

func TestRecheck(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	cadre, _ := w.cadreWithTasks(t)
	w.bind(t, "o-recheck", account.RoleCadre, cadre.ID)
	c := w.chat(t, "o-recheck")
	// A report with one finding gives a rectification to follow up.
	c.Say("上报督导")
	c.Say("1")
	c.Say("1")
	c.Say("1")
	c.Say("2")
	c.Say("全部合格")
	c.Say("健康证过期")
	c.Say("跳过")
	c.Say("跳过")
	c.Say("2")
	c.Say("确认")
	c.Say("整改跟踪")
	c.Say("家家乐")
	c.Say("1")
	c.Photo("media-fixed-1")
	c.Say("完成")
	c.Say("已办理新的健康证")
	c.Say("整改跟踪")
	c.Golden("recheck")
	rects, err := w.sup.OpenRectifications(ctx, cadre.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rects {
		if strings.Contains(r.Description, "健康证过期") {
			t.Fatalf("rectified item still open: %+v", r)
		}
	}
}

// TestMain drops the MySQL template of the demo district after the tests.
func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
