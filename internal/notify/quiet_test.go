package notify

import (
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
)

func TestQuietHoursUntil(t *testing.T) {
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, clock.China) }
	overnight, err := parseQuiet("22:00", "07:30")
	if err != nil {
		t.Fatal(err)
	}
	lunch, err := parseQuiet("12:00", "13:30")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		q     quietHours
		t     time.Time
		quiet bool
		end   time.Time
	}{
		{"Evening", overnight, at(28, 23, 0), true, at(29, 7, 30)},
		{"AtStart", overnight, at(28, 22, 0), true, at(29, 7, 30)},
		{"JustBefore", overnight, at(28, 21, 59), false, time.Time{}},
		{"EarlyMorning", overnight, at(29, 3, 0), true, at(29, 7, 30)},
		{"AtEnd", overnight, at(29, 7, 30), false, time.Time{}},
		{"Day", overnight, at(29, 12, 0), false, time.Time{}},
		{"UTCInput", overnight, at(28, 23, 0).UTC(), true, at(29, 7, 30)},
		{"SameDayPeriod", lunch, at(28, 12, 30), true, at(28, 13, 30)},
		{"SameDayOutside", lunch, at(28, 14, 0), false, time.Time{}},
		{"Off", quietHours{}, at(28, 23, 0), false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end, quiet := tt.q.until(tt.t)
			if quiet != tt.quiet || !end.Equal(tt.end) {
				t.Fatalf("until(%s) = %s, %v; want %s, %v", tt.t, end, quiet, tt.end, tt.quiet)
			}
		})
	}
	for _, bad := range [][2]string{{"22:00", ""}, {"25:00", "07:00"}, {"07:00", "07:00"}, {"7h", "8h"}} {
		if _, err := parseQuiet(bad[0], bad[1]); err == nil {
			t.Errorf("parseQuiet(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 4: 4 * time.Minute, 7: 32 * time.Minute, 8: time.Hour, 30: time.Hour} {
		for range 50 {
			got := backoff(n)
			if got < time.Duration(float64(want)*0.8) || got > min(time.Duration(float64(want)*1.2), time.Hour) {
				t.Fatalf("backoff(%d) = %s, want %s ±20%% (at most an hour)", n, got, want)
			}
		}
	}
}

func TestCutRunes(t *testing.T) {
	tests := map[string]string{
		"":        "",
		"本季度督导提醒": "本季度督导提醒",
		"一二三四五六七八九十一二三四五六七八九十":       "一二三四五六七八九十一二三四五六七八九十",
		"一二三四五六七八九十一二三四五六七八九十一":      "一二三四五六七八九十一二三四五六七八九…",
		"abcdefghijklmnopqrstuvwxyz": "abcdefghijklmnopqrs…",
	}
	for in, want := range tests {
		if got := cutRunes(in, maxFieldRunes); got != want {
			t.Errorf("cutRunes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPickOA(t *testing.T) {
	early, late := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	addrs := []Address{
		{Channel: "wecom", UserID: "w", Reachable: true, LastMessageAt: &late},
		{Channel: "oa", UserID: "a", Reachable: true, LastMessageAt: &early},
		{Channel: "oa", UserID: "b", Reachable: false, LastMessageAt: &late},
		{Channel: "oa", UserID: "c", Reachable: true, LastMessageAt: &late},
		{Channel: "oa", UserID: "d", Reachable: true},
	}
	if a, _ := pickOA(addrs); a == nil || a.UserID != "c" {
		t.Fatalf("picked %+v, want c: the reachable one that wrote last", a)
	}
	if _, why := pickOA(addrs[:1]); why != reasonWeComOnly {
		t.Errorf("wecom only: %q", why)
	}
	if _, why := pickOA(addrs[2:3]); why != reasonUnsubscribed {
		t.Errorf("unsubscribed: %q", why)
	}
	if _, why := pickOA(nil); why != reasonNotBound {
		t.Errorf("none: %q", why)
	}
}
