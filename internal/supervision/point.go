package supervision

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/shianbao/shianbao/internal/registry"
)

// Point is what a supervision checklist item and a business's own daily
// control point (selfcheck's Risk) share: an id, a label and the business
// categories it applies to. Both lists are YAML files an office edits, so
// they are read and checked by the same rules.
type Point struct {
	ID    string
	Label string
	// Categories the point applies to; empty means all.
	Categories []registry.Category
}

// AppliesTo reports whether the point is on the list of a business of
// category c. Canteens are checked on the catering points too.
func (p Point) AppliesTo(c registry.Category) bool {
	if len(p.Categories) == 0 || slices.Contains(p.Categories, c) {
		return true
	}
	return c == registry.CategoryCanteen && slices.Contains(p.Categories, registry.CategoryCatering)
}

// PointSpec is a point as written in its YAML file (inlined into the
// file's own item type).
type PointSpec struct {
	ID         string   `yaml:"id"`
	Label      string   `yaml:"label"`
	Categories []string `yaml:"categories"`
}

var pointIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// ParsePoint reads the n-th point (from 1) of a list: its id well formed
// and not already among seen, its label present, its categories known. It
// returns every problem, each in the words an editor of the file reads.
func ParsePoint(n int, in PointSpec, seen func(id string) bool) (Point, []string) {
	p := Point{ID: strings.TrimSpace(in.ID), Label: strings.TrimSpace(in.Label)}
	var problems []string
	switch {
	case !pointIDPattern.MatchString(p.ID):
		problems = append(problems, fmt.Sprintf("item %d: id %q should be lower-case letters, digits and _ (at most 32)", n, in.ID))
	case seen(p.ID):
		problems = append(problems, fmt.Sprintf("item %s: duplicate id", p.ID))
	}
	if p.Label == "" {
		problems = append(problems, fmt.Sprintf("item %s: no label", p.ID))
	}
	cats, catProblems := registry.ParseCategoryList(in.Categories)
	p.Categories = cats
	for _, c := range catProblems {
		problems = append(problems, fmt.Sprintf("item %s: %s", p.ID, c))
	}
	return p, problems
}

// PointsFor lists the points of all that apply to a business of category
// c, in order.
func PointsFor[T interface{ AppliesTo(registry.Category) bool }](all []T, c registry.Category) []T {
	var out []T
	for _, p := range all {
		if p.AppliesTo(c) {
			out = append(out, p)
		}
	}
	return out
}
