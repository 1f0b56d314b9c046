package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/shianbao/shianbao/internal/registry"
)

// seedRegister generates the register: regions, offices and their
// managers, cadres, businesses and who packs which. It works town by town,
// so a city's register never sits in memory whole: each town's rows go to
// the database in a few batched statements and only the compact World
// entries stay behind.
func seedRegister(ctx context.Context, s *Seeder) error {
	var p *plan
	switch {
	case s.Options.Scale > 0 && (s.Options.Province || s.Options.Scale > CityMaxScale):
		p = provincePlan(s.Rand, s.Options.Scale)
	case s.Options.Scale > 0:
		p = cityScalePlan(s.Rand, s.Options.Scale)
	default:
		rules := s.Reg.Rules()
		p = demoPlan(s.Rand, rules.CityName, rules.DistrictName, rules.DistrictCode)
	}
	g := &generator{s: s, r: s.Rand, ids: newIdents(s.Options.Seed, s.Rand), p: p, total: p.total()}
	return g.run(ctx)
}

type generator struct {
	s     *Seeder
	r     *rand.Rand
	ids   *idents
	p     *plan
	total int
	done  int

	offices  []*registry.Office
	managers [][]*registry.Manager // by office, inserted once the offices have ids
}

// rotation hands businesses to a fixed set of cadres in turn: the city's
// leaders for grade A, a district's for grade B.
type rotation struct {
	cadres []*registry.Cadre
	next   int
}

func (rt *rotation) take() *registry.Cadre {
	c := rt.cadres[rt.next%len(rt.cadres)]
	rt.next++
	return c
}

func (g *generator) run(ctx context.Context) error {
	g.s.Progress(0, g.total)
	var root *int64
	if g.p.province != "" {
		prov, err := g.region(nil, registry.LevelProvince, g.p.province, g.p.provinceCode)
		if err != nil {
			return err
		}
		g.office(prov, g.p.province, shortName(g.p.province))
		root = &prov.ID
	}
	for _, cp := range g.p.cities {
		if err := g.city(ctx, root, cp); err != nil {
			return fmt.Errorf("%s: %w", cp.name, err)
		}
	}
	return g.flushOffices()
}

// city creates a city under parent (nil for the root) with its office,
// leaders, districts and towns.
func (g *generator) city(ctx context.Context, parent *int64, cp *cityPlan) error {
	city, err := g.region(parent, registry.LevelCity, cp.name, cp.code)
	if err != nil {
		return err
	}
	if cp.office {
		g.office(city, cp.name, shortName(cp.name))
	}
	leaders, err := g.leaders(city, registry.CadreCity, cp.cityCadre, cityPosts)
	if err != nil {
		return err
	}
	for _, dp := range cp.districts {
		district, err := g.region(&city.ID, registry.LevelDistrict, dp.name, dp.code)
		if err != nil {
			return err
		}
		g.office(district, cp.name+dp.name, shortName(dp.name))
		county, err := g.leaders(district, registry.CadreCounty, dp.countyCadres, countyPostsOf(dp.name))
		if err != nil {
			return err
		}
		// Business names are kept distinct within a district; a city
		// repeats a few company names across districts, as real ones do.
		names := map[string]bool{}
		for _, tp := range dp.towns {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := g.town(cp, district, dp, tp, leaders, county, names); err != nil {
				return fmt.Errorf("%s: %w", tp.name, err)
			}
		}
	}
	return nil
}

func (g *generator) region(parent *int64, level registry.RegionLevel, name, code string) (*registry.Region, error) {
	r, err := g.s.Reg.InsertRegionTx(g.s.Tx, parent, level, name, code)
	if err != nil {
		return nil, err
	}
	g.s.Summary.Regions++
	return r, nil
}

// leaders creates n cadres of a level above the town (city or county) at region.
func (g *generator) leaders(region *registry.Region, level registry.CadreLevel, n int, posts []string) (*rotation, error) {
	rt := &rotation{}
	for i := range n {
		rt.cadres = append(rt.cadres, g.cadre(region.ID, level, postFor(g.r, posts, i, 2), 4))
	}
	if err := g.insertCadres(rt.cadres); err != nil {
		return nil, err
	}
	return rt, nil
}

// countyPostsOf adapts the posts to a county-level city (江阴市): 市委, not 区委.
func countyPostsOf(district string) []string {
	if !strings.HasSuffix(district, "市") {
		return countyPosts
	}
	out := make([]string, len(countyPosts))
	for i, p := range countyPosts {
		out[i] = strings.ReplaceAll(p, "区", "市")
	}
	return out
}

// postFor gives the first heads of a body their posts in order and the
// rest a post drawn from the remainder of the list.
func postFor(r *rand.Rand, posts []string, i, heads int) string {
	if i < heads {
		return posts[i]
	}
	return pick(r, posts[heads:])
}

// cadre draws a cadre; landlineIn10 of ten have an office line as their work phone.
func (g *generator) cadre(regionID int64, level registry.CadreLevel, post string, landlineIn10 int) *registry.Cadre {
	phone := g.ids.mobileNumber()
	if g.r.IntN(10) < landlineIn10 {
		phone = g.ids.landlineNumber()
	}
	return &registry.Cadre{
		Name: personName(g.r), Post: post, Level: level, RegionID: regionID, WorkPhone: phone,
		CreatedAt: g.s.Since, UpdatedAt: g.s.Since,
	}
}

func (g *generator) insertCadres(cs []*registry.Cadre) error {
	if err := g.s.Reg.InsertCadresTx(g.s.Tx, cs); err != nil {
		return err
	}
	for _, c := range cs {
		g.s.World.Cadres = append(g.s.World.Cadres, CadreRef{ID: c.ID, RegionID: c.RegionID, Level: c.Level})
	}
	g.s.Summary.Cadres += len(cs)
	return nil
}

// office records the food-safety office of a region, with two or three
// managers; they are inserted together at the end.
func (g *generator) office(region *registry.Region, addressPrefix, short string) {
	g.offices = append(g.offices, &registry.Office{
		RegionID:     region.ID,
		Name:         region.Name + officeSuffix,
		ShortName:    short,
		Phone:        g.ids.landlineNumber(),
		Address:      addressPrefix + placeName(g.r) + pick(g.r, roadSuffixes) + strconv.Itoa(1+g.r.IntN(200)) + "号",
		StationPhone: g.ids.landlineNumber(),
		CreatedAt:    g.s.Since,
	})
	var ms []*registry.Manager
	for i := range 2 + g.r.IntN(2) {
		ms = append(ms, &registry.Manager{
			Name: personName(g.r), Post: postFor(g.r, managerPosts, i, 1), Phone: g.ids.mobileNumber(),
			Active: true, CreatedAt: g.s.Since,
		})
	}
	g.managers = append(g.managers, ms)
}

func (g *generator) flushOffices() error {
	if len(g.offices) == 0 {
		return nil
	}
	tx := g.s.Tx
	if err := g.s.Reg.InsertOfficesTx(tx, g.offices); err != nil {
		return err
	}
	var all []*registry.Manager
	for i, ms := range g.managers {
		for _, m := range ms {
			m.OfficeID = g.offices[i].ID
			all = append(all, m)
		}
	}
	if err := g.s.Reg.InsertManagersTx(tx, all); err != nil {
		return err
	}
	for _, o := range g.offices {
		g.s.World.Offices = append(g.s.World.Offices, *o)
	}
	for _, m := range all {
		g.s.World.Managers = append(g.s.World.Managers, *m)
	}
	g.s.Summary.Offices += len(g.offices)
	g.s.Summary.Managers += len(all)
	return nil
}

// town creates a town with its villages, office, cadres, businesses and
// assignments. names holds the business names used in the district so far.
func (g *generator) town(cp *cityPlan, district *registry.Region, dp *districtPlan, tp *townPlan, leaders, county *rotation, names map[string]bool) error {
	town, err := g.region(&district.ID, registry.LevelTown, tp.name, tp.code)
	if err != nil {
		return err
	}
	g.s.World.Towns = append(g.s.World.Towns, *town)
	prefix := cp.name + dp.name
	short := shortName(tp.name)
	g.office(town, prefix+tp.name, short)

	posts, vPosts, cPosts := townPosts, villagePosts, communityPosts
	if tp.street {
		posts = streetPosts
	}
	// Cadres first: town cadres for grade C, then each village's for grade D.
	var cadres []*registry.Cadre
	for i := range tp.townCadres {
		cadres = append(cadres, g.cadre(town.ID, registry.CadreTown, postFor(g.r, posts, i, 2), 4))
	}
	villages := make([]*registry.Region, len(tp.villages))
	villageCadres := make([][]*registry.Cadre, len(tp.villages))
	for i, vp := range tp.villages {
		v, err := g.region(&town.ID, registry.LevelVillage, vp.name, vp.code)
		if err != nil {
			return err
		}
		villages[i] = v
		ps := vPosts
		if vp.community {
			ps = cPosts
		}
		for j := range vp.cadres {
			c := g.cadre(v.ID, registry.CadreVillage, postFor(g.r, ps, j, 2), 1)
			villageCadres[i] = append(villageCadres[i], c)
			cadres = append(cadres, c)
		}
	}
	if err := g.insertCadres(cadres); err != nil {
		return err
	}

	// Businesses, each with the cadre who will pack it.
	townC := deal(g.r, tp.grade(registry.GradeC), tp.townCadres)
	var bs []*registry.Business
	var packers []*registry.Cadre
	for i, vp := range tp.villages {
		pl := &place{
			city: cp.name, district: dp.name, districtCode: dp.code, town: tp.name, townShort: short,
			village: vp, villageShort: shortName(vp.name),
		}
		pl.roads = villageRoads(g.r, pl.villageShort)
		villageD := deal(g.r, vp.count[gradeIndex(registry.GradeD)], vp.cadres)
		for gi, grade := range registry.Grades {
			for j := range vp.count[gi] {
				var c *registry.Cadre
				switch grade {
				case registry.GradeA:
					c = leaders.take()
				case registry.GradeB:
					c = county.take()
				case registry.GradeC:
					c = cadres[townC[0]]
					townC = townC[1:]
				default:
					c = villageCadres[i][villageD[j]]
				}
				bs = append(bs, g.business(pl, grade, villages[i].ID, names))
				packers = append(packers, c)
			}
		}
	}
	if err := g.s.Reg.InsertBusinessesTx(g.s.Tx, bs, actorSeed, registry.SourceSeed); err != nil {
		return err
	}
	as := make([]*registry.Assignment, len(bs))
	for i, b := range bs {
		as[i] = &registry.Assignment{BusinessID: b.ID, CadreID: packers[i].ID, StartedAt: g.s.Since, Reason: assignReason, Actor: actorSeed}
	}
	if err := g.s.Reg.InsertAssignmentsTx(g.s.Tx, as); err != nil {
		return err
	}
	for i, b := range bs {
		g.s.World.Businesses = append(g.s.World.Businesses, BusinessRef{
			ID: b.ID, RegionID: b.RegionID, TownID: town.ID, CadreID: packers[i].ID,
			Grade: b.Grade, Category: b.Category, Status: b.Status, Lat: *b.Latitude, Lng: *b.Longitude,
		})
	}
	g.s.Summary.Businesses += len(bs)
	g.s.Summary.Assignments += len(as)
	g.s.Summary.ByTown[tp.name] += len(bs)
	g.done += len(bs)
	g.s.Progress(g.done, g.total)
	return nil
}

// deal shares n businesses among k cadres unevenly (some cadres pack more
// than others) and returns, in random order, which cadre takes each one.
// Every cadre gets at least one when n ≥ k.
func deal(r *rand.Rand, n, k int) []int {
	if n == 0 || k == 0 {
		return nil
	}
	w := make([]float64, k)
	for i := range w {
		w[i] = 0.6 + 0.8*r.Float64()
	}
	base := 0
	if n >= k {
		base = 1
	}
	out := make([]int, 0, n)
	for i, c := range apportion(n-base*k, w) {
		for range c + base {
			out = append(out, i)
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
