package templates

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/review"
	"github.com/shianbao/shianbao/internal/supervision"
)

// funcs format values the same way on every page, in China time.
var funcs = template.FuncMap{
	"abs": func(n int) int {
		if n < 0 {
			return -n
		}
		return n
	},
	"inc":        func(i int) int { return i + 1 },
	"add":        func(a, b int) int { return a + b },
	"rectStatus": supervision.StatusLabel,
	"rectLabel":  supervision.StatusLabel,
	// The read side's rows carry the features' words as strings; these
	// name them (a registry or supervision value prints the same word).
	"categoryLabel": func(v any) string { return registry.Category(fmt.Sprint(v)).Label() },
	"statusLabel":   func(v any) string { return registry.Status(fmt.Sprint(v)).Label() },
	"modeLabel":     func(v any) string { return supervision.Mode(fmt.Sprint(v)).Label() },
	"flagLabel":     func(v any) string { return review.Kind(fmt.Sprint(v)).Label() },
	"outcomeLabel":  func(v any) string { return review.Outcome(fmt.Sprint(v)).Label() },
	"sampledLabel": func(v any) string {
		switch fmt.Sprint(v) {
		case review.SampledAtRandom:
			return "随机抽中"
		case review.SampledFlagged:
			return "因异常列入"
		}
		return "未抽中"
	},
	"rectEvent": func(kind string) string {
		if l, ok := rectEventLabels[kind]; ok {
			return l
		}
		return kind
	},
	"date":     func(t time.Time) string { return t.In(clock.China).Format("2006年1月2日") },
	"datetime": func(t time.Time) string { return t.In(clock.China).Format("2006年1月2日 15:04") },
	"day":      func(t time.Time) string { return t.In(clock.China).Format("2006-01-02") },
	"dayp": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(clock.China).Format("2006-01-02 15:04")
	},
	"meters": func(m *float64) string {
		if m == nil {
			return ""
		}
		if *m >= 1000 {
			return strconv.FormatFloat(*m/1000, 'f', 1, 64) + "公里"
		}
		return strconv.FormatFloat(*m, 'f', 0, 64) + "米"
	},
	"pct": func(covered, due int) string {
		if due == 0 {
			return "—"
		}
		return strings.TrimSuffix(strings.TrimSuffix(strconv.FormatFloat(100*float64(covered)/float64(due), 'f', 1, 64), "0"), ".") + "%"
	},
	"pctf": percentText,
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"mask":       registry.MaskPhone,
	"modes":      func() []supervision.Mode { return supervision.Modes },
	"grades":     func() []registry.Grade { return registry.Grades },
	"categories": func() []registry.Category { return registry.Categories },
	"statuses": func() []registry.Status {
		return []registry.Status{registry.StatusOperating, registry.StatusSuspended, registry.StatusDeregistered}
	},
	// person is an actor's name and role from the page's People map
	// (query.People): "林峰玉（包保干部）", never "cadre:12".
	"person": func(people map[string]query.Person, actor any) string {
		a := fmt.Sprint(actor)
		if a == "" {
			return ""
		}
		if p, ok := people[a]; ok {
			return p.Label()
		}
		return msgSomeone
	},
	// source is where a record came from, in words.
	"source": func(source any) string { return query.SourceLabel(fmt.Sprint(source)) },
	"contactRoles": func() []account.ContactRole {
		return []account.ContactRole{account.ContactPrincipal, account.ContactDirector, account.ContactOfficer}
	},
}

// msgSomeone stands for an actor the page could not name.
const msgSomeone = "（未知）"

var rectEventLabels = map[string]string{"rectified": "复查合格", "extended": "延期", "feedback": "主体反馈", "withdrawn": "撤销"}

// percentText is a percentage to one decimal ("42.5%").
func percentText(p float64) string {
	return strconv.FormatFloat(math.Round(p*10)/10, 'f', -1, 64) + "%"
}
