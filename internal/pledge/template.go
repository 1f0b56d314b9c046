package pledge

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shianbao/shianbao/configs"
	"github.com/shianbao/shianbao/internal/clock"
)

// Template is one kind's text with its version (configs/pledges.yaml).
type Template struct {
	Title   string `yaml:"title"`
	Version string `yaml:"version"`
	// Effective is the day the version applies from (China time): a
	// pledge falls due no earlier, so reminders count from it.
	Effective  string   `yaml:"effective"`
	Paragraphs []string `yaml:"paragraphs"`

	effective time.Time
}

// Templates are the texts of both kinds.
type Templates struct {
	Cadre    Template `yaml:"cadre"`
	Business Template `yaml:"business"`
}

// Of returns the template of a kind.
func (t *Templates) Of(kind Kind) *Template {
	if kind == KindCadre {
		return &t.Cadre
	}
	return &t.Business
}

// ParseTemplates reads the texts and says every problem with them.
func ParseTemplates(data []byte) (*Templates, error) {
	var t Templates
	if err := yaml.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("pledge texts: %w", err)
	}
	var problems []string
	for _, k := range []Kind{KindCadre, KindBusiness} {
		tp := t.Of(k)
		switch {
		case strings.TrimSpace(tp.Title) == "":
			problems = append(problems, string(k)+": title is empty")
		case strings.TrimSpace(tp.Version) == "" || len(tp.Version) > 32:
			problems = append(problems, string(k)+": version must be 1 to 32 characters")
		case len(tp.Paragraphs) == 0:
			problems = append(problems, string(k)+": no paragraphs")
		}
		if bad := unknownPlaceholders(k, tp.Paragraphs); len(bad) > 0 {
			problems = append(problems, fmt.Sprintf("%s: unknown placeholders %s", k, strings.Join(bad, " ")))
		}
		d, err := time.ParseInLocation("2006-01-02", tp.Effective, clock.China)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: effective %q is not a date like 2026-01-01", k, tp.Effective))
		}
		tp.effective = d.UTC()
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("pledge texts: %s", strings.Join(problems, "; "))
	}
	return &t, nil
}

// DefaultTemplates loads the texts shipped in configs/pledges.yaml.
func DefaultTemplates() (*Templates, error) {
	data, err := configs.FS.ReadFile("pledges.yaml")
	if err != nil {
		return nil, fmt.Errorf("configs/pledges.yaml: %w", err)
	}
	return ParseTemplates(data)
}

// placeholders are what each kind's text may name; ParseTemplates
// refuses any other, so a typo in the file never reaches a signer in
// braces.
var placeholders = map[Kind][]string{
	KindCadre:    {"name", "post", "region", "count", "businesses", "office", "year"},
	KindBusiness: {"business", "code", "address", "principal", "cadre", "cadre_post", "cadre_phone", "office", "office_phone", "year"},
}

var placeholderPattern = regexp.MustCompile(`\{[a-z_]+\}`)

// unknownPlaceholders lists the placeholders in ps that kind does not know.
func unknownPlaceholders(kind Kind, ps []string) []string {
	var out []string
	for _, p := range ps {
		for _, m := range placeholderPattern.FindAllString(p, -1) {
			if !slices.Contains(placeholders[kind], strings.Trim(m, "{}")) {
				out = append(out, m)
			}
		}
	}
	return out
}

// render fills the placeholders ({name}, {businesses}, ...) of every
// paragraph.
func (t *Template) render(values map[string]string) []string {
	pairs := make([]string, 0, 2*len(values))
	for k, v := range values {
		pairs = append(pairs, "{"+k+"}", v)
	}
	r := strings.NewReplacer(pairs...)
	out := make([]string, len(t.Paragraphs))
	for i, p := range t.Paragraphs {
		out[i] = r.Replace(p)
	}
	return out
}
