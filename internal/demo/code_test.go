package demo

import (
	"math/rand/v2"
	"testing"

	"github.com/shianbao/shianbao/internal/registry"
)

func TestPermIsBijection(t *testing.T) {
	for _, seed := range []int64{0, 1, -7} {
		p := newPerm(37, seed, 1)
		seen := make([]bool, 37*37)
		for i := range uint64(37 * 37) {
			x := p.at(i)
			if x >= 37*37 || seen[x] {
				t.Fatalf("seed %d: %d → %d out of range or repeated", seed, i, x)
			}
			seen[x] = true
		}
	}
}

func TestIdents(t *testing.T) {
	g := newIdents(3, rand.New(rand.NewPCG(3, 3)))
	seen := map[string]bool{}
	for i := range 20000 {
		for _, s := range []string{
			g.creditCode([]string{prefixCompany, prefixIndividual, prefixInstitution}[i%3], "320211"),
			g.mobileNumber(), g.landlineNumber(), g.jyLicence(jyCatering, "320211"),
		} {
			if seen[s] {
				t.Fatalf("%s issued twice", s)
			}
			seen[s] = true
		}
	}
	for s := range seen {
		switch {
		case len(s) == 18:
			if why := registry.CheckCreditCode(s); why != "" {
				t.Fatalf("%s: %s", s, why)
			}
		case s[:2] == "JY":
			if why := registry.CheckLicenceNo(s); why != "" {
				t.Fatalf("%s: %s", s, why)
			}
		default:
			if why := registry.CheckPhone(s); why != "" {
				t.Fatalf("%s: %s", s, why)
			}
		}
	}
	sc, ok := g.scLicence("124", "320211")
	if !ok || registry.CheckLicenceNo(sc) != "" {
		t.Fatalf("SC licence %q", sc)
	}
}

func TestApportion(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n, k := r.IntN(1000), 1+r.IntN(20)
		w := make([]float64, k)
		for i := range w {
			w[i] = r.Float64() + 0.01
		}
		got := apportion(n, w)
		sum := 0
		for _, x := range got {
			sum += x
		}
		if sum != n {
			t.Fatalf("apportion(%d, %v) = %v", n, w, got)
		}
		dealt := deal(r, n, k)
		counts := make([]int, k)
		for _, c := range dealt {
			counts[c]++
		}
		for _, c := range counts {
			if len(dealt) != n || (n >= k && c == 0) {
				t.Fatalf("deal(%d, %d) gave %v", n, k, counts)
			}
		}
	}
}
