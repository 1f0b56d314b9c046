package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/bot"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/registry"
)

type world struct {
	bot      *bot.Bot
	accounts *account.Service
	reg      *registry.Service
	cadre    registry.Cadre
}

func newWorld(t *testing.T) *world {
	t.Helper()
	d := openDistrict(t)
	cadres, _, err := d.reg.FindCadres(context.Background(), registry.CadreFilter{Limit: 1})
	if err != nil || len(cadres) == 0 {
		t.Fatal("no cadre in the demo district", err)
	}
	return &world{bot: d.bot, accounts: d.accounts, reg: d.reg, cadre: cadres[0]}
}

func (w *world) say(t *testing.T, user, text string) string {
	t.Helper()
	out, err := w.bot.Handle(context.Background(), chat.Inbound{Channel: chat.ChannelOA, UserID: user, Kind: chat.KindText, Text: text})
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	return out.Text
}

func (w *world) event(t *testing.T, user string, ev chat.Event, key string) chat.Outbound {
	t.Helper()
	out, err := w.bot.Handle(context.Background(), chat.Inbound{Channel: chat.ChannelOA, UserID: user, Kind: chat.KindEvent, Event: ev, EventKey: key})
	if err != nil {
		t.Fatalf("%s: %v", ev, err)
	}
	return out
}

func must(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Fatalf("reply does not contain %q:\n%s", w, got)
		}
	}
}

func TestStrangerBindsWithCode(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	must(t, w.say(t, "o-stranger", "你好"), "绑定", "8位绑定码")
	must(t, w.event(t, "o-stranger", chat.EventSubscribe, "").Text, "包保督导服务号")

	code, _, err := w.accounts.IssueCode(ctx, account.RoleCadre, w.cadre.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	must(t, w.say(t, "o-stranger", "绑定 WRONG234"), "绑定码不正确")
	must(t, w.say(t, "o-stranger", "绑定"), "绑定 + 8位绑定码")
	must(t, w.say(t, "o-stranger", "绑定："+strings.ToLower(code)), "绑定成功", "包保干部", w.cadre.Name)
	must(t, w.say(t, "o-stranger", "我是谁"), w.cadre.Name)
	must(t, w.say(t, "o-stranger", "随便说点什么"), "没有看懂", "帮助")
	must(t, w.say(t, "o-other", "绑定 "+code), "已使用")
	must(t, w.say(t, "o-stranger", "解绑"), "确定要解除", "1 解除绑定 / 2 不解除")
	must(t, w.say(t, "o-stranger", "不"), "未解除绑定")
	must(t, w.say(t, "o-stranger", "我是谁"), w.cadre.Name)
	must(t, w.say(t, "o-stranger", "解绑"), "确定要解除")
	must(t, w.say(t, "o-stranger", "是"), "已解除绑定", w.cadre.Name)
	must(t, w.say(t, "o-stranger", "解绑"), "还没有绑定")
}

func TestBareCodeBinds(t *testing.T) {
	w := newWorld(t)
	code, _, err := w.accounts.IssueCode(context.Background(), account.RoleCadre, w.cadre.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	must(t, w.say(t, "o-bare", code[:4]+" "+code[4:]), "绑定成功")
}

func TestQRBindsOnSubscribeAndScan(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	scene, err := w.accounts.IssueQRToken(ctx, account.RoleCadre, w.cadre.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	must(t, w.event(t, "o-qr", chat.EventSubscribe, scene).Text, "绑定成功", w.cadre.Name)
	ids, _ := w.accounts.Identities(ctx, chat.ChannelOA, "o-qr")
	if len(ids) != 1 {
		t.Fatalf("identities after QR subscribe: %+v", ids)
	}
	forged := scene[:len(scene)-1] + "A"
	if forged == scene {
		forged = scene[:len(scene)-1] + "B"
	}
	must(t, w.event(t, "o-qr2", chat.EventScan, forged).Text, "二维码无效")
}

func TestUnsubscribeIsQuietAndMarksUnreachable(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	code, _, _ := w.accounts.IssueCode(ctx, account.RoleCadre, w.cadre.ID, "test")
	w.say(t, "o-leaving", "绑定 "+code)
	if out := w.event(t, "o-leaving", chat.EventUnsubscribe, ""); !out.Empty() {
		t.Fatalf("unsubscribe answered %+v", out)
	}
	ids, _ := w.accounts.IdentitiesOfSubject(ctx, account.RoleCadre, w.cadre.ID)
	if len(ids) != 1 || ids[0].Reachable {
		t.Fatalf("after unsubscribe: %+v", ids)
	}
}

func TestOtherKinds(t *testing.T) {
	w := newWorld(t)
	out, err := w.bot.Handle(context.Background(), chat.Inbound{Channel: chat.ChannelOA, UserID: "o-x", Kind: chat.KindUnknown})
	if err != nil || !strings.Contains(out.Text, "暂时只能处理") {
		t.Fatalf("unknown kind: %+v %v", out, err)
	}
	out, _ = w.bot.Handle(context.Background(), chat.Inbound{Channel: chat.ChannelOA, UserID: "o-x", Kind: chat.KindVoice})
	must(t, out.Text, "没有听清")
	must(t, w.event(t, "o-x", chat.EventClick, "BIND").Text, "8位绑定码")
}
