package review

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
)

// Kind names a flag; the names are the JSON API's (`flags`, `?flag=`).
type Kind string

// Flag kinds (ISSUE 18): what a reviewer should look at, never a verdict.
const (
	DuplicatePhoto   Kind = "duplicate_photo"
	SimilarPhoto     Kind = "similar_photo"
	FarFromSite      Kind = "far_from_site"
	ImpossibleTravel Kind = "impossible_travel"
	Burst            Kind = "burst"
	NoLocation       Kind = "no_location"
	NoPhoto          Kind = "no_photo"
	PhotoTime        Kind = "photo_time"
)

// Kinds lists every kind in the order pages show them.
var Kinds = []Kind{DuplicatePhoto, SimilarPhoto, FarFromSite, ImpossibleTravel, Burst, NoLocation, NoPhoto, PhotoTime}

// Label is the kind in the office's words.
func (k Kind) Label() string {
	switch k {
	case DuplicatePhoto:
		return "重复照片"
	case SimilarPhoto:
		return "相似照片"
	case FarFromSite:
		return "距离过远"
	case ImpossibleTravel:
		return "行程不可能"
	case Burst:
		return "短时集中上报"
	case NoLocation:
		return "无定位"
	case NoPhoto:
		return "无照片"
	case PhotoTime:
		return "照片时间不符"
	}
	return "其他"
}

// ParseKind reads a kind's name; ok is false for anything else.
func ParseKind(s string) (Kind, bool) {
	k := Kind(s)
	return k, slices.Contains(Kinds, k)
}

// Rules are the thresholds; every one is a setting (review.* in the
// configuration).
type Rules struct {
	// SimilarBits: photos of different businesses whose hashes differ in
	// at most this many bits are "similar".
	SimilarBits int
	// MaxKmh: two on-site visits by one cadre that would need a faster
	// trip than this are "impossible".
	MaxKmh float64
	// MinApart: two on-site visits of different businesses by one cadre
	// closer in time than this are "impossible" too, wherever they are.
	MinApart time.Duration
	// BurstPerHour: more on-site visits than this by one cadre within an
	// hour is a burst.
	BurstPerHour int
	// RequireLocation and RequirePhoto flag on-site visits without them.
	RequireLocation bool
	RequirePhoto    bool
	// PhotoSkew: a photo whose EXIF time is further than this from the
	// visit was taken at another time.
	PhotoSkew time.Duration
	// SampleRate and SampleMinPerCadre size each cycle's random re-check
	// sample (Draw).
	SampleRate        float64
	SampleMinPerCadre int
}

// DefaultRules are the thresholds used when the configuration says nothing.
func DefaultRules() Rules {
	return Rules{SimilarBits: 5, MaxKmh: 60, MinApart: 5 * time.Minute, BurstPerHour: 8,
		RequireLocation: true, RequirePhoto: false, PhotoSkew: 48 * time.Hour, SampleRate: 0.05, SampleMinPerCadre: 1}
}

// Visit is what the flags look at of one visit.
type Visit struct {
	ID         int64
	CadreID    int64
	BusinessID int64
	Onsite     bool
	At         time.Time
	Lat, Lng   *float64
	Far        bool
	DistanceM  *float64
	Photos     []Photo
}

// Photo is one stored photo of a visit.
type Photo struct {
	ID      int64
	SHA256  string
	Hash    *uint64
	TakenAt *time.Time
}

// Flag is one reason to look at a visit again.
type Flag struct {
	Kind Kind
	// Other is the other visit involved (the one with the same photo, the
	// one too far away too soon), 0 when none.
	Other int64
	// Detail says what was seen, in Chinese, for the reviewer.
	Detail string
}

// Evidence is what the flags compare a visit with.
type Evidence struct {
	// SamePhoto: other visits with a photo of the same sha256, by photo.
	SamePhoto map[int64][]int64
	// Similar: other businesses' photos near each of the visit's photos.
	Similar map[int64][]Hashed
	// CadreDay: the same cadre's other on-site visits around this one.
	CadreDay []Visit
}

// Detect computes the flags of v. It never refuses anything: flags are for
// review, the cadre is not accused in chat.
func Detect(v Visit, ev Evidence, r Rules) []Flag {
	var out []Flag
	add := func(k Kind, other int64, format string, args ...any) {
		out = append(out, Flag{Kind: k, Other: other, Detail: fmt.Sprintf(format, args...)})
	}
	for _, p := range v.Photos {
		for _, o := range uniq(ev.SamePhoto[p.ID]) {
			add(DuplicatePhoto, o, "同一张照片也用于另一次督导")
		}
		// The same file is a duplicate already, not also "similar".
		seen := map[int64]bool{}
		for _, o := range ev.SamePhoto[p.ID] {
			seen[o] = true
		}
		for _, h := range ev.Similar[p.ID] {
			if h.VisitID == v.ID || h.BusinessID == v.BusinessID || seen[h.VisitID] || p.Hash == nil {
				continue
			}
			seen[h.VisitID] = true
			add(SimilarPhoto, h.VisitID, "照片与另一主体督导的照片高度相似（相差%d位）", Distance(*p.Hash, h.Hash))
		}
		if p.TakenAt != nil && r.PhotoSkew > 0 {
			if d := absDur(p.TakenAt.Sub(v.At)); d > r.PhotoSkew {
				add(PhotoTime, 0, "照片拍摄于%s，与督导时间相差%s", p.TakenAt.In(clock.China).Format("2006-01-02 15:04"), humanDur(d))
			}
		}
	}
	if v.Far {
		if v.DistanceM != nil {
			add(FarFromSite, 0, "定位距主体约%s", metres(*v.DistanceM))
		} else {
			add(FarFromSite, 0, "定位远离主体")
		}
	}
	if !v.Onsite {
		return out
	}
	if r.RequireLocation && (v.Lat == nil || v.Lng == nil) {
		add(NoLocation, 0, "现场督导未发送定位")
	}
	if r.RequirePhoto && len(v.Photos) == 0 {
		add(NoPhoto, 0, "现场督导未附照片")
	}
	for _, o := range ev.CadreDay {
		if o.ID == v.ID || !o.Onsite || o.BusinessID == v.BusinessID {
			continue
		}
		dt := absDur(v.At.Sub(o.At))
		if r.MinApart > 0 && dt < r.MinApart {
			add(ImpossibleTravel, o.ID, "与同一干部另一主体的现场督导仅相隔%s", humanDur(dt))
			continue
		}
		if v.Lat == nil || o.Lat == nil || r.MaxKmh <= 0 || dt > 12*time.Hour {
			continue
		}
		km := Haversine(*v.Lat, *v.Lng, *o.Lat, *o.Lng) / 1000
		if kmh := km / dt.Hours(); kmh > r.MaxKmh {
			add(ImpossibleTravel, o.ID, "与同一干部另一次现场督导相距%.1f公里、相隔%s（约%.0f公里/小时）", km, humanDur(dt), kmh)
		}
	}
	if r.BurstPerHour > 0 {
		if n := busiestHour(v, ev.CadreDay); n > r.BurstPerHour {
			add(Burst, 0, "同一干部一小时内现场督导%d次", n)
		}
	}
	return out
}

// busiestHour is the most on-site visits of the cadre (v included) within
// any hour that contains v.
func busiestHour(v Visit, others []Visit) int {
	times := []time.Time{v.At}
	for _, o := range others {
		if o.ID != v.ID && o.Onsite && absDur(o.At.Sub(v.At)) <= time.Hour {
			times = append(times, o.At)
		}
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	best := 0
	for i, start := range times {
		if start.After(v.At) {
			break
		}
		n := 0
		for _, t := range times[i:] {
			if t.Sub(start) <= time.Hour {
				n++
			}
		}
		if !start.Add(time.Hour).Before(v.At) {
			best = max(best, n)
		}
	}
	return best
}

// Haversine is the great-circle distance in metres.
func Haversine(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371000
	rad := math.Pi / 180
	dLat, dLng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// humanDur says a duration the way an office would: 3分钟, 2小时15分钟, 5天.
func humanDur(d time.Duration) string {
	switch {
	case d < time.Second:
		return "不到1秒"
	case d < time.Minute:
		return fmt.Sprintf("%d秒", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d分钟", int(d.Minutes()))
	case d < 48*time.Hour:
		if m := int(d.Minutes()) % 60; m != 0 {
			return fmt.Sprintf("%d小时%d分钟", int(d.Hours()), m)
		}
		return fmt.Sprintf("%d小时", int(d.Hours()))
	}
	return fmt.Sprintf("%d天", int(d.Hours()/24))
}

// metres says a distance as an office would: 850米, 3.2公里.
func metres(m float64) string {
	if m < 1000 {
		return fmt.Sprintf("%.0f米", m)
	}
	return fmt.Sprintf("%.1f公里", m/1000)
}

func uniq(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
