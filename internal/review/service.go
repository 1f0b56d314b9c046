package review

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/media"
)

// Service computes and keeps the flags of visits. Flags are computed by a
// sweep shortly after a visit is stored and again when one of its photos
// arrives (photos are fetched from the platform after the report), so a
// submission never waits for them; Recompute runs the same over history.
type Service struct {
	db    *db.DB
	kv    kv.Store
	media media.Store
	clock clock.Clock
	rules Rules
	log   *slog.Logger

	index     *Index
	indexedTo int64 // photo_hashes rows up to this photo id are in index
}

// New returns the service; media may be nil (no photos are hashed then).
func New(d *db.DB, store kv.Store, m media.Store, c clock.Clock, r Rules, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{db: d, kv: store, media: m, clock: c, rules: r, log: log, index: NewIndex(r.SimilarBits)}
}

// Rules are the thresholds in force.
func (s *Service) Rules() Rules { return s.rules }

const (
	sweepLock  = "review:sweep"
	sweepLease = time.Minute
)

// Sweep computes the flags of up to limit visits that have none yet or
// gained a stored photo since, and returns how many it computed. One
// instance sweeps at a time (a kv lock); the others return 0 at once.
func (s *Service) Sweep(ctx context.Context, limit int) (int, error) {
	lock, err := kv.TryLock(ctx, s.kv, sweepLock, sweepLease)
	if errors.Is(err, kv.ErrLocked) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer lock.Release(context.WithoutCancel(ctx))
	ids, err := s.due(ctx, limit)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	return s.sweep(ctx, ids)
}

// SweepVisits computes the flags of the given visits now (the demo's, so
// its first page shows them at once); the worker's sweeps then find them
// done. Like Sweep, it waits for no other instance: 0 when one is sweeping.
func (s *Service) SweepVisits(ctx context.Context, ids []int64) (int, error) {
	lock, err := kv.TryLock(ctx, s.kv, sweepLock, sweepLease)
	if errors.Is(err, kv.ErrLocked) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer lock.Release(context.WithoutCancel(ctx))
	return s.sweep(ctx, slices.Sorted(slices.Values(ids)))
}

// sweep computes the flags of ids (ascending) under the sweep lock.
func (s *Service) sweep(ctx context.Context, ids []int64) (int, error) {
	var err error
	if err := s.catchUpIndex(ctx); err != nil {
		return 0, err
	}
	// Hash every due visit's new photos first, so visits swept together
	// see each other's photos whatever their order.
	photos := make(map[int64][]Photo, len(ids))
	for _, id := range ids {
		if photos[id], err = s.photos(ctx, id); err != nil {
			return 0, fmt.Errorf("review: photos of visit %d: %w", id, err)
		}
	}
	for i, id := range ids {
		if err := s.compute(ctx, id, photos[id]); err != nil {
			return i, fmt.Errorf("review: flags of visit %d: %w", id, err)
		}
	}
	return len(ids), nil
}

// Recompute forgets every computed run so the next sweeps go over the
// whole history again (after a change of thresholds), and sweeps it now.
func (s *Service) Recompute(ctx context.Context) (int, error) {
	if err := s.db.Gorm(ctx).Exec("DELETE FROM visit_flag_runs").Error; err != nil {
		return 0, db.Translate(err)
	}
	total := 0
	for {
		n, err := s.Sweep(ctx, 500)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// storedPhotos is the SQL of a visit's stored photos: its own and its
// findings'.
const storedPhotos = `SELECT p.id, p.sha256, p.path FROM photos p
	WHERE p.status = 'stored' AND (p.visit_id = ? OR p.finding_id IN (SELECT f.id FROM findings f WHERE f.visit_id = ?))`

// due lists the current visits whose flags are missing or stale.
func (s *Service) due(ctx context.Context, limit int) ([]int64, error) {
	var ids []int64
	err := s.db.Gorm(ctx).Raw(`SELECT v.id FROM visits v
	LEFT JOIN visit_flag_runs r ON r.visit_id = v.id
	WHERE v.is_current = ? AND (r.visit_id IS NULL OR r.photos_seen < (
		SELECT COUNT(*) FROM photos p WHERE p.status = 'stored' AND (p.visit_id = v.id
			OR p.finding_id IN (SELECT f.id FROM findings f WHERE f.visit_id = v.id))))
	ORDER BY v.id LIMIT ?`, true, limit).Scan(&ids).Error
	return ids, db.Translate(err)
}

// catchUpIndex adds the hashes other instances stored since the last look.
func (s *Service) catchUpIndex(ctx context.Context) error {
	var rows []struct {
		PhotoID, VisitID, BusinessID int64
		Dhash                        int64
	}
	err := s.db.Gorm(ctx).Raw(`SELECT photo_id, visit_id, business_id, dhash FROM photo_hashes
		WHERE photo_id > ? ORDER BY photo_id`, s.indexedTo).Scan(&rows).Error
	if err != nil {
		return db.Translate(err)
	}
	for _, r := range rows {
		s.index.Add(Hashed{PhotoID: r.PhotoID, VisitID: r.VisitID, BusinessID: r.BusinessID, Hash: uint64(r.Dhash)})
		s.indexedTo = max(s.indexedTo, r.PhotoID)
	}
	return nil
}

type visitRow struct {
	ID, CadreID, BusinessID int64
	Mode                    string
	SubmittedAt             time.Time
	Latitude, Longitude     *float64
	DistanceM               *float64
	Far                     bool
}

func (r visitRow) visit() Visit {
	return Visit{ID: r.ID, CadreID: r.CadreID, BusinessID: r.BusinessID, Onsite: r.Mode == "onsite",
		At: r.SubmittedAt, Lat: r.Latitude, Lng: r.Longitude, Far: r.Far, DistanceM: r.DistanceM}
}

const visitColumns = `id, cadre_id, business_id, mode, submitted_at, latitude, longitude, distance_m, far`

// compute hashes the visit's new photos, gathers its evidence, and
// replaces its flags.
func (s *Service) compute(ctx context.Context, id int64, photos []Photo) error {
	g := s.db.Gorm(ctx)
	var vr visitRow
	if err := g.Raw(`SELECT `+visitColumns+` FROM visits WHERE id = ?`, id).Scan(&vr).Error; err != nil {
		return db.Translate(err)
	}
	v := vr.visit()
	v.Photos = photos
	ev := Evidence{SamePhoto: map[int64][]int64{}, Similar: map[int64][]Hashed{}}
	for _, p := range photos {
		var others []int64
		if err := g.Raw(`SELECT DISTINCT COALESCE(p.visit_id, f.visit_id) FROM photos p
			LEFT JOIN findings f ON f.id = p.finding_id
			WHERE p.sha256 = ? AND p.id <> ? AND COALESCE(p.visit_id, f.visit_id) IS NOT NULL
			AND COALESCE(p.visit_id, f.visit_id) <> ?`, p.SHA256, p.ID, id).Scan(&others).Error; err != nil {
			return db.Translate(err)
		}
		ev.SamePhoto[p.ID] = others
		if p.Hash != nil {
			ev.Similar[p.ID] = s.index.Near(*p.Hash)
		}
	}
	var day []visitRow
	if err := g.Raw(`SELECT `+visitColumns+` FROM visits
		WHERE cadre_id = ? AND is_current = ? AND id <> ? AND submitted_at BETWEEN ? AND ?`,
		vr.CadreID, true, id, vr.SubmittedAt.Add(-12*time.Hour), vr.SubmittedAt.Add(12*time.Hour)).Scan(&day).Error; err != nil {
		return db.Translate(err)
	}
	for _, o := range day {
		ev.CadreDay = append(ev.CadreDay, o.visit())
	}
	flags := Detect(v, ev, s.rules)
	now := s.clock.Now().UTC()
	return s.db.InTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM visit_flags WHERE visit_id = ?", id).Error; err != nil {
			return err
		}
		seen := map[[2]any]bool{}
		for _, f := range flags {
			key := [2]any{f.Kind, f.Other}
			if seen[key] {
				continue
			}
			seen[key] = true
			if err := tx.Exec(`INSERT INTO visit_flags (visit_id, kind, other_visit_id, detail, created_at) VALUES (?, ?, ?, ?, ?)`,
				id, string(f.Kind), f.Other, truncate(f.Detail, 250), now).Error; err != nil {
				return err
			}
		}
		// The other visit of a shared or similar photo was computed before
		// this one existed: give it the same flag pointing back, so the
		// pair shows from either side without recomputing it.
		for _, f := range flags {
			if f.Kind != DuplicatePhoto && f.Kind != SimilarPhoto {
				continue
			}
			var n int64
			if err := tx.Raw(`SELECT COUNT(*) FROM visit_flags WHERE visit_id = ? AND kind = ? AND other_visit_id = ?`,
				f.Other, string(f.Kind), id).Scan(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				if err := tx.Exec(`INSERT INTO visit_flags (visit_id, kind, other_visit_id, detail, created_at) VALUES (?, ?, ?, ?, ?)`,
					f.Other, string(f.Kind), id, truncate(f.Detail, 250), now).Error; err != nil {
					return err
				}
			}
		}
		if err := tx.Exec("DELETE FROM visit_flag_runs WHERE visit_id = ?", id).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO visit_flag_runs (visit_id, photos_seen, computed_at) VALUES (?, ?, ?)`,
			id, len(photos), now).Error
	})
}

// photos returns the visit's stored photos with their hash and capture
// time, hashing (and indexing) the ones not hashed yet.
func (s *Service) photos(ctx context.Context, visitID int64) ([]Photo, error) {
	g := s.db.Gorm(ctx)
	var vr visitRow
	if err := g.Raw(`SELECT `+visitColumns+` FROM visits WHERE id = ?`, visitID).Scan(&vr).Error; err != nil {
		return nil, db.Translate(err)
	}
	var rows []struct {
		ID     int64
		Sha256 string
		Path   string
	}
	if err := g.Raw(storedPhotos, vr.ID, vr.ID).Scan(&rows).Error; err != nil {
		return nil, db.Translate(err)
	}
	var out []Photo
	for _, r := range rows {
		p := Photo{ID: r.ID, SHA256: r.Sha256}
		var h []struct {
			Dhash   int64
			TakenAt *time.Time
		}
		if err := g.Raw(`SELECT dhash, taken_at FROM photo_hashes WHERE photo_id = ?`, r.ID).Scan(&h).Error; err != nil {
			return nil, db.Translate(err)
		}
		if len(h) == 1 {
			hash := uint64(h[0].Dhash)
			p.Hash, p.TakenAt = &hash, h[0].TakenAt
		} else if hash, taken, ok := s.hash(ctx, r.Path); ok {
			p.Hash, p.TakenAt = &hash, taken
			if err := g.Exec(`INSERT INTO photo_hashes (photo_id, visit_id, business_id, dhash, taken_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				r.ID, vr.ID, vr.BusinessID, int64(hash), taken, s.clock.Now().UTC()).Error; err != nil {
				return nil, db.Translate(err)
			}
			// Detect skips the visit's own photos among the near ones.
			s.index.Add(Hashed{PhotoID: r.ID, VisitID: vr.ID, BusinessID: vr.BusinessID, Hash: hash})
		}
		out = append(out, p)
	}
	return out, nil
}

// hash reads a stored photo and returns its hash and EXIF time; ok is
// false when it cannot be read or decoded (logged: the flags that need it
// are simply not computed for that photo).
func (s *Service) hash(ctx context.Context, path string) (uint64, *time.Time, bool) {
	if s.media == nil || path == "" {
		return 0, nil, false
	}
	r, _, err := s.media.Open(ctx, path)
	if err != nil {
		s.log.Warn("review: photo not readable", "err", err)
		return 0, nil, false
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, 32<<20))
	if err != nil {
		s.log.Warn("review: photo not readable", "err", err)
		return 0, nil, false
	}
	h, err := DHashOf(data)
	if err != nil {
		s.log.Info("review: photo not decodable", "err", err)
		return 0, nil, false
	}
	if t, err := ExifTime(data); err == nil {
		utc := t.UTC()
		return h, &utc, true
	}
	return h, nil, true
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
