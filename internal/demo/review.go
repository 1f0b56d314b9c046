package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"slices"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// seedReview adds, in 胡埭镇 the working day before seeding, in office hours, the visits a
// re-check should doubt (issue 18), so the 异常与抽查 page shows each kind
// on the first start: one photo used on two visits of different
// businesses and the same picture re-encoded smaller on a third (with
// Options.Media only), a report sent from 3 km away, two on-site visits
// of one cadre four minutes apart, and ten on-site visits of one cadre
// within an hour. Each scenario uses its own cadre, so their days do not
// mix. Only with Options.Review. The flags themselves are computed by review's sweep, as for any
// visit; Summary.Doubted names the visit the demo's re-check judges.
func seedReview(ctx context.Context, s *Seeder) error {
	if !s.Options.Review || !s.Tx.Migrator().HasTable("visits") {
		return nil
	}
	var town int64
	for _, t := range s.World.Towns {
		if t.Name == "胡埭镇" {
			town = t.ID
		}
	}
	// The cadres of the town with their located, operating businesses,
	// most first (ties by id): the same register gives the same picks.
	byCadre := map[int64][]BusinessRef{}
	for _, b := range s.World.Businesses {
		if b.TownID == town && b.Status == registry.StatusOperating && b.CadreID != 0 {
			byCadre[b.CadreID] = append(byCadre[b.CadreID], b)
		}
	}
	cadres := make([]int64, 0, len(byCadre))
	for id := range byCadre {
		cadres = append(cadres, id)
	}
	slices.SortFunc(cadres, func(a, b int64) int {
		if d := len(byCadre[b]) - len(byCadre[a]); d != 0 {
			return d
		}
		return int(a - b)
	})
	if len(cadres) < 5 || len(byCadre[cadres[0]]) < 10 {
		return nil
	}
	lists, err := supervision.DefaultChecklists()
	if err != nil {
		return err
	}
	rules := supervision.DefaultRules()
	svc := supervision.NewService(nil, s.Reg, lists, rules, clock.NewFixed(s.Now))
	levels := map[int64]registry.CadreLevel{}
	for _, c := range s.World.Cadres {
		levels[c.ID] = c.Level
	}
	// The working day before seeding, in office hours, China time.
	d := s.Now.In(clock.China).AddDate(0, 0, -1)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, -1)
	}
	base := time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, clock.China)
	n := 0
	visit := func(b BusinessRef, at time.Time, loc point) *supervision.VisitRecord {
		n++
		v := supervision.Visit{SubmissionKey: fmt.Sprintf("seed-review-%d", n), BusinessID: b.ID, CadreID: b.CadreID,
			CadreLevel: levels[b.CadreID], Grade: b.Grade, CycleKey: rules.CycleFor(b.Grade, at).Key, Mode: supervision.ModeOnsite,
			CheckKind: supervision.CheckQuick, StartedAt: at.Add(-20 * time.Minute).UTC(), SubmittedAt: at.UTC(),
			ContactName: personName(s.Rand), Source: registry.SourceSeed, Current: true, CreatedAt: at.UTC()}
		lat, lng := round6(loc.lat), round6(loc.lng)
		m, far, _ := svc.Distance(registry.Business{Latitude: &b.Lat, Longitude: &b.Lng}, supervision.Location{Lat: lat, Lng: lng})
		m = math.Round(m)
		v.Latitude, v.Longitude, v.DistanceM, v.Far = &lat, &lng, &m, far
		v.LocationLabel = "现场定位"
		rec := &supervision.VisitRecord{Visit: v}
		for _, it := range lists.Expected(supervision.CheckQuick, b.Category, b.Grade) {
			rec.Items = append(rec.Items, supervision.ItemResult{ItemID: it.ID, Result: supervision.ResultOK})
		}
		return rec
	}
	at := func(b BusinessRef) point { return point{b.Lat, b.Lng}.offset(0.02, 0.01) }
	var recs []*supervision.VisitRecord

	// A burst: ten on-site visits six minutes apart.
	for i, b := range byCadre[cadres[0]][:10] {
		recs = append(recs, visit(b, base.Add(time.Duration(i*6)*time.Minute), at(b)))
	}
	// An impossible trip: two businesses four minutes apart.
	s1, s2 := byCadre[cadres[1]][0], byCadre[cadres[1]][len(byCadre[cadres[1]])-1]
	recs = append(recs, visit(s1, base.Add(70*time.Minute), at(s1)), visit(s2, base.Add(74*time.Minute), at(s2)))
	// A report sent from 3 km north-east of the business.
	f := byCadre[cadres[2]][0]
	recs = append(recs, visit(f, base.Add(100*time.Minute), point{f.Lat, f.Lng}.offset(2.1, 2.1)))
	// One photo on two businesses' visits, the same picture smaller on a third.
	p1, p2, p3 := byCadre[cadres[3]][0], byCadre[cadres[4]][0], byCadre[cadres[2]][len(byCadre[cadres[2]])-1]
	first, reused, similar := visit(p1, base.Add(140*time.Minute), at(p1)), visit(p2, base.Add(5*time.Hour), at(p2)), visit(p3, base.Add(390*time.Minute), at(p3))
	recs = append(recs, first, reused, similar)
	if s.Options.Media != nil {
		big, err := putPhoto(ctx, s.Options.Media, demoScene(1024, 768))
		if err != nil {
			return err
		}
		small, err := putPhoto(ctx, s.Options.Media, demoScene(640, 480))
		if err != nil {
			return err
		}
		first.Photos, reused.Photos, similar.Photos = []media.Object{big}, []media.Object{big}, []media.Object{small}
	}
	if err := svc.InsertVisitsTx(s.Tx, recs); err != nil {
		return err
	}
	s.Summary.Doubted = reused.Visit.ID
	for _, r := range recs {
		s.Summary.Doubtful = append(s.Summary.Doubtful, r.Visit.ID)
	}
	return nil
}

// demoScene draws the demo's shop photo at a size: the same picture at
// any size, so a re-encoded copy hashes near the original.
func demoScene(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			c := color.RGBA{uint8(200 - 120*fy), uint8(180 - 60*fx), uint8(150 + 80*fx*fy), 255}
			switch {
			case fx > 0.1 && fx < 0.45 && fy > 0.3 && fy < 0.9: // the door
				c = color.RGBA{90, 60, 40, 255}
			case fx > 0.55 && fx < 0.9 && fy > 0.25 && fy < 0.6: // the window
				c = color.RGBA{170, 210, 235, 255}
			case fy < 0.18 && fx > 0.05 && fx < 0.95: // the sign
				c = color.RGBA{190, 30, 30, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// putPhoto stores a JPEG of img under its content's name, as a photo
// fetched from WeChat is stored.
func putPhoto(ctx context.Context, store media.Store, img image.Image) (media.Object, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return media.Object{}, err
	}
	sum := sha256.Sum256(buf.Bytes())
	return store.Put(ctx, hex.EncodeToString(sum[:])+".jpg", buf.Bytes(), "image/jpeg")
}
