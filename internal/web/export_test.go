package web

import "time"

// SetSlowCount changes how slow a list count must be to be kept, for a
// test; it returns the restore.
func SetSlowCount(d time.Duration) func() {
	old := slowCount
	slowCount = d
	return func() { slowCount = old }
}
