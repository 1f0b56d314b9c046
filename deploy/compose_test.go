// Package deploy holds the production layout to copy (compose.yaml,
// Caddyfile); its test checks the layout against the service it deploys.
package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/shianbao/shianbao/internal/config"
)

type composeFile struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

type service struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Secrets     []string          `yaml:"secrets"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck struct {
		Test    []string `yaml:"test"`
		Disable bool     `yaml:"disable"`
	} `yaml:"healthcheck"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("compose.yaml does not parse: %v", err)
	}
	return c
}

// instances are the services that run the shianbao server.
func instances(c composeFile) []string {
	var names []string
	for name, s := range c.Services {
		if s.Image == "shianbao:latest" && len(s.Command) > 0 && s.Command[0] == "serve" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func TestComposeLayout(t *testing.T) {
	c := loadCompose(t)
	inst := instances(c)
	if len(inst) < 2 {
		t.Fatalf("want at least two service instances, have %v", inst)
	}
	for _, want := range []string{"mariadb", "redis", "caddy", "migrate"} {
		if _, ok := c.Services[want]; !ok {
			t.Errorf("no %s service", want)
		}
	}
	known := config.EnvNames()
	for name, s := range c.Services {
		for k := range s.Environment {
			if strings.HasPrefix(k, config.EnvPrefix) && !slices.Contains(known, k) {
				t.Errorf("%s sets %s, which the service does not read", name, k)
			}
		}
		for _, sec := range s.Secrets {
			if _, ok := c.Secrets[sec]; !ok {
				t.Errorf("%s uses secret %s, which is not declared", name, sec)
			}
		}
		for dep := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("%s depends on %s, which does not exist", name, dep)
			}
		}
		if name == "migrate" {
			continue
		}
		if s.Healthcheck.Disable || len(s.Healthcheck.Test) == 0 {
			t.Errorf("%s has no health check", name)
		}
	}
	for _, name := range inst {
		test := strings.Join(c.Services[name].Healthcheck.Test, " ")
		if !strings.Contains(test, "/healthz") && !strings.Contains(test, "/readyz") {
			t.Errorf("%s: health check %q does not call /healthz or /readyz", name, test)
		}
		if c.Services[name].DependsOn["migrate"].Condition != "service_completed_successfully" {
			t.Errorf("%s may start before the migrations ran", name)
		}
	}
	// The instances must share media, or a photo received by one is missing
	// on the other's pages.
	mediaOf := func(s service) string {
		for _, v := range s.Volumes {
			if strings.HasSuffix(v, ":"+s.Environment["SHIANBAO_MEDIA_DIR"]) {
				return strings.SplitN(v, ":", 2)[0]
			}
		}
		return ""
	}
	first := mediaOf(c.Services[inst[0]])
	for _, name := range inst {
		if m := mediaOf(c.Services[name]); m == "" || m != first {
			t.Errorf("%s: media volume %q, want one shared by every instance (%q)", name, m, first)
		}
	}
}

// TestComposeConfigValidates loads the configuration the instances run with
// (the file their command names, as the image ships it, plus their
// environment with each secret file filled in) and validates it as serve does.
func TestComposeConfigValidates(t *testing.T) {
	c := loadCompose(t)
	s := c.Services[instances(c)[0]]
	i := slices.Index(s.Command, "-config")
	if i < 0 || i+1 >= len(s.Command) {
		t.Fatalf("the instance's command %v names no -config", s.Command)
	}
	// The Dockerfile copies configs/ to /etc/shianbao.
	path := filepath.Join("..", "configs", strings.TrimPrefix(s.Command[i+1], "/etc/shianbao/"))
	secrets := t.TempDir()
	env := map[string]string{}
	for k, v := range s.Environment {
		if strings.HasSuffix(k, "_FILE") {
			f := filepath.Join(secrets, filepath.Base(v))
			value := "a-secret-of-at-least-thirty-two-characters-" + filepath.Base(v)
			if filepath.Base(v) == "db_dsn" {
				value = "shianbao:pw@tcp(mariadb:3306)/shianbao"
			}
			if filepath.Base(v) == "wechat_aeskey" {
				value = strings.Repeat("k", 43)
			}
			if err := os.WriteFile(f, []byte(value), 0o600); err != nil {
				t.Fatal(err)
			}
			v = f
		}
		env[k] = v
	}
	cfg, err := config.Load(config.Source{Path: path, Environ: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	if err != nil {
		t.Fatalf("load %s with the compose environment: %v", path, err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the compose configuration does not validate: %v", err)
	}
}

// TestCaddyfileProxiesEveryInstance checks the proxy sends traffic to every
// instance and health-checks them the way compose does.
func TestCaddyfileProxiesEveryInstance(t *testing.T) {
	data, err := os.ReadFile("Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^\s*reverse_proxy\s+(.+?)\s*\{`).FindStringSubmatch(string(data))
	if line == nil {
		t.Fatal("the Caddyfile has no reverse_proxy block")
	}
	upstreams := strings.Fields(line[1])
	for _, name := range instances(loadCompose(t)) {
		if !slices.Contains(upstreams, name+":8080") {
			t.Errorf("the proxy does not send to %s:8080 (upstreams %v)", name, upstreams)
		}
	}
	if !strings.Contains(string(data), "health_uri /readyz") {
		t.Error("the proxy does not health-check /readyz")
	}
}
