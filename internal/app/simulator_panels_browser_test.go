package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shianbao/shianbao/internal/web/browsertest"
)

// walkPanels opens every panel of the simulator in the page: each persona's
// chat with every button of its menu (sub-menus too), the knowledge card's
// page, the scan panel, the clock jump with the pushes it brings, and the
// group pane. It returns each panel's visible text and how many of its
// bubbles are empty. Waits are bounded only to stop a hung page.
const walkPanels = `(async () => {
  const $ = (s, r) => (r || document).querySelector(s);
  const $$ = (s, r) => [...(r || document).querySelectorAll(s)];
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const until = async (cond, what) => {
    for (let i = 0; i < 600; i++) { if (cond()) return; await sleep(50); }
    throw new Error("gave up waiting for " + what);
  };
  const panels = [];
  const look = (name, root) => {
    root = root || document;
    const bubbles = $$(".bubble", root);
    panels.push({name, text: (root.body || root).innerText,
      empty: bubbles.filter(b => b.innerText.trim() === "" && !b.querySelector("img")).length});
  };
  const settle = async (before, what) => {
    await until(() => $$("#log .msg, #log .sys").length > before, what);
    await sleep(100);
  };
  const tap = async (button, what) => {
    const before = $$("#log .msg, #log .sys").length;
    button.click();
    await settle(before, what);
  };
  look("personas", $("#personas"));
  const personas = $$("#personas .persona");
  // One persona of each role: the stranger, the new user, a cadre, a manager, a contact.
  const roles = {};
  const sample = personas.filter(p => { const r = $(".role", p).innerText; if (roles[r]) return false; roles[r] = true; return true; });
  for (const p of sample) {
    const name = p.innerText.split("\n")[0];
    const before = $$("#log .msg, #log .sys").length;
    p.click();
    if (!p.innerText.includes("未关注")) await settle(0, name + " greeting");
    await until(() => $$("#menu button").length > 0 || $("#menu").innerText.includes("尚未设置"), name + " menu");
    // Binding moves the user's tag in the background: wait for the role's menu.
    await sleep(300);
    const keys = [];
    for (let round = 0; round < 100; round++) {
      const top = $$("#menu button").filter(b => b.dataset.key);
      const subs = $$("#menu button").filter(b => !b.dataset.key);
      if (top.length + subs.length > 0 && !$("#menu").innerText.includes("绑定") || p.innerText.includes("陌生人") || p.innerText.includes("未关注")) break;
      await sleep(100);
    }
    for (const b of $$("#menu button")) {
      if (b.dataset.key) { keys.push(b.dataset.key); await tap(b, name + " " + b.textContent); continue; }
      b.click();
      for (const s of $$("#sub button")) { keys.push(s.dataset.key); await tap(s, name + " " + s.textContent); }
      look(name + " sub-menu", $("#sub"));
      $("#sub").style.display = "none";
    }
    look(name + " chat (" + keys.join(",") + ")", $("#log"));
    const card = $("#log a.card");
    if (card) {
      card.click();
      await until(() => { const d = $("#h5frame").contentDocument; return d && d.readyState === "complete" && d.body && d.body.innerText.trim().length > 0 && d.location.href !== "about:blank"; }, "knowledge card page");
      look(name + " page " + $("#h5frame").contentDocument.location.pathname, $("#h5frame").contentDocument);
      $("#h5close").click();
    }
  }
  $("#scanBtn").click();
  await until(() => !$("#qrlist").innerText.includes("加载中"), "scan panel");
  look("scan panel", $("#scan"));
  $("#scanclose").click();
  const cadre = personas.find(p => p.innerText.includes("包保干部"));
  cadre.click();
  await sleep(200);
  const pushes = $$("#log .push").length;
  $("[data-preset='t-7']").click();
  await until(() => $$("#log .push").length > pushes, "a push after the clock jump");
  look("cadre pushes", $("#log"));
  look("group pane", $("#groups"));
  look("clock", $(".side"));
  return panels;
})()`

type panel struct {
	Name  string `json:"name"`
	Text  string `json:"text"`
	Empty int    `json:"empty"`
}

// TestSimulatorPanelsInBrowser opens every panel of the simulator in
// headless Chromium and fails on text a person should never see:
// undefined, NaN, [object Object] or an empty bubble.
func TestSimulatorPanelsInBrowser(t *testing.T) {
	b := browsertest.New(t)
	a := bootSQLite(t)
	b.Do(60*time.Second,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(a.URL()+"/dev/simulator"),
		chromedp.WaitVisible(chromedp.CSS(`#personas .persona`)),
	)
	panels := browsertest.Eval(b, 5*time.Minute, chromedp.Evaluate[[]panel](walkPanels, chromedp.EvalAwaitPromise))
	browsertest.Save(t, "simulator-panels.png", browsertest.Eval(b, 10*time.Second, chromedp.FullScreenshot(100)))
	if len(panels) < 8 {
		t.Fatalf("only %d panels opened", len(panels))
	}
	seen := map[string]bool{}
	for _, p := range panels {
		for _, bad := range []string{"undefined", "NaN", "[object Object]", "thing1", "character_string"} {
			if strings.Contains(p.Text, bad) {
				t.Errorf("%s shows %q:\n%s", p.Name, bad, p.Text)
			}
		}
		if p.Empty > 0 {
			t.Errorf("%s has %d empty bubbles:\n%s", p.Name, p.Empty, p.Text)
		}
		seen[strings.Fields(p.Name)[0]] = true
		t.Logf("%s: %d characters", p.Name, len(p.Text))
	}
	for _, want := range []string{"personas", "scan", "cadre", "group"} {
		if !seen[want] {
			t.Errorf("panel %s not opened", want)
		}
	}
	var pages int
	for _, p := range panels {
		if strings.Contains(p.Name, " page /") {
			pages++
		}
	}
	if pages == 0 {
		t.Error("no knowledge card page opened from the chat")
	}
}
