package review

import (
	"context"
	"errors"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/kv"
)

// Sample reasons: drawn at random, or because the visit has flags.
const (
	SampledAtRandom = "random"
	SampledFlagged  = "flagged"
)

// Draw draws a cycle's re-check sample and returns how many visits it
// added. Per cadre who reported current visits in the cycle it takes
// max(SampleMinPerCadre, ⌈SampleRate·n⌉) of their n visits (at most n),
// chosen by a shuffle seeded by the cycle and the cadre — the same visits
// always give the same sample, so a draw can be checked afterwards — plus
// every flagged visit of the cycle. A visit once drawn stays drawn; Draw
// may run again as the cycle's visits come in.
func (s *Service) Draw(ctx context.Context, cycleKey string) (int, error) {
	g := s.db.Gorm(ctx)
	var visits []struct {
		ID, CadreID int64
		Flagged     bool
	}
	if err := g.Raw(`SELECT v.id, v.cadre_id,
		EXISTS (SELECT 1 FROM visit_flags f WHERE f.visit_id = v.id) AS flagged
		FROM visits v WHERE v.cycle_key = ? AND v.is_current = ? ORDER BY v.id`, cycleKey, true).Scan(&visits).Error; err != nil {
		return 0, db.Translate(err)
	}
	byCadre := map[int64][]int64{}
	want := map[int64]string{}
	for _, v := range visits {
		byCadre[v.CadreID] = append(byCadre[v.CadreID], v.ID)
		if v.Flagged {
			want[v.ID] = SampledFlagged
		}
	}
	for cadre, ids := range byCadre {
		for _, id := range pick(ids, cycleKey, cadre, s.sampleSize(len(ids))) {
			if _, ok := want[id]; !ok {
				want[id] = SampledAtRandom
			}
		}
	}
	var have []int64
	if err := g.Raw(`SELECT visit_id FROM review_samples WHERE cycle_key = ?`, cycleKey).Scan(&have).Error; err != nil {
		return 0, db.Translate(err)
	}
	ids := make([]int64, 0, len(want))
	for id := range want {
		if !slices.Contains(have, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	now := s.clock.Now().UTC()
	for _, id := range ids {
		if err := g.Exec(`INSERT INTO review_samples (cycle_key, visit_id, reason, drawn_at) VALUES (?, ?, ?, ?)`,
			cycleKey, id, want[id], now).Error; err != nil {
			return 0, db.Translate(err)
		}
	}
	return len(ids), nil
}

// sampleSize is how many of a cadre's n visits the random draw takes.
func (s *Service) sampleSize(n int) int {
	k := int(math.Ceil(s.rules.SampleRate * float64(n)))
	return min(n, max(k, s.rules.SampleMinPerCadre))
}

// pick chooses k of ids (sorted) by a shuffle seeded by the cycle and the
// cadre.
func pick(ids []int64, cycleKey string, cadre int64, k int) []int64 {
	h := fnv.New64a()
	h.Write([]byte(cycleKey + "/" + strconv.FormatInt(cadre, 10)))
	seed := h.Sum64()
	r := rand.New(rand.NewPCG(seed, seed>>1|1))
	shuffled := slices.Clone(ids)
	slices.Sort(shuffled)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	return shuffled[:k]
}

// DrawClosed draws a cycle's sample once, after the cycle has closed, so
// it takes the cycle's whole history and is never redrawn: nothing
// happens when the cycle already has a sample, or while another instance
// sweeps or draws (the sweep lock). It returns how many visits it drew.
func (s *Service) DrawClosed(ctx context.Context, cycleKey string) (int, error) {
	lock, err := kv.TryLock(ctx, s.kv, sweepLock, sweepLease)
	if errors.Is(err, kv.ErrLocked) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer lock.Release(context.WithoutCancel(ctx))
	var n int64
	if err := s.db.Gorm(ctx).Raw(`SELECT COUNT(*) FROM review_samples WHERE cycle_key = ?`, cycleKey).Scan(&n).Error; err != nil {
		return 0, db.Translate(err)
	}
	if n > 0 {
		return 0, nil
	}
	return s.Draw(ctx, cycleKey)
}
