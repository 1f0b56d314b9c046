package query

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// IncidentFilter selects incidents for the console and the API. Kind and
// State are the incidents' words (poisoning…, reported…); State "open" is
// every state but closed. Overdue keeps open incidents whose step is past
// its deadline at Now.
type IncidentFilter struct {
	// ScopePath is the user's subtree; RegionPath narrows it (a town or
	// village already checked to lie in scope).
	ScopePath, RegionPath string
	Kind, State           string
	Overdue               bool
	Now                   time.Time
	Limit, Offset         int
}

// IncidentLine is an incident as lists show it.
type IncidentLine struct {
	ID           int64      `json:"id"`
	Kind         string     `json:"kind"`
	State        string     `json:"state"`
	RegionID     int64      `json:"region_id"`
	Region       string     `json:"region"`
	BusinessID   int64      `json:"business_id,omitempty"`
	BusinessName string     `json:"business_name,omitempty"`
	Description  string     `json:"description"`
	Affected     int        `json:"affected"`
	ReporterKind string     `json:"reporter_kind"`
	ReporterName string     `json:"reporter_name"`
	Verified     bool       `json:"verified"`
	StateAt      time.Time  `json:"state_at"`
	DueAt        *time.Time `json:"due_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
}

var (
	incidentKinds  = map[string]bool{"poisoning": true, "complaint": true, "accident": true, "other": true}
	incidentStates = map[string]bool{"reported": true, "accepted": true, "handling": true, "closed": true, "open": true}
)

// Incidents lists one page of the incidents f selects, newest first, and
// how many it selects in all. Invalid for an unknown kind or state.
func (r *Reader) Incidents(ctx context.Context, f IncidentFilter) ([]IncidentLine, int64, error) {
	if err := checkScope(f.ScopePath); err != nil {
		return nil, 0, err
	}
	if f.Kind != "" && !incidentKinds[f.Kind] {
		return nil, 0, errs.E(errs.Invalid, "未知的事件类型。")
	}
	if f.State != "" && !incidentStates[f.State] {
		return nil, 0, errs.E(errs.Invalid, "未知的事件状态。")
	}
	q := r.db.Gorm(ctx).Table("incidents i").Joins("JOIN regions r ON r.id = i.region_id")
	if f.ScopePath != "" {
		q = q.Where(subtree("r.path"), subtreeArg(f.ScopePath))
	}
	if f.RegionPath != "" {
		q = q.Where(subtree("r.path"), subtreeArg(f.RegionPath))
	}
	if f.Kind != "" {
		q = q.Where("i.kind = ?", f.Kind)
	}
	switch f.State {
	case "":
	case "open":
		q = q.Where("i.state <> ?", "closed")
	default:
		q = q.Where("i.state = ?", f.State)
	}
	if f.Overdue {
		q = q.Where("i.state <> ? AND i.due_at < ?", "closed", f.Now.UTC())
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count incidents: %w", db.Translate(err))
	}
	if total == 0 {
		return nil, 0, nil
	}
	var rows []IncidentLine
	err := q.Select(`i.id, i.kind, i.state, i.region_id, r.name AS region, i.business_id, i.business_name, i.description,
	i.affected, i.reporter_kind, i.reporter_name, i.verified, i.state_at, i.due_at, i.created_at, i.closed_at`).
		Order("i.created_at DESC, i.id DESC").Limit(pageLimit(f.Limit, 50, 500)).Offset(max(f.Offset, 0)).Scan(&rows).Error
	if err != nil {
		return nil, 0, fmt.Errorf("incidents: %w", db.Translate(err))
	}
	return rows, total, nil
}
