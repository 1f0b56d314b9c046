package supervision

import "time"

// Finding is a problem found at a checklist item during a visit (问题).
// Each has one rectification that tracks it to closure.
type Finding struct {
	ID          int64
	VisitID     int64
	BusinessID  int64
	ItemID      string
	Description string
	Requirement string
	// Deadline is a day: midnight China time, stored in UTC.
	Deadline time.Time
}

// FindingInput is a finding as reported: what is wrong, what must be
// done, by when (zero = the default deadline), with its photos.
type FindingInput struct {
	ItemID      string
	Description string
	Requirement string
	Deadline    time.Time
	Photos      []PhotoInput
}

// FindingRow is a finding as shown with its visit: the item's label and
// the state of its rectification. Deadline is in clock.China.
type FindingRow struct {
	ID              int64
	ItemID          string
	Label           string
	Description     string
	Requirement     string
	Deadline        time.Time
	RectificationID int64
	Status          string
}
