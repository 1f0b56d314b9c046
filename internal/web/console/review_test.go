package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/review"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// flaggedVisits reports, as chat would, two on-site visits by one 胡埭镇
// cadre to two businesses a moment apart, the first sent from 20 km off
// (距离过远, 行程不可能), and one 蠡湖街道 visit from far off; then sweeps
// the flags as the review worker does.
func flaggedVisits(t *testing.T, a *webtest.App) (hudaiFar, hudaiNext, lihu *supervision.Visit, biz [3]registry.Business) {
	t.Helper()
	ctx := context.Background()
	submit := func(biz registry.Business, cadre int64, far bool) *supervision.Visit {
		t.Helper()
		in := webtest.QuickReport(a.App, biz.ID, cadre)
		if far && biz.Latitude != nil {
			in.Location = &supervision.Location{Lat: *biz.Latitude + 0.18, Lng: *biz.Longitude, Label: "远处"}
		}
		v, _, err := a.Supervision.Submit(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cadre, hb := cadreWithTwo(t, a, a.HudaiTown.Path)
	hudaiFar = submit(hb[0], cadre, true)
	hudaiNext = submit(hb[1], cadre, false)
	lc, lb := cadreWithTwo(t, a, a.LihuTown.Path)
	lihu = submit(lb[0], lc, true)
	biz = [3]registry.Business{hb[0], hb[1], lb[0]}
	for {
		n, err := a.Review.Sweep(ctx, 500)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	return
}

// cadreWithTwo is a cadre of the town with two located businesses.
func cadreWithTwo(t *testing.T, a *webtest.App, town string) (int64, []registry.Business) {
	t.Helper()
	ctx := context.Background()
	cs, _, err := a.Registry.FindCadres(ctx, registry.CadreFilter{ScopePath: town, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		bs, err := a.Registry.AssignedBusinesses(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var located []registry.Business
		for _, b := range bs {
			if b.Latitude != nil && b.Status == registry.StatusOperating {
				located = append(located, b)
			}
		}
		if len(located) >= 2 {
			return c.ID, located[:2]
		}
	}
	t.Fatal("no cadre with two located businesses")
	return 0, nil
}

func TestReviewPage(t *testing.T) {
	t.Parallel()
	a := webtest.Boot(t)
	far, next, lihu, biz := flaggedVisits(t, a)
	lihuBiz := biz[2]
	hudai := a.SignIn(t, a.Hudai)

	t.Run("Queue", func(t *testing.T) {
		hudai.Get("/console/review")
		if hudai.Status != http.StatusOK {
			t.Fatalf("review page = %d: %s", hudai.Status, hudai.Body)
		}
		text := hudai.Text()
		for _, want := range []string{"异常与抽查", "距离过远", "行程不可能", biz[0].Name, "异常较多的村(社区)", "异常较多的干部"} {
			if !strings.Contains(text, want) {
				t.Errorf("the queue does not say %q", want)
			}
		}
		for _, k := range review.Kinds {
			if strings.Contains(text, string(k)) {
				t.Errorf("the page shows the code %s", k)
			}
		}
		if !strings.Contains(hudai.Body, fmt.Sprintf(`data-visit="%d"`, far.ID)) || !strings.Contains(hudai.Body, fmt.Sprintf(`data-visit="%d"`, next.ID)) {
			t.Error("the 胡埭 visits are not in the queue")
		}
	})
	t.Run("Scope", func(t *testing.T) {
		hudai.Get("/console/review")
		if strings.Contains(hudai.Body, fmt.Sprintf(`data-visit="%d"`, lihu.ID)) || strings.Contains(hudai.Text(), lihuBiz.Name) {
			t.Error("a 胡埭 manager sees a 蠡湖 visit in the queue")
		}
		if hudai.Get(fmt.Sprintf("/console/review/%d", lihu.ID)); hudai.Status != http.StatusNotFound {
			t.Errorf("a 蠡湖 visit's evidence for a 胡埭 manager = %d, want 404", hudai.Status)
		}
		if hudai.Post(fmt.Sprintf("/console/review/%d", lihu.ID), url.Values{"outcome": {"confirmed"}}); hudai.Status != http.StatusNotFound {
			t.Errorf("judging a 蠡湖 visit as a 胡埭 manager = %d, want 404", hudai.Status)
		}
		lh := a.SignIn(t, a.Lihu)
		if lh.Get("/console/review"); !strings.Contains(lh.Body, fmt.Sprintf(`data-visit="%d"`, lihu.ID)) {
			t.Error("the 蠡湖 manager does not see his own flagged visit")
		}
	})
	t.Run("Filters", func(t *testing.T) {
		hudai.Get("/console/review?flag=far_from_site")
		if !strings.Contains(hudai.Body, fmt.Sprintf(`data-visit="%d"`, far.ID)) || strings.Contains(hudai.Body, fmt.Sprintf(`data-visit="%d"`, next.ID)) {
			t.Error("?flag=far_from_site does not keep exactly the far visit")
		}
		hudai.Get(fmt.Sprintf("/console/review?cadre=%d", far.CadreID))
		if !strings.Contains(hudai.Body, fmt.Sprintf(`data-visit="%d"`, next.ID)) {
			t.Error("?cadre= drops the cadre's visit")
		}
		if hudai.Get("/console/review?flag=nonsense"); hudai.Status != http.StatusBadRequest || !strings.Contains(hudai.Text(), "异常类型") {
			t.Errorf("an unknown flag = %d", hudai.Status)
		}
		if hudai.Get(fmt.Sprintf("/console/review?region=%d", a.LihuTown.ID)); hudai.Status != http.StatusNotFound {
			t.Errorf("a 蠡湖 region for a 胡埭 manager = %d, want 404", hudai.Status)
		}
	})
	t.Run("Evidence", func(t *testing.T) {
		hudai.Get(fmt.Sprintf("/console/review/%d", far.ID))
		if hudai.Status != http.StatusOK {
			t.Fatalf("evidence page = %d: %s", hudai.Status, hudai.Body)
		}
		text := hudai.Text()
		for _, want := range []string{"距离过远", "行程不可能", "该干部当天的督导", "位置示意", biz[1].Name, "公里"} {
			if !strings.Contains(text, want) && !strings.Contains(hudai.Body, want) {
				t.Errorf("the evidence page does not show %q", want)
			}
		}
		if !strings.Contains(hudai.Body, "<svg") {
			t.Error("no map sketch")
		}
	})
	t.Run("Judge", func(t *testing.T) {
		path := fmt.Sprintf("/console/review/%d", far.ID)
		hudai.Get(path)
		if hudai.Post(path, url.Values{"outcome": {"false"}}); hudai.Status != http.StatusBadRequest || !strings.Contains(hudai.Text(), "理由") {
			t.Fatalf("不属实 without a reason = %d", hudai.Status)
		}
		if hudai.Post(path, url.Values{"outcome": {"false"}, "note": {"定位与照片均不在现场"}}); hudai.Status != http.StatusSeeOther {
			t.Fatalf("不属实 = %d: %s", hudai.Status, hudai.Body)
		}
		counted := func() bool {
			t.Helper()
			var c []bool
			if err := a.DB.Gorm(context.Background()).Raw("SELECT counted FROM visits WHERE id = ?", far.ID).Scan(&c).Error; err != nil || len(c) != 1 {
				t.Fatal(err)
			}
			return c[0]
		}
		if counted() {
			t.Error("a visit judged 不属实 still counts")
		}
		hudai.Get(path + "?done=judged")
		if text := hudai.Text(); !strings.Contains(text, "不属实") || !strings.Contains(text, "定位与照片均不在现场") || !strings.Contains(text, "不计入覆盖") {
			t.Errorf("the page does not show the judgement: %s", text)
		}
		if n := auditCount(t, a, "visit.review", "user:"+a.Hudai); n != 1 {
			t.Errorf("%d audit entries of the review, want 1", n)
		}
		if hudai.Post(path, url.Values{"outcome": {"属实"}, "note": {"复核后确认在现场"}}); hudai.Status != http.StatusSeeOther {
			t.Fatalf("属实 = %d", hudai.Status)
		}
		if !counted() {
			t.Error("a visit judged 属实 again does not count")
		}
		viewer := a.SignIn(t, a.Viewer)
		viewer.Get(path)
		if viewer.Post(path, url.Values{"outcome": {"false"}, "note": {"x"}}); viewer.Status != http.StatusForbidden {
			t.Errorf("a viewer's judgement = %d, want 403", viewer.Status)
		}
	})
	t.Run("API", func(t *testing.T) {
		hudai.API(http.MethodGet, "/api/v1/visits?flag=far_from_site")
		if hudai.Status != http.StatusOK {
			t.Fatalf("API ?flag= = %d: %s", hudai.Status, hudai.Body)
		}
		var list struct {
			Items []struct {
				ID    int64    `json:"id"`
				Flags []string `json:"flags"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(hudai.Body), &list); err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, it := range list.Items {
			ids = append(ids, it.ID)
			if !slices.Contains(it.Flags, "far_from_site") {
				t.Errorf("visit %d listed for far_from_site has flags %v", it.ID, it.Flags)
			}
		}
		if !slices.Contains(ids, far.ID) || slices.Contains(ids, next.ID) || slices.Contains(ids, lihu.ID) {
			t.Errorf("API ?flag=far_from_site = %v; want %d, not %d nor the 蠡湖 %d", ids, far.ID, next.ID, lihu.ID)
		}
		if hudai.API(http.MethodGet, "/api/v1/visits?flag=bogus"); hudai.Status != http.StatusBadRequest {
			t.Errorf("API ?flag=bogus = %d, want 400", hudai.Status)
		}
		hudai.API(http.MethodGet, fmt.Sprintf("/api/v1/visits/%d", far.ID))
		var d struct {
			Flags  []string `json:"flags"`
			Review *struct {
				Outcome string `json:"outcome"`
				Note    string `json:"note"`
			} `json:"review"`
		}
		if err := json.Unmarshal([]byte(hudai.Body), &d); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(d.Flags, "far_from_site") || !slices.Contains(d.Flags, "impossible_travel") {
			t.Errorf("API flags = %v", d.Flags)
		}
		if d.Review == nil || d.Review.Outcome != "confirmed" {
			t.Errorf("API review = %+v, want confirmed", d.Review)
		}
		hudai.API(http.MethodGet, fmt.Sprintf("/api/v1/visits/%d", next.ID))
		if !strings.Contains(hudai.Body, `"review":null`) {
			t.Errorf("an unjudged visit's review is not null: %s", hudai.Body)
		}
	})
}
