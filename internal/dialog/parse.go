package dialog

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shianbao/shianbao/internal/clock"
)

// Users type on phones, in Chinese, with full-width digits and punctuation,
// or speak and let the platform transcribe ("七天后。"). The parsers accept
// all of that and nothing ambiguous.

// fold turns full-width ASCII (digits, letters, punctuation) and the
// ideographic space into their ordinary forms and trims spaces.
func fold(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x3000 && r <= 0xFF5E }) {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// word is s folded, lower-cased and without the punctuation, symbols and
// spaces around it: what commands and choice labels are compared with.
func word(s string) string {
	s = strings.TrimFunc(fold(s), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
	})
	return strings.ToLower(s)
}

func oneOf(w string, words ...string) bool {
	for _, x := range words {
		if w == x {
			return true
		}
	}
	return false
}

// The commands that work on every step.
func isCancel(w string) bool { return oneOf(w, "取消", "退出", "不填了", "cancel") }
func isBack(w string) bool   { return oneOf(w, "返回", "上一步", "后退", "back") }
func isSkip(w string) bool   { return oneOf(w, "跳过", "略过", "skip") }
func isKeep(w string) bool   { return oneOf(w, "不变", "保留", "不改") }
func isPark(w string) bool   { return oneOf(w, "暂存", "先暂存", "稍后再填", "等会再填") }

func isHelp(raw, w string) bool {
	return oneOf(w, "帮助", "说明", "怎么填", "help") || oneOf(fold(raw), "?", "？")
}

// isFinish ends a Multi photo step.
func isFinish(w string) bool {
	return oneOf(w, "完成", "好了", "好", "好的", "没有了", "没了", "下一步", "就这些", "发完了", "拍好了", "发好了", "结束", "ok")
}

// isNone answers a Skippable photo or location step with "nothing".
func isNone(w string) bool { return oneOf(w, "没有", "无", "没", "没有照片") }

func isResumeYes(w string) bool {
	if oneOf(w, "1", "继续", "继续填写", "继续上报") {
		return true
	}
	b, ok := ParseYesNo(w)
	return ok && b
}

func isResumeNo(w string) bool {
	if oneOf(w, "2", "放弃", "不继续", "重新开始") {
		return true
	}
	b, ok := ParseYesNo(w)
	return ok && !b
}

var yesNoWords = map[string]bool{
	"是": true, "是的": true, "对": true, "对的": true, "好": true, "好的": true, "有": true,
	"嗯": true, "确认": true, "确定": true, "同意": true, "可以": true, "行": true, "要": true,
	"需要": true, "y": true, "yes": true, "ok": true, "1": true,
	"否": false, "不": false, "不是": false, "不对": false, "没有": false, "无": false,
	"没": false, "不要": false, "不用": false, "不需要": false, "不同意": false, "不行": false,
	"不可以": false, "n": false, "no": false, "2": false,
}

// ParseYesNo reads 是/否 and their synonyms (好/对/有/确认/1 and
// 不/没有/无/2…).
func ParseYesNo(s string) (yes, ok bool) {
	yes, ok = yesNoWords[word(s)]
	return yes, ok
}

var (
	cnDigits = map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	cnUnits  = map[rune]int{'十': 10, '百': 100, '千': 1000}
)

// parseChineseInt reads Chinese numerals from 零 to 九千九百九十九 (十二,
// 二十, 两百, 一百零五, 二百五).
func parseChineseInt(s string) (int, bool) {
	if s == "" || utf8.RuneCountInString(s) > 8 {
		return 0, false
	}
	total, digit, lastUnit := 0, -1, 10000
	zero := false // a 零 since the last unit: 一百零五 is 105, 二百五 is 250
	for _, r := range s {
		if d, ok := cnDigits[r]; ok {
			if digit > 0 {
				return 0, false // two digits in a row
			}
			if d == 0 {
				if zero || lastUnit == 10000 && s != string(r) {
					return 0, false
				}
				zero = true
			}
			digit = d
			continue
		}
		u, ok := cnUnits[r]
		if !ok || u >= lastUnit {
			return 0, false
		}
		switch {
		case digit < 0 && u == 10 && lastUnit == 10000:
			digit = 1 // 十二
		case digit <= 0:
			return 0, false
		}
		total += digit * u
		digit, lastUnit, zero = -1, u, false
	}
	if digit > 0 {
		if !zero && lastUnit >= 100 && lastUnit < 10000 {
			digit *= lastUnit / 10
		}
		total += digit
	}
	if digit == 0 && lastUnit == 10000 {
		return 0, true // 零
	}
	return total, true
}

// parseInt reads a non-negative integer in Arabic or Chinese numerals.
func parseInt(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	if s[0] >= '0' && s[0] <= '9' {
		if len(s) > 9 {
			return 0, false
		}
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
		}
		n, err := strconv.Atoi(s)
		return n, err == nil
	}
	return parseChineseInt(s)
}

// numberUnits are measure words users add after a number ("3人", "2次").
const numberUnits = "个人天次张家元份项条件岁户名位"

// ParseNumber reads a number: "12", "-3", "2.5", "１２", "十二", "三人".
func ParseNumber(s string) (float64, bool) {
	s = strings.TrimRightFunc(fold(s), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) && r != '.'
	})
	s = strings.TrimSuffix(s, ".")
	if r, size := utf8.DecodeLastRuneInString(s); size > 0 && strings.ContainsRune(numberUnits, r) && len(s) > size {
		s = strings.TrimSpace(s[:len(s)-size])
	}
	if s == "" || len(s) > 20 {
		return 0, false
	}
	if n, ok := parseChineseInt(s); ok {
		return float64(n), true
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		case (c == '-' || c == '+') && i == 0:
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// choiceIndex reads "2", "２", "第2个", "第二项", "2号", "选2" as a 1-based number.
func choiceIndex(w string) (int, bool) {
	for _, p := range []string{"选择", "选", "第"} {
		if rest, ok := strings.CutPrefix(w, p); ok {
			w = rest
			break
		}
	}
	for _, suf := range []string{"个", "项", "号", "条", "家", "种", "."} {
		if rest, ok := strings.CutSuffix(w, suf); ok && rest != "" {
			w = rest
			break
		}
	}
	return parseInt(w)
}

// ParseChoice picks a choice by its number (1-based, "2", "第二个"), its
// label, one of its aliases, or a part of its label (two characters or
// more) that fits no other choice.
func ParseChoice(choices []Choice, s string) (Choice, bool) {
	w := word(s)
	if w == "" || len(choices) == 0 {
		return Choice{}, false
	}
	if i, ok := choiceIndex(w); ok && i >= 1 && i <= len(choices) {
		return choices[i-1], true
	}
	for _, c := range choices {
		if word(c.Label) == w {
			return c, true
		}
	}
	for _, c := range choices {
		for _, a := range c.Aliases {
			if word(a) == w {
				return c, true
			}
		}
	}
	if utf8.RuneCountInString(w) < 2 {
		return Choice{}, false
	}
	found := -1
	for i, c := range choices {
		if strings.Contains(strings.ToLower(c.Label), w) {
			if found >= 0 {
				return Choice{}, false
			}
			found = i
		}
	}
	if found < 0 {
		return Choice{}, false
	}
	return choices[found], true
}

// FormatChoices numbers the choices one per line: "1. 现场督导".
func FormatChoices(choices []Choice) string {
	var b strings.Builder
	for i, c := range choices {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(". ")
		b.WriteString(c.Label)
	}
	return b.String()
}

// listsChoices reports whether a prompt already numbers the choices itself.
func listsChoices(prompt string, choices []Choice) bool { return listStart(prompt, choices) >= 0 }

// listStart is where the prompt's own numbered list starts, or -1.
func listStart(prompt string, choices []Choice) int {
	first := choices[0].Label
	for _, p := range []string{"1. ", "1.", "1、"} {
		if i := strings.Index(prompt, p+first); i >= 0 {
			return i
		}
	}
	return -1
}

// The years a typed date may name; anything else is a typo.
const minYear, maxYear = 1900, 2200

var weekdays = map[rune]int{'一': 0, '二': 1, '三': 2, '四': 3, '五': 4, '六': 5, '日': 6, '天': 6, '七': 6,
	'1': 0, '2': 1, '3': 2, '4': 3, '5': 4, '6': 5, '7': 6}

// ParseDate reads a day, in China, relative to at where it must be:
// "2026-12-05", "2026/12/5", "20261205", "2026年12月5日", "12-5", "12月5日",
// "5号" (the nearest such day), "今天", "明天", "后天", "7天后", "7天",
// "两周后", "1个月后", "周五", "下周五". The result is midnight in China;
// whether a past date is acceptable is for the step's Validate.
func ParseDate(s string, at time.Time) (time.Time, bool) {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, fold(s))
	s = strings.TrimRightFunc(s, func(r rune) bool { return unicode.IsPunct(r) })
	if s == "" || len(s) > 40 {
		return time.Time{}, false
	}
	today := clock.Date(at)
	switch s {
	case "今天", "今日":
		return today, true
	case "明天", "明日":
		return today.AddDate(0, 0, 1), true
	case "后天":
		return today.AddDate(0, 0, 2), true
	case "大后天":
		return today.AddDate(0, 0, 3), true
	case "昨天", "昨日":
		return today.AddDate(0, 0, -1), true
	case "前天":
		return today.AddDate(0, 0, -2), true
	}
	if d, ok := relativeDate(s, today); ok {
		return d, true
	}
	if d, ok := weekdayDate(s, today); ok {
		return d, true
	}
	if d, err := clock.ParseDate(s); err == nil {
		return d, d.Year() >= minYear && d.Year() <= maxYear
	}
	return calendarDate(s, today)
}

// relativeDate reads "N天(后|内|以后)", "N日后", "N周后", "N个星期后", "N个月后".
func relativeDate(s string, today time.Time) (time.Time, bool) {
	suffixed := false
	for _, suf := range []string{"以后", "之后", "后", "以内", "之内", "内"} {
		if rest, ok := strings.CutSuffix(s, suf); ok {
			s, suffixed = rest, true
			break
		}
	}
	for _, u := range []struct {
		suffix       string
		days, months int
	}{{"天", 1, 0}, {"日", 1, 0}, {"个星期", 7, 0}, {"星期", 7, 0}, {"周", 7, 0}, {"个礼拜", 7, 0}, {"个月", 0, 1}, {"月", 0, 1}} {
		n, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		// "5日" alone is a day of the month and "3月" a month: only
		// "5日后" and "3月内" are relative.
		if !suffixed && (u.suffix == "日" || u.suffix == "月") {
			return time.Time{}, false
		}
		k, ok := parseInt(n)
		if !ok || k*u.days > 3660 || k*u.months > 120 {
			return time.Time{}, false
		}
		return today.AddDate(0, k*u.months, k*u.days), true
	}
	return time.Time{}, false
}

// weekdayDate reads "周五", "星期五", "礼拜五" (the next one, today included),
// "本周五"/"这周五" (this week's) and "下周五" (next week's).
func weekdayDate(s string, today time.Time) (time.Time, bool) {
	week := -1 // -1: the next one; 0: this week; 1: next week
	for _, p := range []struct {
		prefix string
		week   int
	}{{"下个", 1}, {"下", 1}, {"本", 0}, {"这个", 0}, {"这", 0}} {
		if rest, ok := strings.CutPrefix(s, p.prefix); ok {
			s, week = rest, p.week
			break
		}
	}
	var rest string
	ok := false
	for _, w := range []string{"周", "星期", "礼拜"} {
		if rest, ok = strings.CutPrefix(s, w); ok {
			break
		}
	}
	if !ok {
		return time.Time{}, false
	}
	r, size := utf8.DecodeRuneInString(rest)
	target, known := weekdays[r]
	if !known || size != len(rest) {
		return time.Time{}, false
	}
	idx := (int(today.Weekday()) + 6) % 7 // Monday is 0
	if week < 0 {
		return today.AddDate(0, 0, (target-idx+7)%7), true
	}
	return today.AddDate(0, 0, target-idx+7*week), true
}

// calendarDate reads "2026年12月5日", "12月5日", "12-5", "12/5", "12.5" and
// "5号"/"5日". A date without a year is the nearest such day to today (so
// "1月5日" typed in late December means next January); a day without a month
// likewise.
func calendarDate(s string, today time.Time) (time.Time, bool) {
	y, m, d := -1, -1, -1
	dayMark := false // "5号": a bare number is not a date
	for _, suf := range []string{"日", "号"} {
		if rest, ok := strings.CutSuffix(s, suf); ok {
			s, dayMark = rest, true
			break
		}
	}
	if i := strings.Index(s, "年"); i >= 0 {
		n, ok := parseInt(s[:i])
		if !ok || n < minYear || n > maxYear {
			return time.Time{}, false
		}
		y, s = n, s[i+len("年"):]
	}
	var ms, ds string
	switch {
	case strings.Contains(s, "月"):
		ms, ds, _ = strings.Cut(s, "月")
	case strings.ContainsAny(s, "-/."):
		i := strings.IndexAny(s, "-/.")
		ms, ds = s[:i], s[i+1:]
	default:
		if y >= 0 || !dayMark {
			return time.Time{}, false
		}
		ds = s
	}
	if ms != "" {
		n, ok := parseInt(ms)
		if !ok || n < 1 || n > 12 {
			return time.Time{}, false
		}
		m = n
	}
	n, ok := parseInt(ds)
	if !ok || n < 1 || n > 31 {
		return time.Time{}, false
	}
	d = n
	valid := func(y, m int) (time.Time, bool) {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, clock.China)
		return t, t.Day() == d
	}
	if y >= 0 {
		return valid(y, m)
	}
	// The nearest candidate: the same day in the year (or month) before,
	// this one and the next.
	var best time.Time
	found := false
	for k := -1; k <= 1; k++ {
		var t time.Time
		var ok bool
		if m >= 0 {
			t, ok = valid(today.Year()+k, m)
		} else {
			base := today.AddDate(0, k, 1-today.Day())
			t, ok = valid(base.Year(), int(base.Month()))
		}
		// On a tie the later day wins: "5号" on the 20th is a deadline more
		// often than a memory.
		if ok && (!found || absDays(t, today) <= absDays(best, today)) {
			best, found = t, true
		}
	}
	return best, found
}

func absDays(a, b time.Time) time.Duration {
	d := a.Sub(b)
	if d < 0 {
		return -d
	}
	return d
}
