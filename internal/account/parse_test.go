package account

import (
	"math"
	"strings"
	"testing"
)

func testService() *Service {
	return &Service{secret: []byte("test-secret-0123456789abcdef")}
}

func TestNewCode(t *testing.T) {
	seen := map[byte]bool{}
	for range 2000 {
		c := newCode()
		if got, ok := normalizeCode(c); !ok || got != c {
			t.Fatalf("generated %q does not read back (%q, %v)", c, got, ok)
		}
		for i := 0; i < len(c); i++ {
			seen[c[i]] = true
		}
	}
	if len(seen) != len(codeAlphabet) {
		t.Fatalf("2000 codes used %d of %d characters", len(seen), len(codeAlphabet))
	}
}

func TestNormalizeCode(t *testing.T) {
	for in, want := range map[string]string{
		"7KQ4M2XP":           "7KQ4M2XP",
		" 7kq4-m2xp ":        "7KQ4M2XP",
		"7KQ4 M2XP":          "7KQ4M2XP",
		"７ＫＱ４—Ｍ２ＸＰ":          "7KQ4M2XP",
		"7kq4\u3000m2xp\r\n": "7KQ4M2XP",
	} {
		if got, ok := normalizeCode(in); !ok || got != want {
			t.Errorf("normalizeCode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "7KQ4M2X", "7KQ4M2XPP", "0KQ4M2XP", "IKQ4M2XP", "7KQ4M2X中", "绑定 7KQ4M2XP"} {
		if _, ok := normalizeCode(in); ok {
			t.Errorf("%q accepted", in)
		}
	}
}

func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"7KQ4M2XP", " 7kq4-m2xp ", "７ＫＱ４Ｍ２ＸＰ", "", "\xff\xfe", strings.Repeat("A", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := normalizeCode(s)
		if !ok {
			return
		}
		if len(got) != codeLen || strings.Trim(got, codeAlphabet) != "" {
			t.Fatalf("accepted %q as %q", s, got)
		}
		if again, ok := normalizeCode(got); !ok || again != got {
			t.Fatalf("not idempotent: %q → %q → %q", s, got, again)
		}
	})
}

func TestScene(t *testing.T) {
	s := testService()
	for _, id := range []int64{1, 42, 1 << 40, math.MaxInt64} {
		scene := s.formatScene(id)
		if len(scene) > SceneMaxLen || len(scenePlatformPrefix+scene) > SceneMaxLen+len(scenePlatformPrefix) {
			t.Fatalf("scene %q too long", scene)
		}
		for _, in := range []string{scene, scenePlatformPrefix + scene, " " + scene + " "} {
			if got, ok := s.parseScene(in); !ok || got != id {
				t.Fatalf("parse %q = %d, %v; want %d", in, got, ok, id)
			}
		}
		// Every single-character change breaks the signature or the shape.
		for i := range len(scene) {
			for _, c := range []byte("A7.b") {
				if scene[i] == c {
					continue
				}
				b := []byte(scene)
				b[i] = c
				if got, ok := s.parseScene(string(b)); ok {
					t.Fatalf("tampered %q (position %d) accepted as %d", b, i, got)
				}
			}
		}
	}
	other := &Service{secret: []byte("another-secret-0123456789")}
	if _, ok := s.parseScene(other.formatScene(1)); ok {
		t.Fatal("scene signed under another secret accepted")
	}
}

func FuzzParseScene(f *testing.F) {
	s := testService()
	f.Add(s.formatScene(1))
	f.Add(scenePlatformPrefix + s.formatScene(99))
	f.Add("b1..")
	f.Add("b1.AAAAAAAAAAAAA.AAAAAAAAAAAAAAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, scene string) {
		id, ok := s.parseScene(scene)
		if !ok {
			return
		}
		if id <= 0 {
			t.Fatalf("%q parsed to id %d", scene, id)
		}
		if again, ok := s.parseScene(s.formatScene(id)); !ok || again != id {
			t.Fatalf("round trip of %d failed", id)
		}
	})
}
