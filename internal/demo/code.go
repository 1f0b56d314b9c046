package demo

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/shianbao/shianbao/internal/registry"
)

// perm is a keyed permutation of [0, half²): a four-round Feistel network
// over the two base-half digits of a number. Codes and phone numbers are
// drawn from counters through it, so they look random, never repeat and
// need no set of those already issued (a city has 100,000 of each).
type perm struct {
	half uint64
	keys [4]uint64
}

func newPerm(half uint64, seed int64, salt uint64) perm {
	p := perm{half: half}
	for i := range p.keys {
		p.keys[i] = mix(uint64(seed) ^ salt ^ uint64(i+1)*0x9e3779b97f4a7c15)
	}
	return p
}

// at maps i (< half²) to its image; distinct i give distinct images.
func (p perm) at(i uint64) uint64 {
	l, r := i/p.half, i%p.half
	for _, k := range p.keys {
		l, r = r, (l+mix(r^k)%p.half)%p.half
	}
	return l*p.half + r
}

// mix is the splitmix64 finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// creditAlphabet is GB 32100's alphabet (no I, O, S, V, Z).
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// Credit code prefixes: registration authority and entity type.
const (
	prefixOrgan       = "11" // 机关 (government offices' canteens)
	prefixInstitution = "12" // 事业单位 (schools, clinics, homes for the elderly)
	prefixCompany     = "91" // 企业
	prefixIndividual  = "92" // 个体工商户
)

// The counters below have room for 887 million credit codes, 100 million
// mobile and a million office numbers, and a million JY serials per kind and
// district; MaxScale keeps a run well inside all of them.

// idents issues the identifiers of one seeding run: credit codes, licence
// numbers and phone numbers, each unique within the run and all of them a
// function of the seed.
type idents struct {
	rng                      *rand.Rand
	credit, mobile, landline perm
	jy, sc                   perm
	nCredit, nMobile, nLand  uint64
	nJY, nSC                 map[string]uint64
}

func newIdents(seed int64, rng *rand.Rand) *idents {
	return &idents{
		rng:      rng,
		credit:   newPerm(29791, seed, 0xc4ed17),
		mobile:   newPerm(10000, seed, 0x3ab11e),
		landline: newPerm(1000, seed, 0x1a4d11),
		jy:       newPerm(1000, seed, 0x4a7900),
		sc:       newPerm(100, seed, 0x5c0000),
		nJY:      map[string]uint64{},
		nSC:      map[string]uint64{},
	}
}

// creditCode returns a valid unified social credit code registered in
// region (a six-digit district code). Characters 9–17 are the organisation
// code: companies and individual businesses registered since 2015 start it
// with "MA"; the last six characters carry the unique serial.
func (g *idents) creditCode(prefix, region string) string {
	var b strings.Builder
	b.Grow(18)
	b.WriteString(prefix)
	b.WriteString(region)
	if prefix == prefixCompany || prefix == prefixIndividual {
		b.WriteString("MA")
		b.WriteByte(creditAlphabet[1+g.rng.IntN(9)])
	} else {
		b.WriteByte('4' + byte(g.rng.IntN(3)))
		b.WriteByte('0' + byte(g.rng.IntN(10)))
		b.WriteByte('0' + byte(g.rng.IntN(10)))
	}
	x := g.credit.at(g.nCredit)
	g.nCredit++
	var serial [6]byte
	for i := 5; i >= 0; i-- {
		serial[i] = creditAlphabet[x%31]
		x /= 31
	}
	b.Write(serial[:])
	first := b.String()
	return first + string(registry.CreditCheckChar(first))
}

// JY licence kinds (the first digit after "JY").
const (
	jySales    = '1'
	jyCatering = '2'
	jyCanteen  = '3'
)

// jyLicence returns a food business licence number: JY, the kind, the
// district code, a six-digit serial and a check digit.
func (g *idents) jyLicence(kind byte, district string) string {
	key := string(kind) + district
	n := g.nJY[key]
	g.nJY[key] = n + 1
	return withCheckDigit("JY", string(kind)+district+pad(g.jy.at(n), 6))
}

// scLicence returns a food production licence number: SC, the food
// category ("101" grain products …), the district code, a four-digit serial
// and a check digit. false when the district's serials for the category are
// used up (10,000; a city never comes close).
func (g *idents) scLicence(category, district string) (string, bool) {
	key := category + district
	n := g.nSC[key]
	if n >= 10000 {
		return "", false
	}
	g.nSC[key] = n + 1
	return withCheckDigit("SC", category+district+pad(g.sc.at(n), 4)), true
}

// withCheckDigit appends a Luhn digit to the 13 digits, giving prefix + 14 digits.
func withCheckDigit(prefix, digits string) string {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return prefix + digits + strconv.Itoa((10-sum%10)%10)
}

var mobilePrefixes = []string{
	"130", "131", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
	"155", "157", "158", "159", "180", "181", "182", "183", "185", "187", "188", "189",
}

// mobileNumber returns an 11-digit mobile number not issued before in this run.
func (g *idents) mobileNumber() string {
	x := g.mobile.at(g.nMobile)
	g.nMobile++
	return mobilePrefixes[g.rng.IntN(len(mobilePrefixes))] + pad(x, 8)
}

// landlineNumber returns a Wuxi office number (0510-8xxxxxxx) not issued
// before in this run.
func (g *idents) landlineNumber() string {
	x := g.landline.at(g.nLand)
	g.nLand++
	return "0510-8" + strconv.Itoa(1+g.rng.IntN(8)) + pad(x, 6)
}

func pad(x uint64, width int) string {
	s := strconv.FormatUint(x, 10)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}
