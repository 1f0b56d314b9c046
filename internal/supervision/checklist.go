package supervision

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shianbao/shianbao/configs"
	"github.com/shianbao/shianbao/internal/registry"
)

// Check kinds: a quick visit covers the four key control points, a full
// one the business's whole list.
const (
	CheckQuick = "quick"
	CheckFull  = "full"
)

// Item is one point of the supervision checklist (督导要点).
type Item struct {
	Point
	// QuickLabel is the wording in a quick visit ("" = Label).
	QuickLabel string
	// Grades limits the item to some grades; empty means all.
	Grades []registry.Grade
	// PhotoExpected: a photo is asked for when the item has a problem.
	PhotoExpected bool
	// Article names the knowledge text that explains the item
	// (configs/knowledge/<Article>.md; see ArticleFor).
	Article string
}

// LabelFor is the item's label in a visit of the given check kind.
func (it Item) LabelFor(check string) string {
	if check == CheckQuick && it.QuickLabel != "" {
		return it.QuickLabel
	}
	return it.Label
}

// Checklists is the loaded checklist: items in file order and the quick list.
type Checklists struct {
	items []Item
	byID  map[string]int
	quick []Item
	// articles are the knowledge texts by key (WithArticles).
	articles map[string]Article
}

type checklistFile struct {
	Items []struct {
		PointSpec     `yaml:",inline"`
		QuickLabel    string   `yaml:"quick_label"`
		Grades        []string `yaml:"grades"`
		PhotoExpected bool     `yaml:"photo_expected"`
		Article       string   `yaml:"article"`
	} `yaml:"items"`
	Quick []string `yaml:"quick"`
}

// LoadChecklists parses and validates a checklist file: ids well formed
// and unique, labels present, categories and grades known, quick ids
// defined. Every problem is reported at once.
func LoadChecklists(data []byte) (*Checklists, error) {
	var f checklistFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("checklists: %w", err)
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	cl := &Checklists{byID: map[string]int{}}
	for i, in := range f.Items {
		pt, pointProblems := ParsePoint(i+1, in.PointSpec, cl.has)
		problems = append(problems, pointProblems...)
		it := Item{Point: pt, QuickLabel: strings.TrimSpace(in.QuickLabel), PhotoExpected: in.PhotoExpected,
			Article: strings.TrimSpace(in.Article)}
		for _, g := range in.Grades {
			gr, ok := registry.ParseGrade(g)
			if !ok {
				bad("item %s: unknown grade %q", it.ID, g)
			}
			it.Grades = append(it.Grades, gr)
		}
		cl.byID[it.ID] = len(cl.items)
		cl.items = append(cl.items, it)
	}
	if len(cl.items) == 0 {
		bad("no items")
	}
	seen := map[string]bool{}
	for _, id := range f.Quick {
		switch {
		case seen[id]:
			bad("quick: %s listed twice", id)
		case !cl.has(id):
			bad("quick: unknown item %q", id)
		default:
			cl.quick = append(cl.quick, cl.items[cl.byID[id]])
		}
		seen[id] = true
	}
	if len(f.Quick) == 0 {
		bad("quick: empty")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("checklists: %s", strings.Join(problems, "; "))
	}
	return cl, nil
}

// DefaultChecklists loads the checklist shipped in configs/checklists.yaml
// with its knowledge texts (configs/knowledge): every item must name one.
func DefaultChecklists() (*Checklists, error) {
	data, err := configs.FS.ReadFile("checklists.yaml")
	if err != nil {
		return nil, fmt.Errorf("checklists: %w", err)
	}
	cl, err := LoadChecklists(data)
	if err != nil {
		return nil, err
	}
	arts, err := LoadArticles(configs.FS, "knowledge")
	if err != nil {
		return nil, err
	}
	return cl, cl.WithArticles(arts)
}

func (cl *Checklists) has(id string) bool { _, ok := cl.byID[id]; return ok }

// All lists every item in file order.
func (cl *Checklists) All() []Item { return slices.Clone(cl.items) }

// For lists the items of a full visit to a business of category c, in
// file order (common items first). It ignores grade limits; see ForGrade.
func (cl *Checklists) For(c registry.Category) []Item { return PointsFor(cl.items, c) }

// ForGrade is For without the items limited to other grades: the list a
// full visit to a business of category c and grade g covers.
func (cl *Checklists) ForGrade(c registry.Category, g registry.Grade) []Item {
	var out []Item
	for _, it := range cl.For(c) {
		if len(it.Grades) == 0 || slices.Contains(it.Grades, g) {
			out = append(out, it)
		}
	}
	return out
}

// Quick lists the key control points of a quick visit, which apply to
// every category.
func (cl *Checklists) Quick() []Item { return slices.Clone(cl.quick) }

// Item finds an item by id.
func (cl *Checklists) Item(id string) (Item, bool) {
	i, ok := cl.byID[id]
	if !ok {
		return Item{}, false
	}
	return cl.items[i], true
}

// Label is an item's label in a check kind, or the id itself for an item
// no longer in the list (old visits keep their ids).
func (cl *Checklists) Label(id, check string) string {
	if it, ok := cl.Item(id); ok {
		return it.LabelFor(check)
	}
	return id
}

// Expected lists the items a check of the given kind must cover for a
// business of category c and grade g.
func (cl *Checklists) Expected(check string, c registry.Category, g registry.Grade) []Item {
	if check == CheckQuick {
		return cl.Quick()
	}
	return cl.ForGrade(c, g)
}
