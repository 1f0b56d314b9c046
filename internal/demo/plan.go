package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/shianbao/shianbao/internal/registry"
)

// A plan is the shape of the register to generate: the region tree, how
// many businesses of each grade sit in each village and how many cadres
// pack them. The demo district's plan is written out below to match the
// seed document; a city-scale or province-scale plan is drawn at random.
// The generator then fills in names, codes, people and places the same way
// for all of them.
type plan struct {
	// province names the tree's root when the register is a province's
	// ("" when the root is the one city).
	province, provinceCode string
	cities                 []*cityPlan
}

type cityPlan struct {
	name      string
	code      string
	center    point
	office    bool // the city has its own food-safety office
	cityCadre int  // city-level cadres, for grade A
	districts []*districtPlan
}

type districtPlan struct {
	name, code   string
	center       point
	countyCadres int // for grade B
	towns        []*townPlan
}

type townPlan struct {
	name, code string
	street     bool // 街道 rather than 镇: communities, street-office posts
	center     point
	townCadres int // for grade C
	villages   []*villagePlan
}

type villagePlan struct {
	name, code string
	community  bool // 社区 rather than 村
	center     point
	count      [4]int // businesses by grade, A to D
	cadres     int    // village-level cadres, for grade D
}

// point is a latitude and longitude in degrees.
type point struct{ lat, lng float64 }

// near returns a point about km kilometres from p in a random direction
// (uniform over the disc of that radius).
func (p point) near(r *rand.Rand, km float64) point {
	d := km * math.Sqrt(r.Float64())
	a := 2 * math.Pi * r.Float64()
	return p.offset(d*math.Cos(a), d*math.Sin(a))
}

// jitter returns a point scattered normally around p with sigma km.
func (p point) jitter(r *rand.Rand, sigma float64) point {
	return p.offset(r.NormFloat64()*sigma, r.NormFloat64()*sigma)
}

func (p point) offset(northKm, eastKm float64) point {
	return point{
		lat: p.lat + northKm/111.0,
		lng: p.lng + eastKm/(111.0*math.Cos(p.lat*math.Pi/180)),
	}
}

func gradeIndex(g registry.Grade) int { return int(g[0] - 'A') }

func (v *villagePlan) total() int { return v.count[0] + v.count[1] + v.count[2] + v.count[3] }

func (t *townPlan) total() (n int) {
	for _, v := range t.villages {
		n += v.total()
	}
	return n
}

func (t *townPlan) grade(g registry.Grade) (n int) {
	for _, v := range t.villages {
		n += v.count[gradeIndex(g)]
	}
	return n
}

func (p *plan) total() (n int) {
	for _, c := range p.cities {
		for _, d := range c.districts {
			for _, t := range d.towns {
				n += t.total()
			}
		}
	}
	return n
}

// The demo district's towns. Village names are synthetic but in the style
// of the real ones.
var (
	hudaiVillages = []string{"胡埭村", "马鞍村", "张舍村", "富安社区", "刘塘村", "龙延村", "南湖社区", "孔山村", "西湖社区", "东湖社区"}
	lihuVillages  = []string{"青祁社区", "蠡湖社区", "蠡园社区", "湖景社区", "金城湾社区", "渔港社区", "五里湖社区", "长广社区", "望湖社区", "太湖花园社区"}
)

// demoPlan is the district of the seed document: 胡埭镇 with 10 villages,
// 23 C and 956 D businesses; 蠡湖街道 with 1,060 businesses, mostly D, some
// C and a few B. city and district name the tree's root as the register is
// configured (无锡市 滨湖区 by default).
func demoPlan(r *rand.Rand, city, district, districtCode string) *plan {
	if districtCode == "" {
		districtCode = "320211"
	}
	d := &districtPlan{name: district, code: districtCode, center: point{31.55, 120.27}, countyCadres: 3}
	hudai := &townPlan{name: "胡埭镇", code: districtCode + "102", center: point{31.560, 120.160}, townCadres: 4}
	lihu := &townPlan{name: "蠡湖街道", code: districtCode + "005", street: true, center: point{31.530, 120.270}, townCadres: 6}
	addVillages(r, hudai, hudaiVillages, 3.5)
	addVillages(r, lihu, lihuVillages, 2.2)
	spread(r, hudai, registry.GradeC, 23)
	spread(r, hudai, registry.GradeD, 956)
	spread(r, lihu, registry.GradeB, 5)
	spread(r, lihu, registry.GradeC, 53)
	spread(r, lihu, registry.GradeD, 1060-5-53)
	for _, t := range []*townPlan{hudai, lihu} {
		for _, v := range t.villages {
			// About 8 to 11 businesses each, as in the seed.
			v.cadres = villageCadres(r, v.count[gradeIndex(registry.GradeD)], 8, 11)
		}
	}
	d.towns = []*townPlan{hudai, lihu}
	c := &cityPlan{name: city, code: cityCode(districtCode), center: point{31.57, 120.30}, districts: []*districtPlan{d}}
	return &plan{cities: []*cityPlan{c}}
}

func cityCode(districtCode string) string {
	if len(districtCode) < 4 {
		return ""
	}
	return districtCode[:4] + "00"
}

// addVillages places named villages around a town's centre, within radius km.
func addVillages(r *rand.Rand, t *townPlan, names []string, radius float64) {
	rural, urban := 0, 0
	for _, name := range names {
		v := &villagePlan{name: name, community: strings.HasSuffix(name, "社区"), center: t.center.near(r, radius)}
		// Codes follow GB/T 10114: communities' residents' committees 0xx, villages' 2xx.
		if v.community {
			urban++
			v.code = fmt.Sprintf("%s%03d", t.code, urban)
		} else {
			rural++
			v.code = fmt.Sprintf("%s%03d", t.code, 200+rural)
		}
		t.villages = append(t.villages, v)
	}
}

// spread distributes n businesses of grade g over t's villages, unevenly:
// some villages have a market street, others are mostly fields.
func spread(r *rand.Rand, t *townPlan, g registry.Grade, n int) {
	w := make([]float64, len(t.villages))
	for i, v := range t.villages {
		w[i] = 0.6 + 0.8*r.Float64()
		if v.community {
			w[i] *= 1.3
		}
	}
	for i, k := range apportion(n, w) {
		t.villages[i].count[gradeIndex(g)] += k
	}
}

// villageCadres is how many village cadres pack n D businesses when each
// packs lo to hi of them.
func villageCadres(r *rand.Rand, n, lo, hi int) int {
	if n == 0 {
		return 0
	}
	return int(math.Ceil(float64(n) / float64(lo+r.IntN(hi-lo+1))))
}

// perCadre is how many cadres pack n businesses at about ten each.
func perCadre(n int) int { return (n + 9) / 10 }

// districtSpec is a district or county of a city to be drawn, with a
// weight for how many towns it gets.
type districtSpec struct {
	name, code string
	center     point
	weight     float64
	urban      bool // streets only
}

// wuxi lists the city's districts and county-level cities for the
// city-scale plan.
var wuxi = []districtSpec{
	{"梁溪区", "320213", point{31.575, 120.296}, 0.8, true},
	{"锡山区", "320205", point{31.589, 120.357}, 1.0, false},
	{"惠山区", "320206", point{31.681, 120.298}, 1.0, false},
	{"滨湖区", "320211", point{31.550, 120.267}, 1.0, false},
	{"新吴区", "320214", point{31.550, 120.363}, 0.9, false},
	{"江阴市", "320281", point{31.839, 120.275}, 1.6, false},
	{"宜兴市", "320282", point{31.364, 119.824}, 1.6, false},
}

// Grade mix of a city's register: D is about 95 % of a town.
var cityGradeShare = [4]float64{0.001, 0.009, 0.04}

// cityScalePlan draws a city-scale register of exactly n businesses, the
// city of 无锡市 at its root.
func cityScalePlan(r *rand.Rand, n int) *plan {
	return &plan{cities: []*cityPlan{drawCity(r, n, "无锡市", "320200", point{31.57, 120.30}, wuxi)}}
}

// drawCity draws a city of exactly n businesses over the given districts:
// towns of 12–18 villages with 20–40 businesses each, about ten businesses
// per cadre at every level.
func drawCity(r *rand.Rand, n int, name, code string, center point, spec []districtSpec) *cityPlan {
	p := &cityPlan{name: name, code: code, center: center, office: true}
	// Draw towns until their capacity covers n, then share n out exactly.
	var towns []*townPlan
	var caps []float64
	var homes, villageCounts []int
	w := make([]float64, len(spec))
	for i, d := range spec {
		w[i] = d.weight
	}
	used := map[string]bool{}
	for total := 0.0; total < float64(n); {
		home := weightedIndex(r, w)
		d := spec[home]
		t := &townPlan{street: d.urban || r.IntN(4) == 0}
		t.name = uniqueName(r, used, func() string {
			if t.street {
				return placeName(r) + "街道"
			}
			return placeName(r) + "镇"
		})
		t.center = d.center.near(r, 14)
		villages := 12 + r.IntN(7)
		c := 0.0
		for range villages {
			c += float64(20 + r.IntN(21))
		}
		towns, caps = append(towns, t), append(caps, c)
		homes, villageCounts = append(homes, home), append(villageCounts, villages)
		total += c
	}
	districts := make([]*districtPlan, len(spec))
	townSerial := make([]int, len(spec))
	for i, t := range towns {
		home := homes[i]
		if districts[home] == nil {
			d := spec[home]
			districts[home] = &districtPlan{name: d.name, code: d.code, center: d.center}
		}
		dp := districts[home]
		townSerial[home]++
		base := 100
		if t.street {
			base = 0
		}
		t.code = fmt.Sprintf("%s%03d", dp.code, base+townSerial[home])
		dp.towns = append(dp.towns, t)
	}
	sizes := apportion(n, caps)
	for i, t := range towns {
		cityVillages(r, t, sizes[i], villageCounts[i])
	}
	a := 0
	for _, d := range districts {
		if d == nil {
			continue
		}
		b := 0
		for _, t := range d.towns {
			b += t.grade(registry.GradeB)
			a += t.grade(registry.GradeA)
		}
		d.countyCadres = perCadre(b)
		p.districts = append(p.districts, d)
	}
	p.cityCadre = perCadre(a)
	return p
}

// cityVillages gives a town its villages and n businesses with the city's
// grade mix.
func cityVillages(r *rand.Rand, t *townPlan, n, villages int) {
	names := make([]string, 0, villages)
	used := map[string]bool{}
	for i := range villages {
		suffix := "村"
		if t.street || i < villages/8 {
			suffix = "社区"
		}
		names = append(names, uniqueName(r, used, func() string { return placeName(r) + suffix }))
	}
	addVillages(r, t, names, 3.5)
	rest := n
	for gi, share := range cityGradeShare {
		k := min(rest, int(float64(n)*share+r.Float64()))
		spread(r, t, registry.Grades[gi], k)
		rest -= k
	}
	spread(r, t, registry.GradeD, rest)
	for _, v := range t.villages {
		// A village of 20–40 shops has 2–4 cadres: about ten each once rounded up.
		v.cadres = villageCadres(r, v.count[gradeIndex(registry.GradeD)], 10, 13)
	}
	t.townCadres = perCadre(t.grade(registry.GradeC))
}

// uniqueName draws names until one is not in used, then records it. After
// many tries it numbers the last draw, so it always ends.
func uniqueName(r *rand.Rand, used map[string]bool, draw func() string) string {
	var name string
	for range 40 {
		if name = draw(); !used[name] {
			used[name] = true
			return name
		}
	}
	return numbered(used, name)
}

// numbered returns name with the lowest number from 2 that makes it new
// in used, and records it.
func numbered(used map[string]bool, name string) string {
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s%d", name, i); !used[n] {
			used[n] = true
			return n
		}
	}
}

// apportion shares total out in proportion to weights, exactly, by largest
// remainder.
func apportion(total int, weights []float64) []int {
	out := make([]int, len(weights))
	if len(weights) == 0 || total <= 0 {
		return out
	}
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	type rem struct {
		i int
		f float64
	}
	rems := make([]rem, len(weights))
	given := 0
	for i, w := range weights {
		x := float64(total) * w / sum
		out[i] = int(x)
		given += out[i]
		rems[i] = rem{i, x - float64(out[i])}
	}
	// Stable selection of the largest remainders keeps this deterministic.
	for given < total {
		best := -1
		for j, rm := range rems {
			if rm.f >= 0 && (best < 0 || rm.f > rems[best].f) {
				best = j
			}
		}
		out[rems[best].i]++
		rems[best].f = -1
		given++
	}
	return out
}

func weightedIndex(r *rand.Rand, w []float64) int {
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	x := r.Float64() * sum
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}
