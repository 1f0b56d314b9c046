package demo

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/shianbao/shianbao/internal/registry"
)

// place is where a business is being generated: what its name and address
// are made of.
type place struct {
	city, district, districtCode string
	town, townShort              string
	village                      *villagePlan
	villageShort                 string
	roads                        []string
}

// shopPrefix is the place part of a small shop's name: 胡埭马鞍, 马鞍, 胡埭 or nothing.
func (pl *place) shopPrefix(r *rand.Rand) string {
	switch r.IntN(10) {
	case 0, 1, 2, 3:
		return pl.townShort + pl.localShort()
	case 4, 5:
		return pl.villageShort
	case 6, 7:
		return pl.townShort
	}
	return ""
}

// localShort is the village's short name after the town's, or nothing when
// the village is named after the town (胡埭村 in 胡埭镇): "胡埭胡埭面馆" reads wrong.
func (pl *place) localShort() string {
	if pl.villageShort == pl.townShort {
		return ""
	}
	return pl.villageShort
}

// address is a street address in the village: rural villages number houses
// by hamlet, communities by road.
func (pl *place) address(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString(pl.city)
	b.WriteString(pl.district)
	b.WriteString(pl.town)
	if !pl.village.community && r.IntN(10) < 7 {
		b.WriteString(pl.village.name)
		if r.IntN(2) == 0 {
			b.WriteString(lane(r))
		}
	} else {
		b.WriteString(pick(r, pl.roads))
	}
	b.WriteString(strconv.Itoa(1 + r.IntN(300)))
	b.WriteString("号")
	return b.String()
}

// villageRoads names a few roads for a village or community.
func villageRoads(r *rand.Rand, short string) []string {
	roads := []string{short + pick(r, roadSuffixes)}
	for range 1 + r.IntN(2) {
		roads = append(roads, placeName(r)+pick(r, roadSuffixes))
	}
	return roads
}

// named is what a kind of business makes of a place.
type named struct {
	name   string
	prefix string // credit code prefix when it differs from the kind's
	sc     string // SC food category for producers
}

// kind is a kind of business: a village noodle shop, a school canteen, a
// rice mill. Each grade draws from its own mix of kinds.
type kind struct {
	category registry.Category
	prefix   string  // credit code prefix
	licence  float64 // share holding a licence number
	name     func(r *rand.Rand, pl *place) named
}

func shop(category registry.Category, licence float64, types []string) kind {
	return kind{category, prefixIndividual, licence, func(r *rand.Rand, pl *place) named {
		return named{name: pl.shopPrefix(r) + tradeName(r) + pick(r, types)}
	}}
}

func factory(format string) kind {
	return kind{registry.CategoryProduction, prefixCompany, 0.95, func(r *rand.Rand, pl *place) named {
		p := pick(r, producers)
		return named{name: expand(strings.Replace(format, "%p", p.word, 1), r, pl), sc: p.sc}
	}}
}

func company(category registry.Category, formats ...string) kind {
	return kind{category, prefixCompany, 1, func(r *rand.Rand, pl *place) named {
		return named{name: expand(pick(r, formats), r, pl)}
	}}
}

func canteen(prefix string, licence float64, formats ...string) kind {
	return kind{registry.CategoryCanteen, prefix, licence, func(r *rand.Rand, pl *place) named {
		return named{name: expand(pick(r, formats), r, pl)}
	}}
}

// expand fills a name format: %b brand, %t town short name, %T town, %v
// village short name, %d district, %s town school, %u village unit, %i
// industry, %n a hospital number.
func expand(format string, r *rand.Rand, pl *place) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			b.WriteByte(format[i])
			continue
		}
		i++
		switch format[i] {
		case 'b':
			b.WriteString(brandName(r))
		case 't':
			b.WriteString(pl.townShort)
		case 'T':
			b.WriteString(pl.town)
		case 'v':
			b.WriteString(pl.localShort())
		case 'd':
			b.WriteString(pl.district)
		case 's':
			b.WriteString(pick(r, townSchools))
		case 'u':
			b.WriteString(pick(r, villageUnits))
		case 'i':
			b.WriteString(pick(r, industries))
		case 'n':
			b.WriteString(strconv.Itoa(1 + r.IntN(9)))
		}
	}
	return b.String()
}

type weighted struct {
	k kind
	w float64
}

// kindMix is a weighted choice of kinds.
type kindMix struct {
	kinds   []kind
	weights []float64
}

func mixOf(ws ...weighted) kindMix {
	var m kindMix
	for _, w := range ws {
		m.kinds, m.weights = append(m.kinds, w.k), append(m.weights, w.w)
	}
	return m
}

func (m kindMix) draw(r *rand.Rand) kind { return m.kinds[weightedIndex(r, m.weights)] }

// kindsByGrade is the mix of kinds at each grade: a rural town's D list is
// mostly eateries and shops with a few workshops and canteens; C and B are
// factories, supermarkets, restaurants and institutional canteens.
var kindsByGrade = [4]kindMix{
	mixOf( // A: city leaders
		weighted{factory("无锡%b%p集团有限公司"), 45},
		weighted{company(registry.CategorySales, "无锡%b商业连锁有限公司", "无锡%b购物中心有限公司"), 25},
		weighted{company(registry.CategoryCatering, "无锡%b中央厨房有限公司", "无锡%b团餐管理有限公司"), 15},
		weighted{canteen(prefixInstitution, 1, "无锡市第%n人民医院食堂", "%d人民医院食堂", "%d中医医院食堂"), 15},
	),
	mixOf( // B: county leaders
		weighted{factory("无锡%b%p有限公司"), 35},
		weighted{company(registry.CategorySales, "无锡%b购物中心有限公司", "%t%b超市有限公司"), 20},
		weighted{company(registry.CategoryCatering, "无锡%b大酒店有限公司", "无锡%b餐饮管理有限公司"), 20},
		weighted{canteen(prefixInstitution, 1, "%d%t高级中学食堂", "%d%t中学食堂", "%d%t实验学校食堂"), 15},
		weighted{canteen(prefixCompany, 1, "无锡%b%i有限公司职工食堂"), 10},
	),
	mixOf( // C: town cadres
		weighted{factory("无锡市%b%p有限公司"), 25},
		weighted{company(registry.CategorySales, "%t%b超市", "无锡%b商贸有限公司", "%t%b生鲜超市"), 20},
		weighted{company(registry.CategoryCatering, "%t%b大酒店", "无锡市%b餐饮管理有限公司", "%v%b农家菜馆"), 22},
		weighted{canteen(prefixInstitution, 1, "%d%t%s食堂"), 15},
		weighted{kind{registry.CategoryCanteen, prefixInstitution, 1, publicCanteen}, 10},
		weighted{canteen(prefixCompany, 0.95, "无锡%b%i有限公司职工食堂"), 8},
	),
	mixOf( // D: village cadres
		weighted{shop(registry.CategoryCatering, 0.9, eateryTypes), 40},
		weighted{shop(registry.CategorySales, 0.55, shopTypes), 44},
		// Small workshops (小作坊) hold a registration certificate, not a licence.
		weighted{shop(registry.CategoryProduction, 0, workshopTypes), 5},
		weighted{canteen(prefixCompany, 0.95, "无锡%b%i有限公司食堂"), 3},
		weighted{canteen(prefixCompany, 0.8, "%b建设工程有限公司%t项目部食堂"), 1},
		weighted{canteen(prefixInstitution, 0.95, "%t%v%u食堂"), 2},
	),
}

// publicCanteen is a town's home for the elderly, clinic or government canteen.
func publicCanteen(r *rand.Rand, pl *place) named {
	switch r.IntN(3) {
	case 0:
		return named{name: pl.town + "敬老院食堂"}
	case 1:
		return named{name: pl.townShort + "卫生院食堂"}
	}
	office := "人民政府"
	if strings.HasSuffix(pl.town, "街道") {
		office = "办事处"
	}
	return named{name: pl.town + office + "机关食堂", prefix: prefixOrgan}
}

// Share of businesses found suspended (停产停业) in the register.
const suspendedShare = 0.015

// business draws one business of the grade in pl. names holds the names
// already used in the district, which business adds to.
func (g *generator) business(pl *place, grade registry.Grade, regionID int64, names map[string]bool) *registry.Business {
	r := g.r
	var k kind
	var n named
	mix := kindsByGrade[gradeIndex(grade)]
	for try := 0; ; try++ {
		k = mix.draw(r)
		n = k.name(r, pl)
		if !names[n.name] {
			break
		}
		if try == 20 {
			n.name = numbered(names, n.name)
			break
		}
	}
	names[n.name] = true
	prefix := k.prefix
	if n.prefix != "" {
		prefix = n.prefix
	}
	code := g.ids.creditCode(prefix, pl.districtCode)
	b := &registry.Business{
		Name:        n.name,
		CreditCode:  &code,
		Category:    k.category,
		Grade:       grade,
		RegionID:    regionID,
		Address:     pl.address(r),
		Status:      registry.StatusOperating,
		StatusSince: &g.s.Since,
		CreatedAt:   g.s.Since,
		UpdatedAt:   g.s.Since,
	}
	if r.Float64() < k.licence {
		var no string
		ok := true
		switch {
		case n.sc != "":
			no, ok = g.ids.scLicence(n.sc, pl.districtCode)
		case k.category == registry.CategorySales:
			no = g.ids.jyLicence(jySales, pl.districtCode)
		case k.category == registry.CategoryCanteen:
			no = g.ids.jyLicence(jyCanteen, pl.districtCode)
		default:
			no = g.ids.jyLicence(jyCatering, pl.districtCode)
		}
		if ok {
			b.LicenceNo = &no
		}
	}
	sigma := 0.35
	if pl.village.community {
		sigma = 0.25
	}
	at := pl.village.center.jitter(r, sigma)
	lat, lng := round6(at.lat), round6(at.lng)
	b.Latitude, b.Longitude = &lat, &lng

	b.Principal, b.PrincipalPhone = personName(r), g.ids.mobileNumber()
	if grade == registry.GradeD {
		// A small shop's officer is usually the owner.
		if r.IntN(10) < 7 {
			b.Officer, b.OfficerPhone = b.Principal, b.PrincipalPhone
		} else {
			b.Officer, b.OfficerPhone = personName(r), g.ids.mobileNumber()
		}
	} else {
		b.Director, b.DirectorPhone = personName(r), g.ids.mobileNumber()
		b.Officer, b.OfficerPhone = personName(r), g.ids.mobileNumber()
	}
	if r.Float64() < suspendedShare {
		days := int(g.s.Now.Sub(g.s.Since).Hours() / 24)
		since := g.s.Since.AddDate(0, 0, r.IntN(max(days, 1)))
		b.Status, b.StatusSince = registry.StatusSuspended, &since
	}
	return b
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// shortName drops the administrative suffix: 胡埭镇 → 胡埭, 金城湾社区 → 金城湾.
func shortName(name string) string {
	for _, s := range []string{"街道", "社区", "镇", "村", "区", "市", "县", "省"} {
		if short := strings.TrimSuffix(name, s); short != name && short != "" {
			return short
		}
	}
	return name
}
