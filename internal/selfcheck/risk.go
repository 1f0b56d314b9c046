package selfcheck

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shianbao/shianbao/configs"
	"github.com/shianbao/shianbao/internal/registry"
)

// Risk is one point of the daily control (日管控风险点).
type Risk struct {
	ID    string
	Label string
	// Categories the point applies to; empty means all.
	Categories []registry.Category
}

// AppliesTo reports whether the point is on the daily list of a business
// of category c. Canteens check the catering points too, as in the
// supervision checklist.
func (r Risk) AppliesTo(c registry.Category) bool {
	if len(r.Categories) == 0 || slices.Contains(r.Categories, c) {
		return true
	}
	return c == registry.CategoryCanteen && slices.Contains(r.Categories, registry.CategoryCatering)
}

// Risks is the loaded list of daily control points, in file order.
type Risks struct {
	items []Risk
	byID  map[string]int
}

type riskFile struct {
	Items []struct {
		ID         string   `yaml:"id"`
		Label      string   `yaml:"label"`
		Categories []string `yaml:"categories"`
	} `yaml:"items"`
}

var riskIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// maxRisksPerCategory keeps a daily list answerable in one chat bubble.
const maxRisksPerCategory = 20

// LoadRisks parses and validates a risk file: ids well formed and unique,
// labels present, categories known, every category with at least one and
// at most maxRisksPerCategory points. Every problem is reported at once.
func LoadRisks(data []byte) (*Risks, error) {
	var f riskFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("risks: %w", err)
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	rs := &Risks{byID: map[string]int{}}
	for i, in := range f.Items {
		r := Risk{ID: strings.TrimSpace(in.ID), Label: strings.TrimSpace(in.Label)}
		switch {
		case !riskIDPattern.MatchString(r.ID):
			bad("item %d: id %q should be lower-case letters, digits and _ (at most 32)", i+1, in.ID)
		case rs.has(r.ID):
			bad("item %s: duplicate id", r.ID)
		}
		if r.Label == "" {
			bad("item %s: no label", r.ID)
		}
		cats, catProblems := registry.ParseCategoryList(in.Categories)
		r.Categories = cats
		for _, p := range catProblems {
			bad("item %s: %s", r.ID, p)
		}
		rs.byID[r.ID] = len(rs.items)
		rs.items = append(rs.items, r)
	}
	for _, c := range registry.Categories {
		switch n := len(rs.For(c)); {
		case n == 0:
			bad("no items for %s", c)
		case n > maxRisksPerCategory:
			bad("%d items for %s (at most %d)", n, c, maxRisksPerCategory)
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("risks: %s", strings.Join(problems, "; "))
	}
	return rs, nil
}

// DefaultRisks loads the list shipped in configs/risks.yaml.
func DefaultRisks() (*Risks, error) {
	data, err := configs.FS.ReadFile("risks.yaml")
	if err != nil {
		return nil, fmt.Errorf("risks: %w", err)
	}
	return LoadRisks(data)
}

func (rs *Risks) has(id string) bool { _, ok := rs.byID[id]; return ok }

// For lists the daily points of a business of category c, in file order.
func (rs *Risks) For(c registry.Category) []Risk {
	var out []Risk
	for _, r := range rs.items {
		if r.AppliesTo(c) {
			out = append(out, r)
		}
	}
	return out
}

// Risk finds a point by id.
func (rs *Risks) Risk(id string) (Risk, bool) {
	i, ok := rs.byID[id]
	if !ok {
		return Risk{}, false
	}
	return rs.items[i], true
}
