package letter

import (
	"strings"
	"testing"
)

func TestNumberFormat(t *testing.T) {
	tests := []struct {
		name, format string
		want         string // for 胡埭, 2026, 7; "" = invalid
	}{
		{"Default", "{office}食安督〔{year}〕{seq:04}号", "胡埭食安督〔2026〕0007号"},
		{"NoPadding", "{office}督〔{year}〕{seq}号", "胡埭督〔2026〕7号"},
		{"SeqOnly", "第{seq:3}号", "第007号"},
		{"WiderThanPad", "{seq:1}", "7"},
		{"ErrNoSeq", "{office}食安督〔{year}〕号", ""},
		{"ErrTwoSeqs", "{seq}-{seq}", ""},
		{"ErrUnknown", "{office}{seq}{month}", ""},
		{"ErrBadWidth", "{seq:x}", ""},
		{"ErrZeroWidth", "{seq:0}", ""},
		{"ErrUnclosed", "{office{seq}", ""},
		{"ErrStray", "}{seq}", ""},
		{"ErrArgOnOffice", "{office:2}{seq}", ""},
		{"ErrTooLong", strings.Repeat("长", 60) + "{seq}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseNumberFormat(tt.format)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("parse %q: want an error", tt.format)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := f.format("胡埭", 2026, 7); got != tt.want {
				t.Errorf("format = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("PadGrowsPastWidth", func(t *testing.T) {
		f, _ := parseNumberFormat("{seq:04}")
		if got := f.format("", 2026, 12345); got != "12345" {
			t.Errorf("got %q", got)
		}
	})
}

func FuzzNumberFormat(f *testing.F) {
	for _, s := range []string{"{office}食安督〔{year}〕{seq:04}号", "{seq}", "{seq:9}{", "}{", "{{seq}}", "{seq:}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		nf, err := parseNumberFormat(s)
		if err != nil {
			return
		}
		a, b := nf.format("胡埭", 2026, 41), nf.format("胡埭", 2026, 42)
		if a == b {
			t.Fatalf("format %q gives %q for two sequence numbers", s, a)
		}
	})
}
