package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/dialog/dialogtest"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Reports said in one message: each transcript ends with the number of
// user actions it took, and the targets are asserted — a clean on-site
// visit with its location in three, one finding with a photo in six.

// atMost fails when the conversation took more user actions than target.
func atMost(t *testing.T, c *dialogtest.T, target int) {
	t.Helper()
	c.Note("用户操作：%d次（目标不超过%d次）", c.Actions(), target)
	if n := c.Actions(); n > target {
		t.Fatalf("%d user actions, the target is %d:\n%s", n, target, c.Transcript())
	}
}

// taskBusiness is the cadre's n-th open task (1-based) as a business.
func (w *district) taskBusiness(t testing.TB, tasks []supervision.Task, n int) *registry.Business {
	t.Helper()
	biz, err := w.reg.Business(context.Background(), tasks[n-1].BusinessID)
	if err != nil {
		t.Fatal(err)
	}
	return biz
}

// lastVisit is the cadre's latest visit in full.
func (w *district) lastVisit(t *testing.T, cadreID int64) *supervision.VisitDetail {
	t.Helper()
	ctx := context.Background()
	vs, err := w.sup.RecentVisits(ctx, cadreID, 1)
	if err != nil || len(vs) != 1 {
		t.Fatalf("recent visits: %+v %v", vs, err)
	}
	v, err := w.sup.Visit(ctx, vs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOneMessageCleanVisit(t *testing.T) {
	w := openDistrict(t)
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-quick", account.RoleCadre, cadre.ID)
	biz := w.taskBusiness(t, tasks, 1) // 胡埭家家乐麻辣烫

	c := w.chat(t, "o-quick")
	c.Say("上报 家家乐 现场 合格")
	c.Location(*biz.Latitude+0.0003, *biz.Longitude+0.0003, "门店附近")
	c.Tap("确认")
	atMost(t, c, 3)
	c.Golden("visit_one_message")
	v := w.lastVisit(t, cadre.ID)
	if v.BusinessID != biz.ID || v.Mode != supervision.ModeOnsite || len(v.Findings) != 0 || v.DistanceM == nil || strings.Contains(v.Remarks, "加报") {
		t.Fatalf("visit %+v", v.Visit)
	}

	// The same again this quarter: said so, and recorded as an extra visit.
	e := w.chat(t, "o-quick")
	e.Say("上报 家家乐 现场 合格")
	e.Tap("否")
	e.Say("上报 家家乐 现场 合格")
	e.Say("1")
	e.Location(*biz.Latitude, *biz.Longitude, "门店")
	e.Say("确认")
	e.Golden("visit_extra")
	if v := w.lastVisit(t, cadre.ID); v.BusinessID != biz.ID || !strings.Contains(v.Remarks, "加报") {
		t.Fatalf("extra visit not marked: %+v", v.Visit)
	}
}

func TestOneMessageFinding(t *testing.T) {
	w := openDistrict(t)
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-finding", account.RoleCadre, cadre.ID)
	biz := w.taskBusiness(t, tasks, 2) // 胡埭邵娣干货店

	c := w.chat(t, "o-finding")
	c.Say("上报 邵娣 现场 2有问题 两名员工健康证过期")
	c.Photo("media-health")
	c.Say("完成")
	c.Location(*biz.Latitude, *biz.Longitude, "门店")
	c.Tap("是")
	c.Tap("确认")
	atMost(t, c, 6)
	c.Golden("visit_one_finding")
	v := w.lastVisit(t, cadre.ID)
	if v.BusinessID != biz.ID || len(v.Findings) != 1 || !strings.Contains(v.Findings[0].Description, "健康证") || len(v.Photos) != 1 {
		t.Fatalf("visit %+v, findings %+v, photos %d", v.Visit, v.Findings, len(v.Photos))
	}
}

// TestOneMessageVariants: by task number (typed after 上报, or alone right
// after 我的任务), a name that fits several (a pick list, never a guess),
// a status change in the message, a number that is no item, and voice.
func TestOneMessageVariants(t *testing.T) {
	w := openDistrict(t)
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-variants", account.RoleCadre, cadre.ID)

	c := w.chat(t, "o-variants")
	c.Say("上报 3")
	c.Tap("在线督导")
	c.Say("快速")
	c.Say("全部合格")
	c.Say("确认")
	c.Say("我的任务")
	c.Say("2")
	c.Say("取消")
	c.Say("上报 胡埭 在线 合格")
	c.Say("黄记")
	c.Say("确认")
	c.Say("上报 阿海 在线 合格 搬迁 梅梁路88号")
	c.Say("确认")
	c.Say("上报 2 在线 9有问题 地面湿滑")
	c.Say("取消")
	c.Say("[语音]上报邵娣现场第一项有问题，冷柜温度过高。")
	c.Say("[语音]跳过")
	c.Say("[语音]取消")
	c.Golden("visit_one_message_variants")

	moved := w.taskBusiness(t, tasks, 4)
	v := w.lastVisit(t, cadre.ID)
	if v.BusinessID != moved.ID || v.StatusSeen != registry.EventRelocated || !strings.Contains(v.StatusNote, "梅梁路88号") {
		t.Fatalf("relocation in one message: %+v", v.Visit)
	}
}
