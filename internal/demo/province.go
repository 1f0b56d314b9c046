package demo

import (
	"fmt"
	"math/rand/v2"
)

// CityMaxScale is the largest register Seed draws as one city; a larger
// scale (or Options.Province) draws a province of cities.
const CityMaxScale = 200_000

// citySpec is a city of the province plan, with its share of the
// province's businesses (roughly its population).
type citySpec struct {
	name, code string
	center     point
	weight     float64
}

// jiangsu lists the province's thirteen cities.
var jiangsu = []citySpec{
	{"南京市", "320100", point{32.06, 118.80}, 9.5},
	{"无锡市", "320200", point{31.57, 120.30}, 7.5},
	{"徐州市", "320300", point{34.26, 117.18}, 9.0},
	{"常州市", "320400", point{31.81, 119.97}, 5.3},
	{"苏州市", "320500", point{31.30, 120.62}, 12.9},
	{"南通市", "320600", point{31.98, 120.89}, 7.7},
	{"连云港市", "320700", point{34.60, 119.22}, 4.6},
	{"淮安市", "320800", point{33.61, 119.02}, 4.6},
	{"盐城市", "320900", point{33.35, 120.16}, 6.7},
	{"扬州市", "321000", point{32.39, 119.41}, 4.6},
	{"镇江市", "321100", point{32.19, 119.42}, 3.2},
	{"泰州市", "321200", point{32.46, 119.92}, 4.5},
	{"宿迁市", "321300", point{33.96, 118.28}, 5.0},
}

// provincePlan draws a province's register of exactly n businesses:
// 江苏省 with its thirteen cities, each drawn like the city-scale plan
// (无锡市 with its real districts, the others with districts and counties
// drawn at random), n shared out by the cities' weights. Every city gets
// at least one business so the tree has no empty city.
func provincePlan(r *rand.Rand, n int) *plan {
	p := &plan{province: "江苏省", provinceCode: "320000"}
	w := make([]float64, len(jiangsu))
	for i, c := range jiangsu {
		w[i] = c.weight
	}
	sizes := apportion(n-min(n, len(jiangsu)), w)
	for i, c := range jiangsu {
		if i < n {
			sizes[i]++
		}
		if sizes[i] == 0 {
			continue
		}
		spec := wuxi
		if c.code != "320200" {
			spec = drawDistricts(r, c)
		}
		p.cities = append(p.cities, drawCity(r, sizes[i], c.name, c.code, c.center, spec))
	}
	return p
}

// drawDistricts makes up a city's districts and counties: five to ten,
// about half of them urban districts (the first all streets), the rest
// counties and county-level cities, which get more towns. Codes follow
// GB/T 2260: districts 01–19, counties 2x, county-level cities 8x.
func drawDistricts(r *rand.Rand, c citySpec) []districtSpec {
	k := 5 + r.IntN(6)
	urban := (k + 1) / 2
	used := map[string]bool{}
	var out []districtSpec
	counties, cities := 0, 0
	for i := range k {
		d := districtSpec{center: c.center.near(r, 8)}
		switch {
		case i < urban:
			d.name = uniqueName(r, used, func() string { return placeName(r) + "区" })
			d.code = fmt.Sprintf("%s%02d", c.code[:4], 2+i)
			d.weight = 0.8 + 0.2*r.Float64()
			d.urban = i == 0
		case r.IntN(2) == 0:
			counties++
			d.name = uniqueName(r, used, func() string { return placeName(r) + "县" })
			d.code = fmt.Sprintf("%s%02d", c.code[:4], 20+counties)
			d.weight = 1.2 + 0.4*r.Float64()
			d.center = c.center.near(r, 60)
		default:
			cities++
			d.name = uniqueName(r, used, func() string { return placeName(r) + "市" })
			d.code = fmt.Sprintf("%s%02d", c.code[:4], 80+cities)
			d.weight = 1.2 + 0.4*r.Float64()
			d.center = c.center.near(r, 60)
		}
		out = append(out, d)
	}
	return out
}
