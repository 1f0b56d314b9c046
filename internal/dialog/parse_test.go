package dialog_test

import (
	"math"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
)

func TestParseNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"3", 3, true}, {"１２", 12, true}, {" 2.5 ", 2.5, true}, {"-1", -1, true}, {"3.", 3, true},
		{"零", 0, true}, {"七", 7, true}, {"十", 10, true}, {"十二", 12, true}, {"二十", 20, true},
		{"九十九", 99, true}, {"两", 2, true}, {"两百", 200, true}, {"一百零五", 105, true},
		{"二百五", 250, true}, {"三千", 3000, true}, {"三人", 3, true}, {"12个", 12, true}, {"五。", 5, true},
		{"", 0, false}, {"abc", 0, false}, {"一二", 0, false}, {"十十", 0, false}, {"百", 0, false},
		{"1e3", 0, false}, {"inf", 0, false}, {"NaN", 0, false}, {"0x10", 0, false}, {"1.2.3", 0, false},
		{"人", 0, false}, {"--1", 0, false}, {"零十", 0, false}, {"十百", 0, false},
	} {
		got, ok := dialog.ParseNumber(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParseNumber(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseDate(t *testing.T) {
	at := time.Date(2026, 11, 20, 23, 30, 0, 0, clock.China) // a Friday, late evening
	for _, tc := range []struct {
		in, want string // want "" = not a date
	}{
		{"2026-12-05", "2026-12-05"}, {"2026/12/5", "2026-12-05"}, {"20261205", "2026-12-05"},
		{"2026年12月5日", "2026-12-05"}, {"２０２６－１２－０５", "2026-12-05"}, {"2027.1.3", "2027-01-03"},
		{"12-5", "2026-12-05"}, {"12/5", "2026-12-05"}, {"12.5", "2026-12-05"}, {"12月5日", "2026-12-05"},
		{"12月5号", "2026-12-05"}, {"12月5", "2026-12-05"}, {"十二月五日", "2026-12-05"}, {"12 月 5 日", "2026-12-05"},
		{"1月5日", "2027-01-05"}, {"10月1日", "2026-10-01"}, {"5号", "2026-12-05"}, {"18日", "2026-11-18"},
		{"今天", "2026-11-20"}, {"明天", "2026-11-21"}, {"后天", "2026-11-22"}, {"大后天", "2026-11-23"},
		{"昨天", "2026-11-19"}, {"7天后", "2026-11-27"}, {"7天", "2026-11-27"}, {"七天后。", "2026-11-27"},
		{"15天内", "2026-12-05"}, {"3日后", "2026-11-23"}, {"两周后", "2026-12-04"}, {"1个月后", "2026-12-20"},
		{"一个星期", "2026-11-27"}, {"周五", "2026-11-20"}, {"周一", "2026-11-23"}, {"星期日", "2026-11-22"},
		{"下周五", "2026-11-27"}, {"下周一", "2026-11-23"}, {"本周三", "2026-11-18"}, {"礼拜天", "2026-11-22"},
		{"", ""}, {"7", ""}, {"下下周", ""}, {"明年", ""}, {"2月30日", ""}, {"13月1日", ""}, {"12月", ""},
		{"5日", "2026-12-05"}, {"3月", ""}, {"2026-13-01", ""}, {"周八", ""}, {"99999天后", ""}, {"abc", ""},
		{"2026年", ""}, {"1800年1月1日", ""},
	} {
		got, ok := dialog.ParseDate(tc.in, at)
		if tc.want == "" {
			if ok {
				t.Errorf("ParseDate(%q) = %v, want not a date", tc.in, got)
			}
			continue
		}
		if !ok || got.Format(time.DateOnly) != tc.want || got.Location() != clock.China || got.Hour() != 0 {
			t.Errorf("ParseDate(%q) = %v, %v; want %s", tc.in, got, ok, tc.want)
		}
	}
}

func TestParseYesNo(t *testing.T) {
	for _, tc := range []struct {
		in      string
		yes, ok bool
	}{
		{"是", true, true}, {"是的！", true, true}, {"好", true, true}, {"对", true, true}, {"1", true, true},
		{"１", true, true}, {"确认", true, true}, {"OK", true, true}, {"有", true, true},
		{"否", false, true}, {"不", false, true}, {"没有", false, true}, {"无", false, true}, {"2", false, true},
		{"不是。", false, true}, {"No", false, true},
		{"也许", false, false}, {"", false, false}, {"3", false, false}, {"是不是", false, false},
	} {
		yes, ok := dialog.ParseYesNo(tc.in)
		if yes != tc.yes || ok != tc.ok {
			t.Errorf("ParseYesNo(%q) = %v, %v; want %v, %v", tc.in, yes, ok, tc.yes, tc.ok)
		}
	}
}

func TestParseChoice(t *testing.T) {
	choices := []dialog.Choice{
		{Key: "onsite", Label: "现场督导", Aliases: []string{"现场"}},
		{Key: "online", Label: "在线督导", Aliases: []string{"在线", "视频"}},
		{Key: "meeting", Label: "集中督导"},
		{Key: "ab", Label: "Alpha Bar"},
	}
	for _, tc := range []struct{ in, want string }{
		{"1", "onsite"}, {"２", "online"}, {"第3个", "meeting"}, {"第二个", "online"}, {"选1", "onsite"},
		{"3号", "meeting"}, {"3.", "meeting"}, {" 2。", "online"}, {"现场督导", "onsite"}, {"现场", "onsite"},
		{"视频", "online"}, {"集中", "meeting"}, {"alpha bar", "ab"}, {"ALPHA", "ab"},
		{"5", ""}, {"0", ""}, {"督导", ""}, {"", ""}, {"线", ""}, {"上门", ""}, {"第", ""},
	} {
		got, ok := dialog.ParseChoice(choices, tc.in)
		if (tc.want == "") == ok || got.Key != tc.want {
			t.Errorf("ParseChoice(%q) = %q, %v; want %q", tc.in, got.Key, ok, tc.want)
		}
	}
	if got := dialog.FormatChoices(choices[:2]); got != "1. 现场督导\n2. 在线督导" {
		t.Errorf("FormatChoices = %q", got)
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"3", "十二", "一百零五", "-2.5", "１２", "三人", "二百五"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := dialog.ParseNumber(s)
		if ok && (math.IsNaN(n) || math.IsInf(n, 0)) {
			t.Fatalf("ParseNumber(%q) = %v", s, n)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-12-05", "12月5日", "明天", "7天后", "下周五", "5号", "两周后", "2026年2月29日"} {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, s string, offset int64) {
		at := t0.Add(time.Duration(offset % int64(100*365*24*time.Hour)))
		d, ok := dialog.ParseDate(s, at)
		if !ok {
			return
		}
		if d.Location() != clock.China || d.Hour() != 0 || d.Minute() != 0 {
			t.Fatalf("ParseDate(%q) = %v, not a day in China", s, d)
		}
		if d.Year() < 1800 || d.Year() > 2400 {
			t.Fatalf("ParseDate(%q, %v) = %v", s, at, d)
		}
	})
}

func FuzzParseChoice(f *testing.F) {
	choices := []dialog.Choice{{Key: "a", Label: "合格", Aliases: []string{"好"}}, {Key: "b", Label: "有问题"}, {Key: "c", Label: "不适用"}}
	for _, s := range []string{"1", "第二个", "合格", "问题", "３", "选2", "有问"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := dialog.ParseChoice(choices, s)
		if ok && c.Key == "" {
			t.Fatalf("ParseChoice(%q) picked an empty choice", s)
		}
		if !ok && c.Key != "" {
			t.Fatalf("ParseChoice(%q) = %q without ok", s, c.Key)
		}
	})
}

func FuzzParseYesNo(f *testing.F) {
	for _, s := range []string{"是", "否", "好的", "没有", "1", "2", "OK"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		yes, ok := dialog.ParseYesNo(s)
		if !ok && yes {
			t.Fatalf("ParseYesNo(%q) = yes without ok", s)
		}
	})
}
