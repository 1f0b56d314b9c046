package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/configs"
	"github.com/shianbao/shianbao/internal/config"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestEmbeddedDefaultIsValid(t *testing.T) {
	data, err := configs.FS.ReadFile("shianbao.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Source{Data: data, Environ: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("embedded default invalid: %v", err)
	}
	if cfg.DB.Driver != "sqlite" || cfg.Redis.Addr != "" || !cfg.Simulator {
		t.Fatalf("embedded default is not the newcomer's setup: %+v", cfg)
	}
}

func TestProductionExampleNeedsSecrets(t *testing.T) {
	data, err := configs.FS.ReadFile("production.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Source{Data: data, Environ: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.Validate()
	if err == nil {
		t.Fatal("production example without secrets validated")
	}
	for _, key := range []string{"db.dsn", "wechat.appsecret", "security.secret_key"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("problem list does not name %s:\n%v", key, err)
		}
	}
	cfg, err = config.Load(config.Source{Data: data, Environ: envOf(map[string]string{
		"SHIANBAO_DB_DSN":              "shianbao:pw@tcp(db:3306)/shianbao",
		"SHIANBAO_WECHAT_APPSECRET":    "real-secret",
		"SHIANBAO_WECHAT_TOKEN":        "realtoken",
		"SHIANBAO_WECHAT_AESKEY":       "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		"SHIANBAO_SECURITY_SECRET_KEY": "a-production-secret-of-forty-characters!!",
	})})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("with secrets from env: %v", err)
	}
	if cfg.Simulator {
		t.Fatal("production example turns the simulator on")
	}
}

func TestEnvOverrides(t *testing.T) {
	cfg, err := config.Load(config.Source{Environ: envOf(map[string]string{
		"SHIANBAO_HTTP_ADDR":            ":9999",
		"SHIANBAO_DB_DRIVER":            "mysql",
		"SHIANBAO_REDIS_DB":             "3",
		"SHIANBAO_WECHAT_REPLAY_WINDOW": "0",
		"SHIANBAO_SIMULATOR":            "off",
		"SHIANBAO_DEMO_SEED_ON_EMPTY":   "false",
		"SHIANBAO_WECOM_ROBOTS":         "胡埭=k1, 蠡湖=k2",
	})})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Addr != ":9999" || cfg.DB.Driver != "mysql" || cfg.Redis.DB != 3 || cfg.WeChat.ReplayWindow != 0 || cfg.Simulator || cfg.Demo.SeedOnEmpty || cfg.WeCom.Robots["蠡湖"] != "k2" {
		t.Fatalf("env not applied: %+v", cfg)
	}
}

func TestFileThenEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("http:\n  addr: \":7000\"\nwechat:\n  replay_window: 2m\n"), 0o600)
	cfg, err := config.Load(config.Source{Path: path, Environ: envOf(map[string]string{"SHIANBAO_HTTP_ADDR": ":7001"})})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Addr != ":7001" || cfg.WeChat.ReplayWindow != 2*time.Minute {
		t.Fatalf("layering wrong: addr %s window %s", cfg.HTTP.Addr, cfg.WeChat.ReplayWindow)
	}
}

func TestBadInputNamesTheKey(t *testing.T) {
	t.Run("UnknownYAMLKey", func(t *testing.T) {
		_, err := config.Load(config.Source{Data: []byte("http:\n  adress: x\n"), Environ: envOf(nil)})
		if err == nil || !strings.Contains(err.Error(), "adress") {
			t.Fatalf("misspelt key accepted: %v", err)
		}
	})
	t.Run("BadEnvValues", func(t *testing.T) {
		_, err := config.Load(config.Source{Environ: envOf(map[string]string{
			"SHIANBAO_REDIS_DB":             "three",
			"SHIANBAO_WECHAT_REPLAY_WINDOW": "5 minutes",
		})})
		if err == nil || !strings.Contains(err.Error(), "SHIANBAO_REDIS_DB") || !strings.Contains(err.Error(), "SHIANBAO_WECHAT_REPLAY_WINDOW") {
			t.Fatalf("want both keys named, got %v", err)
		}
	})
	t.Run("EveryProblemListed", func(t *testing.T) {
		cfg := config.Default()
		cfg.DB.Driver = "oracle"
		cfg.WeChat.AESKey = "short"
		cfg.WeChat.ReplyBudget = 6 * time.Second
		cfg.Log.Level = "loud"
		err := cfg.Validate()
		ve, ok := err.(*config.ValidationError)
		if !ok || len(ve.Problems) != 4 {
			t.Fatalf("want 4 problems, got %v", err)
		}
		for _, p := range ve.Problems {
			if !strings.Contains(p, "SHIANBAO_") {
				t.Errorf("problem does not name the env key: %s", p)
			}
		}
	})
	t.Run("DemoCredentialsRefusedWithoutSimulator", func(t *testing.T) {
		cfg := config.Default()
		cfg.Simulator = false
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "demo credentials") {
			t.Fatalf("demo credentials accepted in production: %v", err)
		}
	})
}

// TestDemoMaterialRefusedWithoutSimulator is the embedded default turned
// into a "production" by switching the simulator off and setting real
// credentials: every piece of demo material left in it is a problem of
// its own, named by key.
func TestDemoMaterialRefusedWithoutSimulator(t *testing.T) {
	data, err := configs.FS.ReadFile("shianbao.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SHIANBAO_SIMULATOR":           "off",
		"SHIANBAO_WECHAT_APPSECRET":    "real-secret",
		"SHIANBAO_WECHAT_TOKEN":        "realtoken",
		"SHIANBAO_WECHAT_AESKEY":       "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		"SHIANBAO_SECURITY_SECRET_KEY": "a-production-secret-of-forty-characters!!",
	}
	cfg, err := config.Load(config.Source{Data: data, Environ: envOf(env)})
	if err != nil {
		t.Fatal(err)
	}
	var ve *config.ValidationError
	if err := cfg.Validate(); !errors.As(err, &ve) {
		t.Fatalf("embedded default with the simulator off validated: %v", err)
	}
	count := func(key string) int {
		n := 0
		for _, p := range ve.Problems {
			if strings.HasPrefix(p, key+" ") {
				n++
			}
		}
		return n
	}
	if count("demo.seed_on_empty") != 1 {
		t.Errorf("seed_on_empty not refused:\n%v", ve)
	}
	if n := count("wecom.robots"); n != len(cfg.WeCom.Robots) || n == 0 {
		t.Errorf("%d robot problems for %d demo robots:\n%v", n, len(cfg.WeCom.Robots), ve)
	}
	if n := count("notify.templates"); n != len(cfg.Notify.Templates) || n == 0 {
		t.Errorf("%d template problems for %d demo templates:\n%v", n, len(cfg.Notify.Templates), ve)
	}
	if len(ve.Problems) != 1+len(cfg.WeCom.Robots)+len(cfg.Notify.Templates) {
		t.Errorf("unexpected problems:\n%v", ve)
	}
	for _, p := range ve.Problems {
		if strings.Contains(p, config.DemoRobotKeyPrefix) {
			t.Errorf("a problem line shows a robot key (a credential): %s", p)
		}
	}

	// Replaced by the operator's own values, it starts.
	env["SHIANBAO_DEMO_SEED_ON_EMPTY"] = "off"
	env["SHIANBAO_WECOM_ROBOTS"] = "胡埭=0b5c7e1a-real-key"
	env["SHIANBAO_NOTIFY_TEMPLATES"] = "reminder.due=Ab3x9Yz_realTemplateId|thing1=title"
	cfg, err = config.Load(config.Source{Data: data, Environ: envOf(env)})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("own values refused: %v", err)
	}
}

func TestImportLimits(t *testing.T) {
	cfg := config.Default()
	if cfg.Import.MaxRows != 200_000 || cfg.Import.MaxUnzippedBytes != 256<<20 {
		t.Fatalf("import defaults: %+v", cfg.Import)
	}
	cfg, err := config.Load(config.Source{Environ: envOf(map[string]string{
		"SHIANBAO_IMPORT_MAX_ROWS": "0", "SHIANBAO_IMPORT_MAX_UNZIPPED_BYTES": "1000",
	})})
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "SHIANBAO_IMPORT_MAX_ROWS") || !strings.Contains(err.Error(), "SHIANBAO_IMPORT_MAX_UNZIPPED_BYTES") {
		t.Fatalf("bad import limits: %v", err)
	}
}

func TestSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(path, []byte("from-file\n"), 0o600)
	cfg, err := config.Load(config.Source{Environ: envOf(map[string]string{"SHIANBAO_WECHAT_APPSECRET_FILE": path})})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WeChat.AppSecret != "from-file" {
		t.Fatalf("secret file not read: %q", cfg.WeChat.AppSecret)
	}
}

func TestDumpMasksSecrets(t *testing.T) {
	cfg := config.Default()
	cfg.DB.DSN = "shianbao:hunter2@tcp(db:3306)/shianbao"
	cfg.Redis.Password = "redispw"
	cfg.WeChat.AppSecret = "appsecret-value"
	cfg.WeCom.Robots = map[string]string{"胡埭": "robot-key-value"}
	out, err := cfg.Dump()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "redispw", "appsecret-value", "robot-key-value", config.DemoToken, config.DemoAESKey, config.DemoSecretKey} {
		if strings.Contains(string(out), secret) {
			t.Errorf("dump contains secret %q", secret)
		}
	}
	if !strings.Contains(string(out), "shianbao:******@tcp(db:3306)/shianbao") {
		t.Errorf("DSN not masked usefully:\n%s", out)
	}
}

func TestNotify(t *testing.T) {
	t.Run("EmbeddedDefaultTemplates", func(t *testing.T) {
		data, err := configs.FS.ReadFile("shianbao.yaml")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(config.Source{Data: data, Environ: envOf(nil)})
		if err != nil {
			t.Fatal(err)
		}
		for _, kind := range []string{"reminder.due", "reminder.overdue", "escalation", "digest.monthly",
			"rectification.due", "letter.issued", "letter.unacknowledged", "card.issued"} {
			spec, err := config.ParseTemplate(cfg.Notify.Templates[kind])
			if err != nil || spec.Fields["thing1"] != "title" {
				t.Errorf("%s: %+v, %v", kind, spec, err)
			}
		}
		if cfg.Notify.QuietStart != "22:00" || cfg.Notify.QuietEnd != "07:30" || cfg.Notify.MaxAttempts != 8 {
			t.Errorf("notify defaults: %+v", cfg.Notify)
		}
	})
	t.Run("FromEnvironment", func(t *testing.T) {
		cfg, err := config.Load(config.Source{Environ: envOf(map[string]string{
			"SHIANBAO_NOTIFY_TEMPLATES":     "reminder.due=Ab3x-9|thing1=title;time2=due, letter.issued=Cd4y|thing1=title",
			"SHIANBAO_NOTIFY_QUIET_START":   "",
			"SHIANBAO_NOTIFY_QUIET_END":     "",
			"SHIANBAO_NOTIFY_RATE_TEMPLATE": "0",
			"SHIANBAO_NOTIFY_CLAIM":         "lease",
		})})
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		spec, err := config.ParseTemplate(cfg.Notify.Templates["reminder.due"])
		if err != nil || spec.ID != "Ab3x-9" || spec.Fields["time2"] != "due" || len(cfg.Notify.Templates) != 2 {
			t.Fatalf("templates %v: %+v, %v", cfg.Notify.Templates, spec, err)
		}
		if cfg.Notify.QuietStart != "" || cfg.Notify.RateTemplate != 0 || cfg.Notify.Claim != "lease" {
			t.Fatalf("env not applied: %+v", cfg.Notify)
		}
	})
	t.Run("BadValuesNamed", func(t *testing.T) {
		cfg := config.Default()
		cfg.Notify.QuietStart = "25:00"
		cfg.Notify.MaxAttempts = 0
		cfg.Notify.Claim = "optimistic"
		cfg.Notify.RateCustom = -1
		cfg.Notify.Templates = map[string]string{"reminder.due": "|thing1=title", "letter.issued": "TPL|"}
		err := cfg.Validate()
		ve, ok := err.(*config.ValidationError)
		if !ok || len(ve.Problems) != 6 {
			t.Fatalf("want 6 problems, got %v", err)
		}
		for _, key := range []string{"SHIANBAO_NOTIFY_QUIET_START", "SHIANBAO_NOTIFY_MAX_ATTEMPTS", "SHIANBAO_NOTIFY_CLAIM",
			"SHIANBAO_NOTIFY_RATE_CUSTOM", "SHIANBAO_NOTIFY_TEMPLATES"} {
			if !strings.Contains(err.Error(), key) {
				t.Errorf("problems do not name %s:\n%v", key, err)
			}
		}
	})
}

func TestParseTemplate(t *testing.T) {
	tests := []struct {
		in     string
		id     string
		fields map[string]string
		ok     bool
	}{
		{"tpl-1|thing1=title;time2=due", "tpl-1", map[string]string{"thing1": "title", "time2": "due"}, true},
		{" tpl-1 | thing1 = title ; ", "tpl-1", map[string]string{"thing1": "title"}, true},
		{"tpl-1", "", nil, false},
		{"|thing1=title", "", nil, false},
		{"tpl-1|", "", nil, false},
		{"tpl-1|thing1", "", nil, false},
		{"tpl-1|thing1=", "", nil, false},
		{"tpl-1|1thing=title", "", nil, false},
	}
	for _, tt := range tests {
		spec, err := config.ParseTemplate(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseTemplate(%q) error %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && (spec.ID != tt.id || len(spec.Fields) != len(tt.fields)) {
			t.Errorf("ParseTemplate(%q) = %+v", tt.in, spec)
		}
		for k, v := range tt.fields {
			if spec.Fields[k] != v {
				t.Errorf("ParseTemplate(%q) field %s = %q, want %q", tt.in, k, spec.Fields[k], v)
			}
		}
	}
}

func TestReminder(t *testing.T) {
	cfg, err := config.Load(config.Source{Environ: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := cfg.Reminder.ReminderStages(); err != nil || len(st) != 3 || st[0] != 14 || st[2] != 1 || cfg.Reminder.EscalateAfterDays != 3 {
		t.Fatalf("defaults are not DOMAIN.md's 14,7,1 and 3 days: %v %v %+v", st, err, cfg.Reminder)
	}
	cfg, err = config.Load(config.Source{Environ: envOf(map[string]string{
		"SHIANBAO_REMINDER_STAGES": "10, 3", "SHIANBAO_REMINDER_ESCALATE_AFTER_DAYS": "5", "SHIANBAO_REMINDER_ESCALATE_TO_GROUP": "false",
	})})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := cfg.Reminder.ReminderStages(); len(st) != 2 || st[0] != 10 || st[1] != 3 || cfg.Reminder.EscalateAfterDays != 5 || cfg.Reminder.EscalateToGroup {
		t.Fatalf("environment not applied: %+v", cfg.Reminder)
	}
	for stages, want := range map[string]string{"14,sieben": "reminder.stages", "7,7": "reminder.stages", "": "reminder.stages", "400": "reminder.stages"} {
		cfg, err := config.Load(config.Source{Environ: envOf(map[string]string{"SHIANBAO_REMINDER_STAGES": stages, "SHIANBAO_REMINDER_CATCH_UP_DAYS": "0"})})
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "reminder.catch_up_days") {
			t.Errorf("stages %q: %v", stages, err)
		}
	}
}

func TestNotifyRetention(t *testing.T) {
	for env, ok := range map[string]bool{"": true, "0": true, "1440h": true, "720h": false} {
		vars := map[string]string{}
		if env != "" {
			vars["SHIANBAO_NOTIFY_RETENTION"] = env
		}
		cfg, err := config.Load(config.Source{Environ: envOf(vars)})
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.Validate()
		if got := err == nil || !strings.Contains(err.Error(), "notify.retention"); got != ok {
			t.Errorf("retention %q: %v", env, err)
		}
	}
}

// TestProxiesAndMetricsNets: trusted proxies and the /metrics allow-list
// are CIDRs (or bare addresses) from the environment; anything else is a
// problem naming the key.
func TestProxiesAndMetricsNets(t *testing.T) {
	cfg, err := config.Load(config.Source{Environ: envOf(map[string]string{
		"SHIANBAO_HTTP_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1",
		"SHIANBAO_HTTP_METRICS_ALLOW":   "192.168.1.0/24,::1",
	})})
	if err != nil {
		t.Fatal(err)
	}
	proxies, err := cfg.HTTP.TrustedProxyNets()
	if err != nil || len(proxies) != 2 || proxies[0].String() != "10.0.0.0/8" || proxies[1].String() != "127.0.0.1/32" {
		t.Fatalf("trusted proxies = %v, %v", proxies, err)
	}
	allow, err := cfg.HTTP.MetricsAllowNets()
	if err != nil || len(allow) != 2 || allow[1].String() != "::1/128" {
		t.Fatalf("metrics allow = %v, %v", allow, err)
	}
	if none, err := config.Default().HTTP.TrustedProxyNets(); err != nil || len(none) != 0 {
		t.Fatalf("the default trusts proxies: %v %v", none, err)
	}
	cfg.HTTP.TrustedProxies, cfg.HTTP.MetricsAllow = "10.0.0.0/33", "everyone"
	ve, ok := cfg.Validate().(*config.ValidationError)
	if !ok || len(ve.Problems) != 2 || !strings.Contains(ve.Problems[0], "SHIANBAO_HTTP_TRUSTED_PROXIES") ||
		!strings.Contains(ve.Problems[1], "SHIANBAO_HTTP_METRICS_ALLOW") {
		t.Fatalf("bad CIDRs: %v", ve)
	}
}
