package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/bot"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/draft"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web/h5"
)

// TestPledgeCommand: 承诺书 (typed, or the cadre's menu) answers with a
// card linking to the signer's own pledge page; after signing it says so.
func TestPledgeCommand(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	if _, err := w.d.Migrate(ctx, pledge.Schema); err != nil {
		t.Fatal(err)
	}
	store, err := media.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	links := h5.Links{BaseURL: "https://sab.example", Secret: []byte("links-secret")}
	pledges, err := pledge.NewService(pledge.Deps{DB: w.d, Registry: w.reg, Accounts: w.accounts, Media: store, Links: links, Clock: w.clk})
	if err != nil {
		t.Fatal(err)
	}
	w.bot = bot.New(bot.Deps{
		Accounts: w.accounts, Registry: w.reg, Supervision: w.sup, KV: w.store,
		Query:   query.New(w.d).WithRules(w.sup.ReadRules(), w.clk),
		Letters: w.letters, Cards: w.cards, SelfCheck: w.self, Pledges: pledges,
		Drafts: draft.NewStore(w.d, w.clk), Clock: w.clk, Links: links,
	})
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-pledge-cadre", account.RoleCadre, cadre.ID)
	contact, err := w.accounts.EnsureContact(ctx, tasks[0].BusinessID, account.ContactPrincipal)
	if err != nil {
		t.Fatal(err)
	}
	w.bind(t, "o-pledge-shop", account.RoleContact, contact.ID)

	shop := w.chat(t, "o-pledge-shop")
	out := shop.Say("承诺书")
	if len(out.Articles) != 1 || !strings.Contains(out.Articles[0].Title, "食品安全主体责任承诺书") ||
		!strings.Contains(out.Articles[0].Title, tasks[0].Name) || !strings.Contains(out.Articles[0].Description, "尚未签署") ||
		!strings.Contains(out.Articles[0].URL, "/h5/pledges/business/") || !strings.Contains(out.Articles[0].URL, "r=contact") {
		t.Fatalf("承诺书 answered the business %+v", out)
	}
	if _, err := pledges.Sign(ctx, pledge.KindBusiness, tasks[0].BusinessID, pledge.Signature{
		Signer: registry.ActorOf("contact", contact.ID), Name: "陈七", Typed: "陈七"}); err != nil {
		t.Fatal(err)
	}
	if out := shop.Say("承诺书"); len(out.Articles) != 1 || !strings.Contains(out.Articles[0].Description, "已于2026年11月28日签署") {
		t.Fatalf("after signing %+v", out)
	}

	menu, err := w.bot.Handle(ctx, chat.Inbound{Channel: chat.ChannelOA, UserID: "o-pledge-cadre", Kind: chat.KindEvent, Event: chat.EventClick, EventKey: "PLEDGE"})
	if err != nil || len(menu.Articles) != 1 || !strings.Contains(menu.Articles[0].Title, "包保责任承诺书") || !strings.Contains(menu.Articles[0].URL, "/h5/pledges/cadre/") {
		t.Fatalf("the cadre's menu answered %+v %v", menu, err)
	}

	stranger := w.chat(t, "o-pledge-nobody")
	if got := stranger.Say("承诺书").Text; strings.Contains(got, "承诺书由包保干部") {
		t.Fatalf("an unbound user is told of pledges before binding: %q", got)
	}
	// A manager signs none and is told where to see them.
	var managers []int64
	w.d.Gorm(ctx).Table("managers").Where("active = ?", true).Order("id").Limit(1).Pluck("id", &managers)
	if len(managers) == 0 {
		t.Fatal("no manager in the demo district")
	}
	w.bind(t, "o-pledge-manager", account.RoleManager, managers[0])
	if got := w.chat(t, "o-pledge-manager").Say("承诺书").Text; !strings.Contains(got, "管理后台") {
		t.Fatalf("a manager's 承诺书: %q", got)
	}
}
