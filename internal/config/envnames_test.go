package config_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/config"
)

func TestEnvNames(t *testing.T) {
	names := config.EnvNames()
	for _, want := range []string{"SHIANBAO_HTTP_ADDR", "SHIANBAO_DB_DSN", "SHIANBAO_DB_DSN_FILE",
		"SHIANBAO_REDIS_ADDR", "SHIANBAO_SECURITY_SECRET_KEY_FILE", "SHIANBAO_WECHAT_REPLY_BUDGET"} {
		if !slices.Contains(names, want) {
			t.Errorf("EnvNames lacks %s", want)
		}
	}
	if slices.Contains(names, "SHIANBAO_HTTP_ADDR_FILE") {
		t.Error("EnvNames offers SHIANBAO_HTTP_ADDR_FILE; only secrets have a _FILE twin")
	}
	// Each listed name is one Load reads: an odd value either changes the
	// configuration (a text setting) or is refused naming the variable.
	for _, n := range names {
		if strings.HasSuffix(n, "_FILE") {
			continue
		}
		cfg, err := config.Load(config.Source{Environ: func(k string) (string, bool) { return "zz-odd", k == n }})
		if err != nil {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("%s: refused without naming it: %v", n, err)
			}
			continue
		}
		if reflect.DeepEqual(cfg, config.Default()) {
			t.Errorf("%s: Load ignored it", n)
		}
	}
}
