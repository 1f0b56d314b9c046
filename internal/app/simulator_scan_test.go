package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/sim"
)

// personas lists the simulator's personas by role.
func personas(t *testing.T, a *app.App) map[string]sim.Persona {
	t.Helper()
	_, body := get(t, a.URL()+"/dev/simulator/api/personas")
	var list []sim.Persona
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]sim.Persona{}
	for _, p := range list {
		if _, ok := out[p.Role]; !ok {
			out[p.Role] = p
		}
	}
	return out
}

// waitMenu waits until the menu the simulator shows the persona (as the fake API
// gives its user tag), once it has the key; it fails after a long while.
func waitMenu(t *testing.T, a *app.App, openid, key string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := get(t, a.URL()+"/dev/simulator/api/inbox?openid="+openid)
		var r struct {
			Menu json.RawMessage `json:"menu"`
		}
		json.Unmarshal([]byte(body), &r)
		if strings.Contains(string(r.Menu), `"`+key+`"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never saw the menu with %s; last: %s", openid, key, r.Menu)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSimulatorMenusByRole: the embedded default pushes the menus to its
// fake API; binding tags the user, and each persona sees its role's menu
// (a stranger the default one); the role menus' buttons are answered;
// unbinding brings the default menu back.
func TestSimulatorMenusByRole(t *testing.T) {
	a := bootSQLite(t)
	send := a.URL() + "/dev/simulator/api/send"
	ps := personas(t, a)
	for role, key := range map[string]string{"包保干部": "MY_TASKS", "食安办": "PROGRESS", "主体联系人": "KNOWLEDGE_CARD"} {
		p, ok := ps[role]
		if !ok {
			t.Fatalf("no %s persona", role)
		}
		if status, out := simPost(t, send, map[string]any{"openid": p.OpenID, "bind": p.Bind, "kind": "subscribe"}); status != 200 {
			t.Fatalf("%s subscribe: %d %v", role, status, out)
		}
		waitMenu(t, a, p.OpenID, key)
	}
	waitMenu(t, a, "sim-stranger", "BIND")

	for _, tc := range []struct{ role, key, want string }{
		{"食安办", "PROGRESS", "督导"}, {"食安办", "OVERDUE", "逾期"}, {"主体联系人", "DAILY_CHECK", "日管控"},
		{"主体联系人", "CONTACT_CADRE", "包保干部"}, {"包保干部", "MY_RECORDS", "记录"},
	} {
		_, out := simPost(t, send, map[string]any{"openid": ps[tc.role].OpenID, "kind": "click", "key": tc.key})
		if text, _ := out["text"].(string); !strings.Contains(text, tc.want) || strings.Contains(text, "没有看懂") {
			t.Errorf("%s taps %s: %v", tc.role, tc.key, out)
		}
	}

	cadre := ps["包保干部"].OpenID
	if _, err := a.Accounts.Unbind(context.Background(), "oa", cadre); err != nil {
		t.Fatal(err)
	}
	waitMenu(t, a, cadre, "BIND")
}

// TestSimulatorScan: a binding code's QR code made on the embedded default
// comes from the simulator's fake API; scanning it as someone who does not
// follow yet subscribes and binds them; a public card's code opens its page.
func TestSimulatorScan(t *testing.T) {
	a := bootSQLite(t)
	ctx := context.Background()
	code, err := a.IssueBindCode(ctx, app.BindTarget{Kind: "cadre", ID: 1}, "test")
	if err != nil {
		t.Fatal(err)
	}
	url, err := a.BindQRCode(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	_, body := get(t, a.URL()+"/dev/simulator/api/qrcodes")
	if !strings.Contains(body, url) || !strings.Contains(body, "绑定二维码") {
		t.Fatalf("the scan panel does not list %s: %s", url, body)
	}
	fresh := personas(t, a)["新用户"]
	if !fresh.Fresh {
		t.Fatalf("no fresh persona: %+v", fresh)
	}
	send := a.URL() + "/dev/simulator/api/send"
	_, out := simPost(t, send, map[string]any{"openid": fresh.OpenID, "kind": "scan", "text": url})
	if text, _ := out["text"].(string); !strings.Contains(text, "绑定成功") {
		t.Fatalf("scanning the binding QR code: %v", out)
	}
	ids, err := a.Accounts.Identities(ctx, "oa", fresh.OpenID)
	if err != nil || len(ids) != 1 || ids[0].SubjectID != 1 {
		t.Fatalf("identities after the scan: %+v %v", ids, err)
	}
	waitMenu(t, a, fresh.OpenID, "MY_TASKS")

	card := a.URL() + "/c/ABCDEFGH"
	if _, out := simPost(t, send, map[string]any{"openid": fresh.OpenID, "kind": "scan", "text": card}); out["open"] != card {
		t.Fatalf("scanning a web address: %v", out)
	}
	if status, out := simPost(t, send, map[string]any{"openid": fresh.OpenID, "kind": "scan", "text": "随便什么"}); status != 400 || !strings.Contains(out["error"].(string), "无法识别") {
		t.Fatalf("scanning nonsense: %d %v", status, out)
	}
}

// TestConsoleBindQR: the console's 生成绑定码 shows the QR code (from the
// simulator's fake API on the embedded default) with the person's name and
// role beside the code, and scanning it in the simulator binds.
func TestConsoleBindQR(t *testing.T) {
	a := bootSQLite(t)
	b := newBrowser(t, a)
	b.login("hudai", app.DemoPassword)
	b.do(http.MethodGet, "/console/codes", nil)
	m := regexp.MustCompile(`<option value="(\d+)">([^<]+)</option>`).FindStringSubmatch(b.body)
	if m == nil {
		t.Fatalf("no manager to issue a code for: %.500s", b.body)
	}
	b.do(http.MethodPost, "/console/codes", url.Values{"manager_id": {m[1]}, "qr": {"1"}, "_csrf": {b.csrf()}})
	name := strings.Fields(m[2])[len(strings.Fields(m[2]))-1]
	if b.status != http.StatusOK || !strings.Contains(b.body, `src="data:image/png;base64,`) || !strings.Contains(b.body, "data-bind-qr") ||
		!strings.Contains(b.body, "食安办 "+name) || !strings.Contains(b.body, "data-code>") {
		t.Fatalf("code page = %d: %.2000s", b.status, b.body)
	}
	codes := a.FakeAPI.QRCodes()
	if len(codes) != 1 {
		t.Fatalf("QR codes made at the fake: %d", len(codes))
	}
	fresh := personas(t, a)["新用户"]
	_, out := simPost(t, a.URL()+"/dev/simulator/api/send", map[string]any{"openid": fresh.OpenID, "kind": "scan", "text": codes[0].URL})
	if text, _ := out["text"].(string); !strings.Contains(text, "绑定成功") || !strings.Contains(text, name) {
		t.Fatalf("scanning the console's QR code: %v", out)
	}
}
