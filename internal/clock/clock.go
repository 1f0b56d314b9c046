// Package clock supplies the time. Cycles, deadlines, reminders and quiet
// hours all depend on "now", so it is injected: the real clock in
// production, a settable one in tests and in the simulator (which jumps to
// "a week before quarter end" to show reminders).
package clock

import (
	"sync"
	"time"
	_ "time/tzdata" // containers often lack zoneinfo; cycles are China-local.
)

// China is the time zone every date in the domain is reckoned in: a visit on
// the evening of 31 March belongs to Q1 whatever the server's zone.
var China = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Real is the system clock.
type Real struct{}

// Now returns the current time.
func (Real) Now() time.Time { return time.Now() }

// Offset is a clock that runs at real speed but can be shifted forward or
// back, for tests and the dev simulator. Safe for concurrent use.
type Offset struct {
	mu     sync.RWMutex
	offset time.Duration
	base   func() time.Time
}

// NewOffset returns a shiftable clock starting at real time.
func NewOffset() *Offset { return &Offset{base: time.Now} }

// NewFixed returns a shiftable clock frozen at t: it does not advance on its
// own, which keeps golden files stable.
func NewFixed(t time.Time) *Offset {
	return &Offset{base: func() time.Time { return t }}
}

// Now returns the shifted time.
func (o *Offset) Now() time.Time {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.base().Add(o.offset)
}

// Set moves the clock so that Now returns t (and advances from there if the
// base advances).
func (o *Offset) Set(t time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.offset = t.Sub(o.base())
}

// Advance moves the clock by d.
func (o *Offset) Advance(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.offset += d
}

// Reset returns the clock to its base time.
func (o *Offset) Reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.offset = 0
}

// Date returns the calendar day of t in China, at midnight China time.
func Date(t time.Time) time.Time {
	y, m, d := t.In(China).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, China)
}

// DaysBetween counts calendar days (China) from a's day to b's day:
// 1 from any time on 30 November to any time on 1 December.
func DaysBetween(a, b time.Time) int {
	ay, am, ad := a.In(China).Date()
	by, bm, bd := b.In(China).Date()
	// Whole days in UTC, where every day has 24 hours.
	da := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	db := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

// ParseDate reads a YYYY-MM-DD date (also YYYY/M/D and YYYY.M.D) as a day in China.
func ParseDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2006/1/2", "2006.1.2", "2006-1-2", "20060102"} {
		if t, err := time.ParseInLocation(layout, s, China); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &time.ParseError{Layout: "2006-01-02", Value: s, Message: ": not a date"}
}
