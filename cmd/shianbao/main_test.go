package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/sim"
)

// cli runs the command in-process with the given environment.
func cli(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errw bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	code = run(context.Background(), args, env{stdout: &out, stderr: &errw, lookup: lookup})
	return code, out.String(), errw.String()
}

// tempVars keeps a command's database and media under dir (commands open
// the media store with the rest of the services).
func tempVars(dir string) map[string]string {
	return map[string]string{"SHIANBAO_DB_DSN": filepath.Join(dir, "cli.db"), "SHIANBAO_MEDIA_DIR": filepath.Join(dir, "media")}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"UnknownCommand", []string{"frobnicate"}, 2},
		{"UnknownFlag", []string{"config", "--nope"}, 2},
		{"UnknownFlagOnDefaultServe", []string{"--nope"}, 2},
		{"ExtraArgument", []string{"migrate", "now"}, 2},
		{"ImportWithoutFile", []string{"import", "businesses"}, 2},
		{"ImportUnknownKind", []string{"import", "pets", "x.csv"}, 2},
		{"ExportBadFormat", []string{"export", "businesses", "--format", "pdf"}, 2},
		{"Help", []string{"help"}, 0},
		{"Version", []string{"version"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := cli(t, nil, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if tc.code == 2 && !strings.Contains(stderr, "Usage: shianbao") {
				t.Fatalf("no usage printed:\n%s", stderr)
			}
		})
	}
}

func TestConfigCommand(t *testing.T) {
	code, out, stderr := cli(t, map[string]string{
		"SHIANBAO_WECHAT_APPSECRET": "top-secret-value",
		"SHIANBAO_HTTP_ADDR":        ":9090",
	}, "config")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "top-secret-value") || !strings.Contains(out, "******") || !strings.Contains(out, ":9090") {
		t.Fatalf("config dump wrong:\n%s", out)
	}

	code, _, stderr = cli(t, map[string]string{"SHIANBAO_DB_DRIVER": "oracle", "SHIANBAO_LOG_LEVEL": "loud"}, "config")
	if code != 1 || !strings.Contains(stderr, "SHIANBAO_DB_DRIVER") || !strings.Contains(stderr, "SHIANBAO_LOG_LEVEL") {
		t.Fatalf("invalid config: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestSeedExportImport is the newcomer's path on the command line: seed the
// demo district, export it, and re-import the export without changing anything.
func TestSeedExportImport(t *testing.T) {
	dir := t.TempDir()
	vars := tempVars(dir)

	if code, out, stderr := cli(t, vars, "seed"); code != 0 {
		t.Fatalf("seed: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, _, stderr := cli(t, vars, "seed"); code != 1 || !strings.Contains(stderr, "已有") {
		t.Fatalf("second seed must refuse to mix demo data into a register: exit %d %s", code, stderr)
	}

	code, out, stderr := cli(t, vars, "export", "businesses", "--format", "csv")
	if code != 0 {
		t.Fatalf("export: exit %d %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	townCol := -1
	for i, h := range rows[0] {
		if h == "镇(街道)" {
			townCol = i
		}
	}
	if townCol < 0 {
		t.Fatalf("no 镇(街道) column in %v", rows[0])
	}
	byTown := map[string]int{}
	for _, r := range rows[1:] {
		byTown[r[townCol]]++
	}
	if byTown["胡埭镇"] != 979 || byTown["蠡湖街道"] != 1060 {
		t.Fatalf("export by town = %v, want 胡埭镇 979 and 蠡湖街道 1060", byTown)
	}

	file := filepath.Join(dir, "businesses.csv")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = cli(t, vars, "import", "businesses", file)
	if code != 0 || !strings.Contains(out, "新增 0，更新 0，未变 2039") {
		t.Fatalf("re-import of the export: exit %d\n%s\n%s", code, out, stderr)
	}

	xlsx := filepath.Join(dir, "cadres.xlsx")
	if code, _, stderr := cli(t, vars, "export", "cadres", "--format", "xlsx", "-o", xlsx); code != 0 {
		t.Fatalf("xlsx export: exit %d %s", code, stderr)
	}
	if code, out, stderr := cli(t, vars, "import", "cadres", xlsx, "--dry-run"); code != 0 || !strings.Contains(out, "新增 0，更新 0") {
		t.Fatalf("xlsx re-import: exit %d\n%s\n%s", code, out, stderr)
	}
}

func TestImportBadFileChangesNothing(t *testing.T) {
	dir := t.TempDir()
	vars := tempVars(dir)
	file := filepath.Join(dir, "bad.csv")
	os.WriteFile(file, []byte("主体名称,统一社会信用代码,业态,等级,镇(街道)\n好店,91350100M000100Y44,餐饮,D,胡埭镇\n,9144030071526726XG,火锅,E,胡埭镇\n"), 0o600)
	code, out, _ := cli(t, vars, "import", "businesses", file)
	if code != 1 {
		t.Fatalf("bad file: exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{"第 2 行", "第 3 行", "统一社会信用代码", "业态", "等级"} {
		if !strings.Contains(out, want) {
			t.Errorf("report does not mention %s:\n%s", want, out)
		}
	}
	code, out, _ = cli(t, vars, "export", "businesses")
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("a bad import wrote rows: exit %d\n%s", code, out)
	}
}

func TestBindCodeAndMenu(t *testing.T) {
	dir := t.TempDir()
	vars := tempVars(dir)
	if code, _, stderr := cli(t, vars, "seed"); code != 0 {
		t.Fatalf("seed: %s", stderr)
	}
	code, out, stderr := cli(t, vars, "bind-code", "cadre", "1")
	if code != 0 || !strings.Contains(out, "绑定码") || !strings.Contains(out, "绑定 ") {
		t.Fatalf("bind-code cadre: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, out, stderr := cli(t, vars, "bind-code", "business", "1", "--role", "principal"); code != 0 || !strings.Contains(out, "绑定码") {
		t.Fatalf("bind-code business: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, _, stderr := cli(t, vars, "bind-code", "cadre", "999999"); code != 1 || !strings.Contains(stderr, "不存在") {
		t.Fatalf("unknown cadre: exit %d %s", code, stderr)
	}
	if code, _, _ := cli(t, vars, "bind-code", "pets", "1"); code != 2 {
		t.Fatalf("unknown role: exit %d", code)
	}
	if code, out, stderr := cli(t, nil, "menu", "--check"); code != 0 || !strings.Contains(out, "valid") || !strings.Contains(out, "包保干部菜单") {
		t.Fatalf("menu --check: exit %d %s %s", code, out, stderr)
	}
}

// TestBindQR: on the embedded default `bind-code --qr` and `menu` call the
// running service's fake WeChat API (so the simulator can scan the code
// and shows the menus); without the service, and against a platform that
// refuses, the command fails in one Chinese line, exit 1, printing no code.
func TestBindQR(t *testing.T) {
	vars := tempVars(t.TempDir())
	if code, _, stderr := cli(t, vars, "seed"); code != 0 {
		t.Fatalf("seed: %s", stderr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	vars["SHIANBAO_HTTP_ADDR"] = addr
	ln.Close()

	t.Run("NoService", func(t *testing.T) {
		code, out, stderr := cli(t, vars, "bind-code", "cadre", "1", "--qr")
		if code != 1 || out != "" || !strings.Contains(stderr, "连不上模拟器的微信接口") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Fatalf("exit %d\nstdout %q\nstderr %q", code, out, stderr)
		}
	})

	fake := sim.NewFakeAPI()
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	srv := &http.Server{Handler: fake}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	t.Run("EmbeddedDefault", func(t *testing.T) {
		code, out, stderr := cli(t, vars, "bind-code", "cadre", "1", "--qr")
		calls := fake.CallsTo("/cgi-bin/qrcode/create")
		if code != 0 || !strings.Contains(out, "绑定码 ") || !strings.Contains(out, "绑定二维码") || len(calls) != 1 {
			t.Fatalf("exit %d\n%s\n%s\nQR calls %d", code, out, stderr, len(calls))
		}
		if scene := calls[0].Content; !strings.HasPrefix(scene, "b1.") || !strings.Contains(out, "http://weixin.qq.com/q/") {
			t.Fatalf("scene %q, output %s", scene, out)
		}
		code, out, stderr = cli(t, vars, "menu")
		if code != 0 || !strings.Contains(out, "菜单已推送") || fake.Menu() == nil || len(fake.CallsTo("/menu/addconditional")) != 3 {
			t.Fatalf("menu: exit %d\n%s\n%s", code, out, stderr)
		}
	})

	t.Run("PlatformRefuses", func(t *testing.T) {
		fake.FailNext("/cgi-bin/qrcode/create", 48001, 1)
		v := maps.Clone(vars)
		v["SHIANBAO_WECHAT_API_BASE"] = "http://" + addr
		code, out, stderr := cli(t, v, "bind-code", "cadre", "1", "--qr")
		if code != 1 || out != "" || !strings.Contains(stderr, "微信接口返回错误 48001") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 ||
			strings.Contains(stderr, "wechat") || strings.Contains(stderr, "errcode") {
			t.Fatalf("exit %d\nstdout %q\nstderr %q", code, out, stderr)
		}
	})
}

func TestUserAdd(t *testing.T) {
	vars := tempVars(t.TempDir())
	if code, _, stderr := cli(t, vars, "seed"); code != 0 {
		t.Fatalf("seed: %s", stderr)
	}
	code, out, stderr := cli(t, vars, "user", "add", "--username", "wang", "--name", "王主任", "--role", "manager", "--region", "胡埭镇")
	if code != 0 || !strings.Contains(out, "password: ") {
		t.Fatalf("user add: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, _, stderr := cli(t, vars, "user", "add", "--username", "wang", "--name", "王", "--role", "manager", "--region", "胡埭镇"); code != 1 || !strings.Contains(stderr, "已被使用") {
		t.Fatalf("duplicate user: exit %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, vars, "user", "add", "--username", "x", "--name", "", "--role", "boss"); code != 1 || !strings.Contains(stderr, "用户信息有误") {
		t.Fatalf("bad input: exit %d %s", code, stderr)
	}
}

func TestRemindAndNotifications(t *testing.T) {
	vars := tempVars(t.TempDir())
	if code, _, stderr := cli(t, vars, "seed"); code != 0 {
		t.Fatalf("seed: %s", stderr)
	}
	code, out, stderr := cli(t, vars, "remind", "--dry-run", "--at", "2026-12-24")
	if code != 0 || !strings.Contains(out, `"stage":"t-7"`) || !strings.Contains(stderr, "dry run") {
		t.Fatalf("remind --dry-run: exit %d\n%s", code, stderr)
	}
	if code, out, stderr := cli(t, vars, "notifications", "--status", "pending"); code != 0 || !strings.Contains(out, "0 of 0") {
		t.Fatalf("a dry run enqueued something: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, out, stderr := cli(t, vars, "remind", "--at", "2026-12-24"); code != 0 || !strings.Contains(out, "newly enqueued") {
		t.Fatalf("remind: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, out, _ := cli(t, vars, "remind", "--at", "2026-12-24"); code != 0 || !strings.Contains(out, ": 0 newly enqueued") {
		t.Fatalf("a second run enqueued again: %s", out)
	}
	if code, out, stderr := cli(t, vars, "notifications", "--status", "pending", "--limit", "2"); code != 0 || !strings.Contains(out, "督导到期提醒") ||
		!strings.Contains(out, "（包保干部）") || regexp.MustCompile(`[a-z]+:[0-9]+|[a-z]+\.[a-z_]+`).MatchString(out) {
		t.Fatalf("notifications (in words, with names): exit %d\n%s\n%s", code, out, stderr)
	}
	if code, _, _ := cli(t, vars, "notifications", "--status", "lost"); code != 2 {
		t.Fatalf("unknown status: exit %d, want 2", code)
	}

	// The dry run plans the other features' reminders too: a business
	// contact bound in WeChat who has not recorded today's control hears
	// of it at 16:00.
	ctx := context.Background()
	cfg := config.Default()
	cfg.DB.DSN = vars["SHIANBAO_DB_DSN"]
	d, err := app.OpenDatabase(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	store := kv.NewMemory()
	defer store.Close()
	reg := registry.NewService(d, app.RegistryRules(cfg), nil)
	accounts := account.NewService(d, store, reg, nil, []byte(cfg.Security.SecretKey))
	bs, _, err := query.New(d).Businesses(ctx, query.BusinessFilter{Status: string(registry.StatusOperating), Limit: 1})
	if err != nil || len(bs) == 0 {
		t.Fatalf("no business: %v", err)
	}
	c, err := accounts.EnsureContact(ctx, bs[0].ID, account.ContactPrincipal)
	if err != nil {
		t.Fatal(err)
	}
	bindCode, _, err := accounts.IssueCode(ctx, account.RoleContact, c.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.Bind(ctx, chat.ChannelOA, "cli-test-shop", bindCode); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = cli(t, vars, "remind", "--dry-run", "--at", "2026-12-24T16:05")
	if code != 0 || !strings.Contains(out, `"kind":"`+selfcheck.KindReminder+`"`) || !strings.Contains(out, fmt.Sprintf(`"recipient":"contact:%d"`, c.ID)) {
		t.Fatalf("remind --dry-run at 16:05 lacks the daily-control reminder of contact %d: exit %d\n%s\n%s", c.ID, code, out, stderr)
	}
}

// TestDemoDatabaseRefusedInProduction is the embedded default's database
// put into service with the simulator off: start-up lists every piece of
// demo material left, one line each, and starts once `user passwd` has
// given each demo user a password of its own.
func TestDemoDatabaseRefusedInProduction(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	demoCfg := config.Default()
	demoCfg.HTTP.Addr = "127.0.0.1:0"
	demoCfg.DB.DSN = filepath.Join(dir, "shianbao.db")
	demoCfg.Media.Dir = filepath.Join(dir, "media")
	a, err := app.New(ctx, demoCfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()

	vars := map[string]string{
		"SHIANBAO_HTTP_ADDR":           "127.0.0.1:0",
		"SHIANBAO_DB_DSN":              demoCfg.DB.DSN,
		"SHIANBAO_MEDIA_DIR":           demoCfg.Media.Dir,
		"SHIANBAO_SIMULATOR":           "off",
		"SHIANBAO_WECHAT_APPSECRET":    "real-secret",
		"SHIANBAO_WECHAT_TOKEN":        "realtoken",
		"SHIANBAO_WECHAT_AESKEY":       "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		"SHIANBAO_SECURITY_SECRET_KEY": "a-production-secret-of-forty-characters!!",
	}
	code, _, stderr := cli(t, vars, "serve")
	if code != 1 {
		t.Fatalf("serve with demo settings: exit %d\n%s", code, stderr)
	}
	for _, key := range []string{"SHIANBAO_DEMO_SEED_ON_EMPTY", "SHIANBAO_WECOM_ROBOTS", "SHIANBAO_NOTIFY_TEMPLATES"} {
		if !strings.Contains(stderr, key) {
			t.Errorf("problems do not name %s:\n%s", key, stderr)
		}
	}

	vars["SHIANBAO_DEMO_SEED_ON_EMPTY"] = "off"
	vars["SHIANBAO_WECOM_ROBOTS"] = ""
	vars["SHIANBAO_NOTIFY_TEMPLATES"] = ""
	code, _, stderr = cli(t, vars, "serve")
	if code != 1 {
		t.Fatalf("serve with the demo users' password: exit %d\n%s", code, stderr)
	}
	demoUsers := []string{"admin", "hudai", "lihu", "viewer"}
	for _, u := range demoUsers {
		if !strings.Contains(stderr, "console user "+u+":") || !strings.Contains(stderr, "user passwd --username "+u) {
			t.Errorf("demo user %s not listed:\n%s", u, stderr)
		}
	}

	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte(app.DemoPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, vars, "user", "passwd", "--username", "admin", "--password-file", pwFile); code != 1 || !strings.Contains(stderr, "demo password") {
		t.Fatalf("passwd accepted the demo password: exit %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, vars, "user", "passwd", "--username", "nobody", "--password-file", pwFile); code != 1 {
		t.Fatalf("passwd of an unknown user: exit %d %s", code, stderr)
	}
	for i, u := range demoUsers[:3] {
		if err := os.WriteFile(pwFile, fmt.Appendf(nil, "a-new-password-%d\n", i), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, out, stderr := cli(t, vars, "user", "passwd", "--username", u, "--password-file", pwFile); code != 0 || !strings.Contains(out, u) {
			t.Fatalf("passwd %s: exit %d\n%s\n%s", u, code, out, stderr)
		}
	}
	// Not a terminal: the password is read from standard input.
	var out, errw bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	e := env{stdin: strings.NewReader("viewer-password-1\n"), stdout: &out, stderr: &errw, lookup: lookup}
	if code := run(ctx, []string{"user", "passwd", "--username", "viewer"}, e); code != 0 {
		t.Fatalf("passwd from stdin: exit %d\n%s", code, errw.String())
	}

	cfg, err := config.Load(config.Source{Environ: lookup})
	if err != nil {
		t.Fatal(err)
	}
	a, err = app.New(ctx, cfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		t.Fatalf("start-up after every demo user has a new password: %v", err)
	}
	defer a.Close()
	if _, err := a.Accounts.Authenticate(ctx, "admin", app.DemoPassword); err == nil {
		t.Fatal("admin still signs in with the demo password")
	}
	if _, err := a.Accounts.Authenticate(ctx, "viewer", "viewer-password-1"); err != nil {
		t.Fatalf("viewer's new password: %v", err)
	}
}
