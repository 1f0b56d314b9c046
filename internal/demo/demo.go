// Package demo generates demo data: the district of the seed document
// (滨湖区 with 胡埭镇 and 蠡湖街道, their villages, offices, cadres and every
// business packed), or a city-scale register for benchmarks. Everything is
// drawn from one seed number, so the same seed always gives the same names,
// codes, places and assignments.
//
// Generation runs as an ordered list of steps inside one transaction: the
// register first, then whatever later features add (visits this quarter,
// overdue businesses, open rectifications), each step building on the
// World the earlier ones leave behind.
package demo

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/registry"
)

// MaxScale is the largest register Seed generates: a province.
const MaxScale = 1_000_000

// Options say what to generate.
type Options struct {
	// Seed makes the data: the same seed gives identical names, codes,
	// coordinates and assignments.
	Seed int64
	// Scale 0 is the demo district; N > 0 a register of exactly N
	// businesses: one city's up to CityMaxScale, a province's of thirteen
	// cities above it.
	Scale int
	// Province draws a province's register whatever the scale (tests use
	// it to cover the province's tree at a small scale).
	Province bool
	// Progress, when set, hears how far each step is (stage is the step's
	// name, done of total its units of work).
	Progress func(stage string, done, total int)
	// Visits asks for about this many visits in all when that is more
	// than the demo's history holds (some 2.3 per business): the history
	// then reaches further back, before the register's start, a quarter
	// at a time. For benchmarks of the planner over a large visits table;
	// 0 keeps the natural history.
	Visits int
	// Review adds the visits a re-check should doubt (seedReview): the
	// embedded default's first start has them; districts that tests count
	// visits of leave them out.
	Review bool
	// Media, when set, keeps the demo's photos (the re-check's reused
	// and re-encoded photo); without it the demo has no photos.
	Media media.Store
	// Clock dates the generated history (assignments start and businesses
	// register some months before now). Pass the clock the registry runs
	// on; nil means the real clock.
	Clock clock.Clock
}

// Summary counts what Seed created.
type Summary struct {
	Regions, Offices, Managers, Cadres, Businesses, Assignments int
	// ByTown counts businesses by town name.
	ByTown map[string]int
	// Doubted is the demo visit whose re-check finds it untrue (不属实):
	// the one that reuses another visit's photo. 0 when not generated.
	Doubted int64
	// Doubtful are all the visits seedReview made for the re-check.
	Doubtful []int64
}

// Step is one stage of generation. Run writes through Seeder.Tx only: the
// services' own methods open other connections and, on SQLite, would wait
// for the seeding transaction forever. Later features add their demo data
// by appending a step to steps.
type Step struct {
	Name string
	Run  func(ctx context.Context, s *Seeder) error
}

// steps run in order. Each draws from its own random stream (seeded by the
// seed and the step's name), so adding a step never changes what the
// earlier ones generate.
var steps = []Step{
	{Name: "register", Run: seedRegister},
	{Name: "visits", Run: seedVisits},
	{Name: "pledges", Run: seedPledges},
	{Name: "review", Run: seedReview},
}

// Seeder is the state steps share.
type Seeder struct {
	// Tx is the seeding transaction.
	Tx  *gorm.DB
	Reg *registry.Service
	// Options as given to Seed.
	Options Options
	// Now is when seeding began, by Options.Clock, in UTC.
	Now time.Time
	// Since is when the demo's history starts: midnight China time on the
	// first day of the month six months before Now, so the previous quarter
	// and this one both lie inside it. Businesses register and assignments
	// start then. Like every stored time, it is in UTC.
	Since time.Time
	// Rand is the running step's random stream.
	Rand *rand.Rand
	// World is what earlier steps made.
	World World
	// Summary is added to by every step.
	Summary *Summary

	step string
}

// Progress reports the running step's progress to Options.Progress.
func (s *Seeder) Progress(done, total int) {
	if s.Options.Progress != nil {
		s.Options.Progress(s.step, done, total)
	}
}

// World is a compact record of the generated register, for later steps:
// a few dozen bytes per business, so a city's stays small.
type World struct {
	Towns      []registry.Region
	Offices    []registry.Office
	Managers   []registry.Manager
	Cadres     []CadreRef
	Businesses []BusinessRef
}

// CadreRef is a generated cadre.
type CadreRef struct {
	ID, RegionID int64
	Level        registry.CadreLevel
}

// BusinessRef is a generated business and the cadre packing it.
type BusinessRef struct {
	ID, RegionID, TownID, CadreID int64
	Grade                         registry.Grade
	Category                      registry.Category
	Status                        registry.Status
	Lat, Lng                      float64
}

// Seed generates demo data into an empty register, all in one transaction.
// Conflict when the register already has regions or businesses: demo data
// is never mixed into real data. Invalid for a scale outside 0…MaxScale.
func Seed(ctx context.Context, d *db.DB, reg *registry.Service, opt Options) (*Summary, error) {
	if opt.Scale < 0 || opt.Scale > MaxScale {
		return nil, errs.E(errs.Invalid, msgScale, MaxScale)
	}
	c := opt.Clock
	if c == nil {
		c = clock.Real{}
	}
	now := c.Now().UTC()
	sum := &Summary{ByTown: map[string]int{}}
	err := d.InTx(ctx, func(tx *gorm.DB) error {
		// On MySQL the locking read also takes a gap lock, so of two seeds
		// started at once one waits or fails instead of both writing.
		empty, err := isEmpty(tx, d.Engine() == db.MySQL)
		if err != nil {
			return err
		}
		if !empty {
			return errs.E(errs.Conflict, msgNotEmpty)
		}
		s := &Seeder{Tx: tx, Reg: reg, Options: opt, Now: now, Since: since(now), Summary: sum}
		for _, st := range steps {
			s.step = st.Name
			s.Rand = rand.New(rand.NewPCG(uint64(opt.Seed), stream(st.Name)))
			if err := st.Run(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", st.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed demo data: %w", err)
	}
	return sum, nil
}

// IsEmpty reports whether the register has no regions and no businesses,
// the only state Seed writes into.
func IsEmpty(ctx context.Context, d *db.DB) (bool, error) {
	return isEmpty(d.Gorm(ctx), false)
}

func isEmpty(q *gorm.DB, lock bool) (bool, error) {
	for _, model := range []any{&registry.Region{}, &registry.Business{}} {
		sel := q.Model(model)
		if lock {
			sel = sel.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		var ids []int64
		if err := sel.Limit(1).Pluck("id", &ids).Error; err != nil {
			return false, fmt.Errorf("check register is empty: %w", err)
		}
		if len(ids) > 0 {
			return false, nil
		}
	}
	return true, nil
}

func since(now time.Time) time.Time {
	y, m, _ := now.In(clock.China).Date()
	return time.Date(y, m-6, 1, 0, 0, 0, 0, clock.China).UTC()
}

func stream(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}
