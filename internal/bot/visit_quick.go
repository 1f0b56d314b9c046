package bot

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// A cadre may say a whole report in one message, in any order, typed or
// spoken (speech comes without spaces): 上报 和达 现场 合格, 上报 3,
// 上报和达现场第二项有问题后厨地面积水, 上报 和达 现场 合格 搬迁 梅梁路88号.
// What it says is answered at the start; only what is missing is asked.

// quickReport is what one message said of a visit.
type quickReport struct {
	// Ref names the business: a number from 我的任务, a credit code or a
	// part of the name; "" when the message did not say.
	Ref  string
	Mode supervision.Mode
	// AllOK is 合格: every item of the quick check passed (but Issues).
	AllOK  bool
	Issues []quickIssue
	Status registry.EventKind
	Note   string
}

// quickIssue is "2有问题 后厨积水": the quick check's item N failed.
type quickIssue struct {
	N    int
	Desc string
}

// reportWords start a report; the longest first. 督导 alone does too.
var reportWords = []string{"上报督导", "上报"}

var (
	issueRe  = regexp.MustCompile(`(第)?([0-9０-９]+|[一二三四五六七八九十两]+)(项|号)?(有问题|不合格)`)
	statusRe = regexp.MustCompile(`停产停业|停业|停产|搬迁|迁址|变更`)
	okWords  = []string{"全部合格", "都合格", "全合格", "合格", "没问题", "无问题", "正常"}
)

// parseQuick reads a report command; ok is false for anything that does
// not start with a report word. A bare 上报督导 is a quickReport with
// nothing in it.
func parseQuick(text string) (quickReport, bool) {
	text = strings.TrimSpace(text)
	if text == "督导" {
		return quickReport{}, true
	}
	var rest string
	found := false
	for _, w := range reportWords {
		if r, ok := strings.CutPrefix(text, w); ok {
			rest, found = r, true
			break
		}
	}
	if !found {
		return quickReport{}, false
	}
	var q quickReport
	// The status and its note come last: 搬迁 梅梁路88号.
	if loc := statusRe.FindStringIndex(rest); loc != nil {
		switch w := rest[loc[0]:loc[1]]; w {
		case "搬迁", "迁址":
			q.Status = registry.EventRelocated
		case "变更":
			q.Status = registry.EventChanged
		default:
			q.Status = registry.EventSuspended
		}
		q.Note = clean(rest[loc[1]:])
		rest = rest[:loc[0]]
	}
	// Each issue's description runs to the next issue.
	if ms := issueRe.FindAllStringSubmatchIndex(rest, -1); ms != nil {
		for i, m := range ms {
			end := len(rest)
			if i+1 < len(ms) {
				end = ms[i+1][0]
			}
			n, ok := dialog.ParseNumber(rest[m[4]:m[5]])
			if !ok {
				continue
			}
			q.Issues = append(q.Issues, quickIssue{N: int(n), Desc: clean(rest[m[1]:end])})
		}
		rest = rest[:ms[0][0]]
	}
	for _, m := range []supervision.Mode{supervision.ModeOnsite, supervision.ModeOnline, supervision.ModeCentralized} {
		for _, w := range append([]string{m.Label()}, modeWords[m]...) {
			if i := strings.Index(rest, w); i >= 0 && q.Mode == "" {
				q.Mode, rest = m, rest[:i]+" "+rest[i+len(w):]
			}
		}
	}
	for _, w := range okWords {
		if i := strings.Index(rest, w); i >= 0 {
			q.AllOK, rest = true, rest[:i]+" "+rest[i+len(w):]
			break
		}
	}
	q.Ref = strings.Join(strings.Fields(clean(rest)), "")
	return q, true
}

// clean trims spaces and punctuation around s.
func clean(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
}

// empty reports whether the message said nothing but 上报督导.
func (q quickReport) empty() bool {
	return q.Ref == "" && q.Mode == "" && !q.AllOK && len(q.Issues) == 0 && q.Status == ""
}

// answers are the report's steps answered by the message, for the
// business's quick check (items in order); a reason when an issue names
// no item of it.
func (q quickReport) answers(items []supervision.Item) (map[string]dialog.Value, string) {
	a := map[string]dialog.Value{}
	if q.Mode != "" {
		a[sMode] = dialog.Value{Text: string(q.Mode)}
	}
	if q.Status != "" {
		a[sStatus] = dialog.Value{Text: string(q.Status)}
		if q.Note != "" {
			a[sStatusNote] = dialog.Value{Text: q.Note}
		}
	}
	if !q.AllOK && len(q.Issues) == 0 {
		return a, ""
	}
	a[sCheck] = dialog.Value{Text: supervision.CheckQuick}
	for _, is := range q.Issues {
		if is.N < 1 || is.N > len(items) {
			delete(a, sCheck)
			return a, sprintf(msgQuickNoItem, len(items), is.N)
		}
	}
	for i, it := range items {
		a[itemPrefix+it.ID] = dialog.Value{Text: string(supervision.ResultOK)}
		for _, is := range q.Issues {
			if is.N == i+1 {
				a[itemPrefix+it.ID] = dialog.Value{Text: string(supervision.ResultIssue)}
				if is.Desc != "" {
					a[issueKey(it.ID, "desc")] = dialog.Value{Text: is.Desc}
				}
			}
		}
	}
	return a, ""
}
