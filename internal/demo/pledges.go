package demo

import (
	"context"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/registry"
)

// Shares of the demo district's pledges (承诺书) signed this year: most
// cadres, about half the businesses, so the console shows work to do.
const (
	cadrePledgeShare    = 0.85
	businessPledgeShare = 0.5
)

// seedPledges signs this year's pledges for most cadres and about half the
// operating businesses, each on a day between the year's start (or the
// assignment's) and now, confirmed by the typed name. Only the demo
// district (a city-scale register is for benchmarks of other work), and
// only where the pledge table exists.
func seedPledges(ctx context.Context, s *Seeder) error {
	if s.Options.Scale > 0 || !s.Tx.Migrator().HasTable("pledges") {
		return nil
	}
	svc, err := pledge.NewService(pledge.Deps{Registry: s.Reg, Clock: clock.NewFixed(s.Now)})
	if err != nil {
		return err
	}
	start := time.Date(s.Now.In(clock.China).Year(), 1, 1, 0, 0, 0, 0, clock.China).UTC()
	if s.Since.After(start) {
		start = s.Since
	}
	when := func() time.Time {
		span := s.Now.Sub(start)
		if span <= time.Hour {
			return s.Now
		}
		return start.Add(time.Duration(s.Rand.Int64N(int64(span - time.Hour))))
	}
	packs := map[int64]bool{}
	for _, b := range s.World.Businesses {
		packs[b.CadreID] = true
	}
	var names []struct {
		ID   int64
		Name string
	}
	if err := s.Tx.Model(&registry.Cadre{}).Select("id, name").Find(&names).Error; err != nil {
		return err
	}
	cadreName := map[int64]string{}
	for _, n := range names {
		cadreName[n.ID] = n.Name
	}
	total := len(s.World.Cadres) + len(s.World.Businesses)
	done := 0
	for _, c := range s.World.Cadres {
		done++
		if !packs[c.ID] || s.Rand.Float64() >= cadrePledgeShare {
			continue
		}
		if err := svc.SeedTx(s.Tx, pledge.KindCadre, c.ID, cadreName[c.ID], when()); err != nil {
			return err
		}
	}
	var principals []struct {
		ID        int64
		Principal string
	}
	if err := s.Tx.Model(&registry.Business{}).Select("id, principal").Find(&principals).Error; err != nil {
		return err
	}
	principal := map[int64]string{}
	for _, p := range principals {
		principal[p.ID] = p.Principal
	}
	for i, b := range s.World.Businesses {
		done++
		if i%200 == 0 {
			s.Progress(done, total)
		}
		if b.Status != registry.StatusOperating || s.Rand.Float64() >= businessPledgeShare {
			continue
		}
		name := principal[b.ID]
		if name == "" {
			name = "负责人"
		}
		if err := svc.SeedTx(s.Tx, pledge.KindBusiness, b.ID, name, when()); err != nil {
			return err
		}
	}
	s.Progress(total, total)
	return nil
}
