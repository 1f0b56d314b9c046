package bot_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/configs"
	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/dialog"
)

// menuKeys are the click keys of the cadre's menu and the default one
// (configs/menu.json, as shipped): every button a cadre can tap.
func menuKeys(t *testing.T) []string {
	t.Helper()
	raw, err := configs.FS.ReadFile("menu.json")
	if err != nil {
		t.Fatal(err)
	}
	type button struct {
		Type, Key string
		Sub       []button `json:"sub_button"`
	}
	type menu struct {
		Button []button `json:"button"`
	}
	var m struct {
		Default menu            `json:"default"`
		Roles   map[string]menu `json:"roles"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func([]button)
	walk = func(bs []button) {
		for _, b := range bs {
			if b.Type == "click" && !slices.Contains(keys, b.Key) {
				keys = append(keys, b.Key)
			}
			walk(b.Sub)
		}
	}
	walk(m.Roles["cadre"].Button)
	walk(m.Default.Button)
	if len(keys) < 5 {
		t.Fatalf("the cadre's menu has %d buttons: %v", len(keys), keys)
	}
	return keys
}

// TestTapEveryMenuAtEveryStep taps every menu button at every step of a
// report with a finding and a photo — answering what each asks so as to
// stay (否 to switching, 继续 to the offer) — then switches away to
// 整改跟踪 and comes back with 上报督导. The report is never lost: it
// submits with everything said before the taps.
func TestTapEveryMenuAtEveryStep(t *testing.T) {
	w := openDistrict(t)
	ctx := context.Background()
	cadre, tasks := w.cadreWithTasks(t)
	w.bind(t, "o-tapper", account.RoleCadre, cadre.ID)
	biz := w.taskBusiness(t, tasks, 1)
	script := []dialog.Input{
		{Text: "上报督导"}, {Text: "1"}, {Text: "现场"}, {Text: "快速"}, {Text: "1"}, {Text: "2"}, {Text: "全部合格"},
		{Text: "后厨地面积水"}, {Photo: &dialog.Photo{MediaID: "media-tap", PicURL: "https://img.example/media-tap"}},
		{Text: "完成"}, {Location: &dialog.Location{Lat: *biz.Latitude, Lng: *biz.Longitude, Label: "门店"}},
		{Text: "2"}, {Text: "确认"},
	}
	keys := menuKeys(t)
	c := w.chat(t, "o-tapper")
	// answer keeps the report after a tap: 否 to switching, 继续 to the offer.
	answer := func() {
		t.Helper()
		switch r := c.Reply().Text; {
		case strings.Contains(r, "是要切换到"):
			c.Tap("否")
		case strings.Contains(r, "？回复 1 继续 / 2 重新开始"):
			c.Tap("继续")
		}
	}
	tap := func(key string) { t.Helper(); c.Say("[点击菜单] " + key) }
	c.Send(script[0])
	for i, in := range script[1:] {
		for _, key := range keys {
			tap(key)
			answer()
		}
		// Away and back: the report waits aside.
		tap("RECTIFICATIONS")
		if strings.Contains(c.Reply().Text, "是要切换到") {
			c.Tap("是")
		}
		tap("REPORT_VISIT")
		answer()
		for _, bad := range []string{"没有看懂", "已取消", "已放弃"} {
			if strings.Contains(c.Transcript(), bad) {
				t.Fatalf("before step %d a tap lost or misread the report (%s):\n%s", i+1, bad, c.Transcript())
			}
		}
		c.Send(in)
	}
	if testing.Verbose() {
		t.Log(c.Transcript())
	}
	if !strings.Contains(c.Reply().Text, "督导已提交") {
		t.Fatalf("the report did not submit:\n%s", c.Transcript())
	}
	v := w.lastVisit(t, cadre.ID)
	if v.BusinessID != biz.ID || len(v.Findings) != 1 || v.Findings[0].Description != "后厨地面积水" || len(v.Photos) != 1 || v.Latitude == nil {
		t.Fatalf("visit after the taps: %+v findings %+v photos %d", v.Visit, v.Findings, len(v.Photos))
	}
	if covered, _, err := w.sup.Covered(ctx, biz.ID); err != nil || !covered {
		t.Fatalf("not covered: %v", err)
	}
}
