package registry

import (
	"fmt"
	"strings"
)

// RegionLevel is a level of the administrative tree.
type RegionLevel string

// Region levels, top to bottom.
const (
	LevelProvince RegionLevel = "province"
	LevelCity     RegionLevel = "city"
	LevelDistrict RegionLevel = "district"
	LevelTown     RegionLevel = "town"
	LevelVillage  RegionLevel = "village"
)

// CadreLevel is the level of government a cadre serves at.
type CadreLevel string

// Cadre levels, highest first.
const (
	CadreCity    CadreLevel = "city"
	CadreCounty  CadreLevel = "county"
	CadreTown    CadreLevel = "town"
	CadreVillage CadreLevel = "village"
)

func (l CadreLevel) rank() int {
	switch l {
	case CadreCity:
		return 4
	case CadreCounty:
		return 3
	case CadreTown:
		return 2
	case CadreVillage:
		return 1
	}
	return 0
}

// Valid reports whether l is a known level.
func (l CadreLevel) Valid() bool { return l.rank() > 0 }

// Label is the Chinese name of the level.
func (l CadreLevel) Label() string { return cadreLevelLabels[l] }

var cadreLevelLabels = map[CadreLevel]string{CadreCity: "市级", CadreCounty: "县级", CadreTown: "镇级", CadreVillage: "村级"}

// ParseCadreLevel reads a level from its Chinese label or identifier.
func ParseCadreLevel(s string) (CadreLevel, bool) {
	s = strings.TrimSpace(s)
	switch s {
	case "市级", "市", "city":
		return CadreCity, true
	case "县级", "区级", "县(区)级", "区", "县", "county":
		return CadreCounty, true
	case "镇级", "街道级", "镇(街道)级", "镇", "街道", "town":
		return CadreTown, true
	case "村级", "社区级", "村(社区)级", "村", "社区", "village":
		return CadreVillage, true
	}
	return "", false
}

// Grade is a business's package-supervision grade, A (city leaders) to D (village cadres).
type Grade string

// Grades.
const (
	GradeA Grade = "A"
	GradeB Grade = "B"
	GradeC Grade = "C"
	GradeD Grade = "D"
)

// Grades lists every grade in order.
var Grades = []Grade{GradeA, GradeB, GradeC, GradeD}

// Valid reports whether g is A–D.
func (g Grade) Valid() bool { return g.CadreLevel() != "" }

// CadreLevel is the level of cadre that packs businesses of this grade.
func (g Grade) CadreLevel() CadreLevel {
	switch g {
	case GradeA:
		return CadreCity
	case GradeB:
		return CadreCounty
	case GradeC:
		return CadreTown
	case GradeD:
		return CadreVillage
	}
	return ""
}

// ParseGrade reads "A", "a", "A级".
func ParseGrade(s string) (Grade, bool) {
	g := Grade(strings.ToUpper(strings.TrimSuffix(strings.TrimSpace(s), "级")))
	return g, g.Valid()
}

// Category is a business's line of business (业态).
type Category string

// Categories.
const (
	CategoryProduction Category = "production"
	CategorySales      Category = "sales"
	CategoryCatering   Category = "catering"
	CategoryCanteen    Category = "canteen"
)

// Categories lists every category in display order.
var Categories = []Category{CategoryProduction, CategorySales, CategoryCatering, CategoryCanteen}

var categoryLabels = map[Category]string{
	CategoryProduction: "生产", CategorySales: "销售", CategoryCatering: "餐饮", CategoryCanteen: "单位食堂",
}

// Label is the Chinese name of the category.
func (c Category) Label() string { return categoryLabels[c] }

// Valid reports whether c is known.
func (c Category) Valid() bool { return categoryLabels[c] != "" }

// ParseCategoryList reads the categories a configured item (a checklist
// item, a daily risk point) applies to: ["all"] alone means every category
// (nil), anything else lists valid categories. Problems are described for
// the configuration's author, one per mistake.
func ParseCategoryList(in []string) (cats []Category, problems []string) {
	if len(in) == 0 {
		return nil, []string{"no categories (use [all])"}
	}
	for _, c := range in {
		if c == "all" {
			if len(in) > 1 {
				problems = append(problems, `"all" with other categories`)
			}
			continue
		}
		cat := Category(c)
		if !cat.Valid() {
			problems = append(problems, fmt.Sprintf("unknown category %q (all, production, sales, catering, canteen)", c))
		}
		cats = append(cats, cat)
	}
	return cats, problems
}

// ParseCategory reads a category from its Chinese label or identifier.
func ParseCategory(s string) (Category, bool) {
	s = strings.TrimSpace(s)
	switch s {
	case "生产", "食品生产", "production":
		return CategoryProduction, true
	case "销售", "食品销售", "流通", "sales":
		return CategorySales, true
	case "餐饮", "餐饮服务", "catering":
		return CategoryCatering, true
	case "单位食堂", "食堂", "canteen":
		return CategoryCanteen, true
	}
	return "", false
}

// Status is a business's current operating status, derived from its events.
type Status string

// Statuses.
const (
	StatusOperating    Status = "operating"
	StatusSuspended    Status = "suspended"
	StatusDeregistered Status = "deregistered"
)

var statusLabels = map[Status]string{StatusOperating: "正常经营", StatusSuspended: "停产停业", StatusDeregistered: "已注销"}

// Label is the Chinese name of the status.
func (s Status) Label() string { return statusLabels[s] }

// EventKind is a kind of status change recorded against a business (动态更新).
type EventKind string

// Event kinds.
const (
	EventRegistered   EventKind = "registered"
	EventChanged      EventKind = "changed"
	EventRelocated    EventKind = "relocated"
	EventSuspended    EventKind = "suspended"
	EventResumed      EventKind = "resumed"
	EventDeregistered EventKind = "deregistered"
)

var eventLabels = map[EventKind]string{
	EventRegistered: "登记", EventChanged: "变更", EventRelocated: "搬迁",
	EventSuspended: "停产停业", EventResumed: "恢复经营", EventDeregistered: "注销",
}

// Label is the Chinese name of the event.
func (k EventKind) Label() string { return eventLabels[k] }

// Valid reports whether k is known.
func (k EventKind) Valid() bool { return eventLabels[k] != "" }

// statusAfter is the status a business has after an event of kind k.
// Changes and relocations keep the business operating as it was.
func statusAfter(current Status, k EventKind) Status {
	switch k {
	case EventSuspended:
		return StatusSuspended
	case EventResumed, EventRegistered:
		return StatusOperating
	case EventDeregistered:
		return StatusDeregistered
	}
	return current
}

// ParseStatus reads a status from Chinese or an identifier ("" → operating).
func ParseStatus(s string) (Status, bool) {
	switch strings.TrimSpace(s) {
	case "", "正常", "正常经营", "在营", "operating":
		return StatusOperating, true
	case "停产停业", "停业", "停产", "suspended":
		return StatusSuspended, true
	case "注销", "已注销", "deregistered":
		return StatusDeregistered, true
	}
	return "", false
}
