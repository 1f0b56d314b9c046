package review

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func kinds(fs []Flag) map[Kind]int {
	m := map[Kind]int{}
	for _, f := range fs {
		m[f.Kind]++
		if f.Detail == "" || strings.ContainsAny(f.Detail, "%!") {
			panic("a flag without a readable detail: " + f.Detail)
		}
	}
	return m
}

func onsite(id, business int64, at time.Time, lat, lng float64) Visit {
	return Visit{ID: id, CadreID: 7, BusinessID: business, Onsite: true, At: at, Lat: ptr(lat), Lng: ptr(lng)}
}

func TestDetectCleanVisit(t *testing.T) {
	v := onsite(1, 10, t0, 31.5, 120.2)
	v.Photos = []Photo{{ID: 1, SHA256: "a", Hash: ptr(uint64(0xF0F0))}}
	other := onsite(2, 11, t0.Add(2*time.Hour), 31.51, 120.21) // 1.4 km in two hours
	if fs := Detect(v, Evidence{CadreDay: []Visit{other}}, DefaultRules()); len(fs) != 0 {
		t.Errorf("a clean visit got flags: %+v", fs)
	}
}

func TestDetectPhotos(t *testing.T) {
	h := uint64(0xDEADBEEF)
	v := onsite(1, 10, t0, 31.5, 120.2)
	v.Photos = []Photo{{ID: 1, SHA256: "same", Hash: &h, TakenAt: ptr(t0.Add(-5 * 24 * time.Hour))}}
	ev := Evidence{
		SamePhoto: map[int64][]int64{1: {5, 5}},
		Similar: map[int64][]Hashed{1: {
			{PhotoID: 9, VisitID: 6, BusinessID: 12, Hash: h ^ 0b111}, // another business: similar
			{PhotoID: 8, VisitID: 4, BusinessID: 10, Hash: h ^ 0b1},   // the same business: not suspicious
		}},
	}
	fs := Detect(v, ev, DefaultRules())
	k := kinds(fs)
	if k[DuplicatePhoto] != 1 || k[SimilarPhoto] != 1 || k[PhotoTime] != 1 {
		t.Errorf("flags = %+v", fs)
	}
	for _, f := range fs {
		if f.Kind == SimilarPhoto && (f.Other != 6 || !strings.Contains(f.Detail, "3位")) {
			t.Errorf("similar photo flag = %+v", f)
		}
	}
	// Without an EXIF time, or within the allowed skew, no photo_time.
	v.Photos[0].TakenAt = ptr(t0.Add(-time.Hour))
	if kinds(Detect(v, ev, DefaultRules()))[PhotoTime] != 0 {
		t.Error("a photo taken an hour before the visit was flagged")
	}
}

func TestDetectImpossibleTravel(t *testing.T) {
	v := onsite(1, 10, t0, 31.50, 120.20)
	// 20 km away five minutes later (240 km/h); and a shop next door two
	// minutes later (too close in time for two visits).
	far := onsite(2, 11, t0.Add(5*time.Minute), 31.68, 120.20)
	nextDoor := onsite(3, 12, t0.Add(-2*time.Minute), 31.5001, 120.2001)
	fs := Detect(v, Evidence{CadreDay: []Visit{far, nextDoor}}, DefaultRules())
	if kinds(fs)[ImpossibleTravel] != 2 {
		t.Fatalf("flags = %+v", fs)
	}
	// A second visit to the same business is not travel; an online one neither.
	same := onsite(4, 10, t0.Add(time.Minute), 31.7, 120.2)
	online := far
	online.Onsite = false
	if fs := Detect(v, Evidence{CadreDay: []Visit{same, online}}, DefaultRules()); kinds(fs)[ImpossibleTravel] != 0 {
		t.Errorf("flags = %+v", fs)
	}
}

func TestDetectBurst(t *testing.T) {
	var day []Visit
	for i := range 10 {
		day = append(day, onsite(int64(100+i), int64(200+i), t0.Add(time.Duration(i)*6*time.Minute), 31.5, 120.2+float64(i)*0.001))
	}
	r := DefaultRules()
	r.MinApart = 0 // only the burst here
	fs := Detect(day[4], Evidence{CadreDay: day}, r)
	if kinds(fs)[Burst] != 1 || !strings.Contains(fs[len(fs)-1].Detail, "10次") {
		t.Fatalf("flags = %+v", fs)
	}
	// Eight in an hour is allowed.
	if fs := Detect(day[0], Evidence{CadreDay: day[:8]}, r); kinds(fs)[Burst] != 0 {
		t.Errorf("eight visits in an hour flagged: %+v", fs)
	}
}

func TestDetectMissingEvidenceAndFar(t *testing.T) {
	v := Visit{ID: 1, CadreID: 7, BusinessID: 10, Onsite: true, At: t0, Far: true, DistanceM: ptr(2300.0)}
	r := DefaultRules()
	r.RequirePhoto = true
	k := kinds(Detect(v, Evidence{}, r))
	if k[NoLocation] != 1 || k[NoPhoto] != 1 || k[FarFromSite] != 1 {
		t.Errorf("flags = %v", k)
	}
	v.Onsite = false
	k = kinds(Detect(v, Evidence{}, r))
	if k[NoLocation] != 0 || k[NoPhoto] != 0 {
		t.Errorf("an online visit flagged for missing on-site evidence: %v", k)
	}
}

func TestKindsHaveLabels(t *testing.T) {
	for _, k := range Kinds {
		if k.Label() == "其他" {
			t.Errorf("%s has no label", k)
		}
		if got, ok := ParseKind(string(k)); !ok || got != k {
			t.Errorf("ParseKind(%s) = %s, %v", k, got, ok)
		}
	}
	if _, ok := ParseKind("fake"); ok {
		t.Error("ParseKind accepted fake")
	}
}
