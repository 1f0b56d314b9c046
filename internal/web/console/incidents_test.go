package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// reportIn reports an incident at the first operating business of a town,
// by its cadre, and returns it with the business's name.
func reportIn(t *testing.T, a *webtest.App, town registry.Region, key string, kind incident.Kind) (*incident.Incident, string) {
	t.Helper()
	ctx := t.Context()
	bs, _, err := a.Query.Businesses(ctx, query.BusinessFilter{ScopePath: town.Path, Status: string(registry.StatusOperating), Limit: 1})
	if err != nil || len(bs) == 0 {
		t.Fatalf("businesses of %s: %v", town.Name, err)
	}
	inc, _, err := a.Incidents.Report(ctx, incident.Report{Key: key + webtest.RandHex(4), Kind: kind, BusinessID: bs[0].ID,
		Description: "测试事件：" + town.Name, Affected: 3, Reporter: registry.ActorOf("cadre", bs[0].CadreID)})
	if err != nil {
		t.Fatal(err)
	}
	return inc, bs[0].Name
}

// TestIncidentPages: 胡埭镇's manager lists, opens and moves his town's
// incident through every state; 蠡湖街道's stays out of his sight and
// reach, also in the error pages; a viewer cannot act; pages and the API
// speak in words.
func TestIncidentPages(t *testing.T) {
	a := webtest.Boot(t)
	mine, mineName := reportIn(t, a, a.HudaiTown, "hd-", incident.Poisoning)
	theirs, theirName := reportIn(t, a, a.LihuTown, "lh-", incident.Complaint)
	hudai := a.SignIn(t, a.Hudai)

	hudai.Get("/console/incidents")
	if hudai.Status != http.StatusOK || !strings.Contains(hudai.Text(), mineName) || strings.Contains(hudai.Text(), theirName) {
		t.Fatalf("list = %d:\n%s", hudai.Status, hudai.Text())
	}
	for _, code := range []string{"poisoning", "reported", "undefined", "cadre:"} {
		if strings.Contains(hudai.Text(), code) {
			t.Fatalf("the list shows %q", code)
		}
	}
	for _, path := range []string{fmt.Sprintf("/console/incidents/%d", theirs.ID), fmt.Sprintf("/console/incidents/%d/photos/1", theirs.ID)} {
		hudai.Get(path)
		if hudai.Status != http.StatusNotFound || strings.Contains(hudai.Body, theirName) || strings.Contains(hudai.Body, "测试事件：蠡湖") {
			t.Fatalf("GET %s as 胡埭 = %d", path, hudai.Status)
		}
	}
	page := fmt.Sprintf("/console/incidents/%d", mine.ID)
	hudai.Get(page) // for the form's token
	hudai.Post(fmt.Sprintf("/console/incidents/%d/step", theirs.ID), url.Values{"action": {"next"}, "note": {"抢着受理"}})
	if hudai.Status != http.StatusNotFound || strings.Contains(hudai.Body, theirName) {
		t.Fatalf("POST on 蠡湖's incident as 胡埭 = %d", hudai.Status)
	}
	if got, _ := a.Incidents.InScope(t.Context(), theirs.ID, ""); got.State != incident.Reported {
		t.Fatalf("蠡湖's incident moved to %s", got.State)
	}

	hudai.Get(page)
	if hudai.Status != http.StatusOK || !strings.Contains(hudai.Text(), "疑似食物中毒") || !strings.Contains(hudai.Body, `value="next"`) {
		t.Fatalf("detail = %d:\n%s", hudai.Status, hudai.Text())
	}
	step := func(note string, want int) {
		t.Helper()
		hudai.Get(page)
		hudai.Post(page+"/step", url.Values{"action": {"next"}, "note": {note}})
		if hudai.Status != want {
			t.Fatalf("step %q = %d, want %d:\n%s", note, hudai.Status, want, hudai.Text())
		}
	}
	step("已受理，派员前往", http.StatusSeeOther)
	step("", http.StatusSeeOther)
	step("", http.StatusBadRequest)
	if !strings.Contains(hudai.Text(), "办结前请填写处置结果") {
		t.Fatalf("refused close says:\n%s", hudai.Text())
	}
	step("已送检，责令整改", http.StatusSeeOther)
	hudai.Get(page)
	text := hudai.Text()
	for _, want := range []string{"已受理", "处置中", "已办结", "已受理，派员前往", "已送检，责令整改"} {
		if !strings.Contains(text, want) {
			t.Fatalf("detail lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(hudai.Body, `value="next"`) {
		t.Fatal("a closed incident still offers a step")
	}
	var audits int64
	if err := a.DB.Gorm(t.Context()).Table("audit_log").Where("subject_type = ? AND subject_id = ? AND actor = ?",
		incident.AuditSubject, mine.ID, "user:"+a.Hudai).Count(&audits).Error; err != nil || audits != 3 {
		t.Fatalf("%d audit entries by the manager, want 3 (%v)", audits, err)
	}

	hudai.Get("/console/audit")
	if text := hudai.Text(); !strings.Contains(text, "办结应急事件") || strings.Contains(text, "incident.") {
		t.Fatalf("the audit log does not say what was done in words:\n%s", text)
	}

	viewer := a.SignIn(t, a.Viewer)
	viewer.Get(fmt.Sprintf("/console/incidents/%d", theirs.ID))
	viewer.Post(fmt.Sprintf("/console/incidents/%d/step", theirs.ID), url.Values{"action": {"next"}, "note": {"看看"}})
	if viewer.Status != http.StatusForbidden {
		t.Fatalf("viewer step = %d", viewer.Status)
	}

	t.Run("API", func(t *testing.T) {
		hudai.API(http.MethodGet, "/api/v1/incidents?state=closed")
		var list struct {
			Items []struct {
				ID         int64  `json:"id"`
				StateLabel string `json:"state_label"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(hudai.Body), &list); err != nil || hudai.Status != http.StatusOK {
			t.Fatalf("list = %d %s", hudai.Status, hudai.Body)
		}
		found := false
		for _, it := range list.Items {
			found = found || (it.ID == mine.ID && it.StateLabel == "已办结")
			if it.ID == theirs.ID {
				t.Fatal("胡埭's API lists 蠡湖's incident")
			}
		}
		if !found {
			t.Fatalf("closed incident missing: %s", hudai.Body)
		}
		hudai.API(http.MethodGet, fmt.Sprintf("/api/v1/incidents/%d", mine.ID))
		if hudai.Status != http.StatusOK || !strings.Contains(hudai.Body, `"steps"`) || !strings.Contains(hudai.Body, "已送检") {
			t.Fatalf("detail = %d %s", hudai.Status, hudai.Body)
		}
		hudai.API(http.MethodGet, fmt.Sprintf("/api/v1/incidents/%d", theirs.ID))
		if hudai.Status != http.StatusNotFound || strings.Contains(hudai.Body, theirName) {
			t.Fatalf("蠡湖's incident via the API = %d %s", hudai.Status, hudai.Body)
		}
		hudai.API(http.MethodGet, "/api/v1/incidents?state=done")
		if hudai.Status != http.StatusBadRequest || !strings.Contains(hudai.Body, "未知的事件状态") {
			t.Fatalf("bad filter = %d %s", hudai.Status, hudai.Body)
		}
	})
}
