package config

import "time"

// Review sets what makes a visit worth a second look (flags across visits)
// and how many visits are drawn for re-check each cycle. Flags never block
// a report; they are for the reviewer.
type Review struct {
	// SimilarBits: photos of different businesses whose perceptual hashes
	// differ in at most this many of 64 bits are "similar" (0–16).
	SimilarBits int `yaml:"similar_bits"`
	// MaxKmh: two on-site visits by one cadre that would need a faster
	// trip are "impossible travel".
	MaxKmh float64 `yaml:"max_kmh"`
	// MinApart: two on-site visits of different businesses by one cadre
	// closer in time than this are "impossible travel" too.
	MinApart time.Duration `yaml:"min_apart"`
	// BurstPerHour: more on-site visits than this by one cadre within an
	// hour is a "burst".
	BurstPerHour int `yaml:"burst_per_hour"`
	// RequireLocation and RequirePhoto flag on-site visits without them.
	RequireLocation bool `yaml:"require_location"`
	RequirePhoto    bool `yaml:"require_photo"`
	// PhotoSkew: a photo whose EXIF capture time is further than this from
	// the visit is flagged.
	PhotoSkew time.Duration `yaml:"photo_skew"`
	// SampleRate is the share of each cycle's visits drawn for re-check
	// (0.05 = 5 %), and SampleMinPerCadre the least drawn per cadre who
	// reported any; flagged visits are always drawn.
	SampleRate        float64 `yaml:"sample_rate"`
	SampleMinPerCadre int     `yaml:"sample_min_per_cadre"`
}

// DefaultReview are the review settings of the embedded default.
func DefaultReview() Review {
	return Review{SimilarBits: 5, MaxKmh: 60, MinApart: 5 * time.Minute, BurstPerHour: 8,
		RequireLocation: true, PhotoSkew: 48 * time.Hour, SampleRate: 0.05, SampleMinPerCadre: 1}
}

func (r Review) validate(add func(key, format string, args ...any)) {
	if r.SimilarBits < 0 || r.SimilarBits > 16 {
		add("review.similar_bits", "must be between 0 and 16, got %d", r.SimilarBits)
	}
	if r.MaxKmh <= 0 {
		add("review.max_kmh", "must be positive, got %g", r.MaxKmh)
	}
	if r.MinApart < 0 {
		add("review.min_apart", "must not be negative, got %s", r.MinApart)
	}
	if r.BurstPerHour < 1 {
		add("review.burst_per_hour", "must be at least 1, got %d", r.BurstPerHour)
	}
	if r.PhotoSkew < 0 {
		add("review.photo_skew", "must not be negative, got %s", r.PhotoSkew)
	}
	if r.SampleRate < 0 || r.SampleRate > 1 {
		add("review.sample_rate", "must be between 0 and 1, got %g", r.SampleRate)
	}
	if r.SampleMinPerCadre < 0 {
		add("review.sample_min_per_cadre", "must not be negative, got %d", r.SampleMinPerCadre)
	}
}
