package selfcheck

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shianbao/shianbao/configs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Risk is one point of the daily control (日管控风险点). It is read and
// applies to businesses as a supervision checklist item does.
type Risk struct {
	supervision.Point
}

// Risks is the loaded list of daily control points, in file order.
type Risks struct {
	items []Risk
	byID  map[string]int
}

type riskFile struct {
	Items []supervision.PointSpec `yaml:"items"`
}

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
		pt, pointProblems := supervision.ParsePoint(i+1, in, rs.has)
		problems = append(problems, pointProblems...)
		r := Risk{Point: pt}
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
func (rs *Risks) For(c registry.Category) []Risk { return supervision.PointsFor(rs.items, c) }

// Risk finds a point by id.
func (rs *Risks) Risk(id string) (Risk, bool) {
	i, ok := rs.byID[id]
	if !ok {
		return Risk{}, false
	}
	return rs.items[i], true
}
