package bot_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/draft"
)

// testdata/legacy_visit_session.json is a visit session as the version
// before typed flow state stored it in kv (every value a string under its
// key), saved by TestVisitHappyPath's steps just after the location. A
// session or draft left by that version at upgrade time must carry on
// with the same business, distance and answers.
func legacyVisitSession(t *testing.T) (raw string, businessID int64) {
	t.Helper()
	b, err := os.ReadFile("testdata/legacy_visit_session.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b), 65
}

// send is one message with a delivery id of its own (the stored session
// remembers the ids the old version saw).
func send(t *testing.T, w *district, openid, key, text string) string {
	t.Helper()
	out, err := w.bot.Handle(context.Background(), chat.Inbound{Channel: chat.ChannelOA, UserID: openid, MsgKey: key, Kind: chat.KindText, Text: text})
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	return out.Text
}

func TestVisitSessionOfEarlierVersionResumes(t *testing.T) {
	for _, from := range []string{"kv", "draft"} {
		t.Run(from, func(t *testing.T) {
			w := openDistrict(t)
			ctx := context.Background()
			cadre, _ := w.cadreWithTasks(t)
			raw, bizID := legacyVisitSession(t)
			if !strings.Contains(raw, fmt.Sprintf(`"cadre_id":"%d"`, cadre.ID)) {
				t.Fatalf("the demo district changed: cadre %d is not the one in the stored session", cadre.ID)
			}
			biz, err := w.reg.Business(ctx, bizID)
			if err != nil {
				t.Fatal(err)
			}
			w.bind(t, "o-cadre", account.RoleCadre, cadre.ID)
			switch from {
			case "kv":
				if err := w.store.Set(ctx, "dlg:s:oa:o-cadre", raw, 30*time.Minute); err != nil {
					t.Fatal(err)
				}
			case "draft":
				d := dialog.Draft{User: "oa:o-cadre", Flow: "visit", Label: biz.Name, State: []byte(raw),
					UpdatedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour)}
				if err := draft.NewStore(w.d, w.clk).Save(ctx, d); err != nil {
					t.Fatal(err)
				}
				w.clk.Advance(2 * time.Hour) // the kv session is long gone
				must(t, send(t, w, "o-cadre", "new-0", "你好"), "继续上次「"+biz.Name+"」的督导（经营状态）吗")
				// The distance comes back from the stored "distance":"44".
				must(t, send(t, w, "o-cadre", "new-1", "继续"), "接着上次的督导继续", "距登记地址约44米", "门店当前经营状态")
			}
			send(t, w, "o-cadre", "new-2", "1")
			// The contact is not asked any more: the letter comes next.
			must(t, send(t, w, "o-cadre", "new-4", "1"), "主体："+biz.Name, "问题1", "距登记地址约44米")
			must(t, send(t, w, "o-cadre", "new-5", "确认"), "督导已提交："+biz.Name, "提示函")

			vs, err := w.sup.RecentVisits(ctx, cadre.ID, 1)
			if err != nil || len(vs) != 1 {
				t.Fatalf("recent visits: %+v %v", vs, err)
			}
			v, err := w.sup.Visit(ctx, vs[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if v.BusinessID != bizID || v.CadreID != cadre.ID || v.DistanceM == nil || v.Far || len(v.Photos) != 1 {
				t.Fatalf("visit %+v, distance %v", v, v.DistanceM)
			}
			if covered, _, _ := w.sup.Covered(ctx, bizID); !covered {
				t.Fatal("business not covered")
			}
		})
	}
}
