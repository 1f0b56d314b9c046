package review_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/db/dbtest"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/review"
	"github.com/shianbao/shianbao/internal/supervision"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

var tables = dbtest.SeedTemplate("review", func(context.Context, *db.DB) error { return nil },
	registry.Schema, supervision.Schema, review.Schema)

var t0 = time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC) // 09:00 in China

type env struct {
	t     *testing.T
	ctx   context.Context
	d     *db.DB
	media *media.Local
	svc   *review.Service
	next  int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := tables.Open(t)
	m, err := media.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: context.Background(), d: d, media: m,
		svc: review.New(d, kv.NewMemory(), m, clock.NewFixed(t0.Add(24*time.Hour)), review.DefaultRules(), nil)}
}

// visit stores a visit row as supervision would (only the columns review reads matter).
func (e *env) visit(cadre, business int64, mode string, at time.Time, lat, lng *float64) int64 {
	e.t.Helper()
	e.next++
	id := e.next
	err := e.d.Gorm(e.ctx).Exec(`INSERT INTO visits (id, submission_key, business_id, cadre_id, cadre_level, grade, cycle_key,
	mode, check_kind, started_at, submitted_at, latitude, longitude, source, provenance, created_at)
	VALUES (?, ?, ?, ?, 'village', 'C', '2026Q4', ?, 'quick', ?, ?, ?, ?, 'chat', '{}', ?)`,
		id, "k"+string(rune('a'+id)), business, cadre, mode, at, at, lat, lng, at).Error
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// photo stores a photo of the visit, as the fetcher leaves it.
func (e *env) photo(visit int64, data []byte) {
	e.t.Helper()
	sum := sha256.Sum256(data)
	key := hex.EncodeToString(sum[:]) + ".jpg"
	if _, err := e.media.Put(e.ctx, key, data, "image/jpeg"); err != nil {
		e.t.Fatal(err)
	}
	err := e.d.Gorm(e.ctx).Exec(`INSERT INTO photos (visit_id, media_id, received_at, status, sha256, size, path, content_type, next_attempt_at, created_at)
	VALUES (?, ?, ?, 'stored', ?, ?, ?, 'image/jpeg', ?, ?)`, visit, key, t0, hex.EncodeToString(sum[:]), len(data), key, t0, t0).Error
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) flags(visit int64) []string {
	e.t.Helper()
	var out []string
	if err := e.d.Gorm(e.ctx).Raw(`SELECT kind FROM visit_flags WHERE visit_id = ? ORDER BY kind`, visit).Scan(&out).Error; err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) sweep() int {
	e.t.Helper()
	n, err := e.svc.Sweep(e.ctx, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func at(lat, lng float64) (*float64, *float64) { return &lat, &lng }

// shopPhoto is a JPEG of a made-up shop, different for each seed.
func shopPhoto(t *testing.T, seed uint64, w, h, quality int) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for range 12 {
		x0, y0 := r.IntN(w), r.IntN(h)
		x1, y1 := min(w, x0+w/8+r.IntN(w/3)), min(h, y0+h/8+r.IntN(h/3))
		c := color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				img.Set(x*w/w, y, c)
			}
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSweepFlagsAcrossVisits(t *testing.T) {
	e := newEnv(t)
	shop := shopPhoto(t, 1, 640, 480, 90)
	lat1, lng1 := at(31.50, 120.20)
	v1 := e.visit(7, 10, "onsite", t0, lat1, lng1)
	e.photo(v1, shop)
	// Another cadre files the very same photo for another business.
	lat2, lng2 := at(31.45, 120.25)
	v2 := e.visit(8, 11, "onsite", t0.Add(3*time.Hour), lat2, lng2)
	e.photo(v2, shop)
	// A third files it re-encoded at another size (a different file).
	lat3, lng3 := at(31.40, 120.30)
	v3 := e.visit(9, 12, "onsite", t0.Add(4*time.Hour), lat3, lng3)
	e.photo(v3, shopPhoto(t, 1, 320, 240, 60))
	// The first cadre is 20 km away five minutes after the first visit.
	lat4, lng4 := at(31.68, 120.20)
	v4 := e.visit(7, 13, "onsite", t0.Add(5*time.Minute), lat4, lng4)
	e.photo(v4, shopPhoto(t, 2, 640, 480, 90))
	// An online visit with nothing is fine.
	v5 := e.visit(10, 14, "online", t0, nil, nil)

	if n := e.sweep(); n != 5 {
		t.Fatalf("swept %d visits, want 5", n)
	}
	want := map[int64][]string{
		v1: {"duplicate_photo", "impossible_travel", "similar_photo"},
		v2: {"duplicate_photo", "similar_photo"},
		v3: {"similar_photo", "similar_photo"},
		v4: {"impossible_travel"},
		v5: nil,
	}
	for v, w := range want {
		if got := e.flags(v); !slices.Equal(got, w) {
			t.Errorf("visit %d: flags %v, want %v", v, got, w)
		}
	}
	if n := e.sweep(); n != 0 {
		t.Errorf("a second sweep computed %d visits again", n)
	}
	// A photo arriving later makes its visit due again.
	e.photo(v5, shop)
	if n := e.sweep(); n != 1 {
		t.Fatalf("after a late photo swept %d visits, want 1", n)
	}
	if got := e.flags(v5); !slices.Contains(got, "duplicate_photo") {
		t.Errorf("visit %d after its late photo: flags %v", v5, got)
	}
	// Recompute goes over everything again and lands on the same flags.
	if n, err := e.svc.Recompute(e.ctx); err != nil || n != 5 {
		t.Fatalf("Recompute = %d, %v", n, err)
	}
	if got := e.flags(v4); !slices.Equal(got, []string{"impossible_travel"}) {
		t.Errorf("after Recompute visit %d: %v", v4, got)
	}
}

func TestSweepOneInstanceAtATime(t *testing.T) {
	e := newEnv(t)
	e.visit(7, 10, "onsite", t0, nil, nil)
	store := kv.NewMemory()
	if _, err := kv.TryLock(e.ctx, store, "review:sweep", time.Minute); err != nil {
		t.Fatal(err)
	}
	other := review.New(e.d, store, e.media, clock.NewFixed(t0), review.DefaultRules(), nil)
	if n, err := other.Sweep(e.ctx, 10); err != nil || n != 0 {
		t.Errorf("a sweep while another holds the lock: %d, %v", n, err)
	}
}
