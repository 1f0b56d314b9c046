package query

import (
	"context"
	"fmt"
	"time"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// RectificationDetail is one rectification as the console's detail page
// shows it: the finding and the visit that raised it, the deadline as
// first set and as it stands, and every step since — the business's
// feedback, the cadre's follow-up checks (复查), extensions with their
// reasons — each with who, when and its photos.
type RectificationDetail struct {
	ID, FindingID, VisitID int64
	BusinessID             int64
	Business               string
	Town, Village          string
	// CadreID raised the finding; PackedByID packs the business now (0
	// when nobody does) and follows it up.
	CadreID    int64
	CadreName  string
	PackedByID int64
	PackedBy   string
	// ItemID and CheckKind name the checklist item; the checklist (in
	// supervision) gives its label.
	ItemID, CheckKind string
	Description       string
	Requirement       string
	VisitMode         string
	FoundAt           time.Time
	FirstDeadline     time.Time
	Deadline          time.Time
	Status            string
	ClosedAt          *time.Time
	ClosedBy          Person              `gorm:"-"`
	FindingPhotos     []PhotoRef          `gorm:"-"`
	Steps             []RectificationStep `gorm:"-"`
}

// PhotoRef is a photo as a page links it: stored ones are shown, pending
// and failed ones are said to be so.
type PhotoRef struct {
	ID     int64
	Status string
}

// RectificationStep is one event of a rectification's history.
type RectificationStep struct {
	ID          int64
	Kind        string
	Note        string
	NewDeadline *time.Time
	Actor       string
	By          Person `gorm:"-"`
	At          time.Time
	Photos      []PhotoRef `gorm:"-"`
}

// KindLabel is what the step was, in Chinese.
func (s RectificationStep) KindLabel() string {
	if l, ok := rectStepLabels[s.Kind]; ok {
		return l
	}
	return msgStepOther
}

var rectStepLabels = map[string]string{"feedback": msgStepFeedback, "rectified": msgStepRectified,
	"extended": msgStepExtended, "withdrawn": msgStepWithdrawn}

// RectStatusLabel is the Chinese name of a rectification status.
func RectStatusLabel(status string) string {
	if l, ok := map[string]string{"open": msgRectOpen, "rectified": msgRectRectified, "withdrawn": msgRectWithdrawn}[status]; ok {
		return l
	}
	return status
}

// StatusLabel is the rectification's status in Chinese.
func (d *RectificationDetail) StatusLabel() string { return RectStatusLabel(d.Status) }

// Feedbacks counts the business's feedback steps.
func (d *RectificationDetail) Feedbacks() int {
	n := 0
	for _, s := range d.Steps {
		if s.Kind == "feedback" {
			n++
		}
	}
	return n
}

// RectificationInScope returns rectification id with its history, when
// its business lies in the subtree scopePath ("" is everywhere). NotFound
// when it is absent or elsewhere, alike, so a page never reveals what
// lies outside a user's scope. A fixed number of queries.
func (r *Reader) RectificationInScope(ctx context.Context, id int64, scopePath string) (*RectificationDetail, error) {
	g := r.db.Gorm(ctx)
	q := g.Table("rectifications x").
		Select(`x.id, x.finding_id, f.visit_id, x.business_id, b.name AS business, t.name AS town, v.name AS village,
 x.cadre_id, c.name AS cadre_name, f.item_id, vi.check_kind, f.description, f.requirement, vi.mode AS visit_mode,
 vi.submitted_at AS found_at, f.deadline AS first_deadline, x.deadline, x.status, x.closed_at, x.closed_by AS closed_by_actor,
 COALESCE(a.cadre_id, 0) AS packed_by_id, COALESCE(pc.name, '') AS packed_by`).
		Joins("JOIN findings f ON f.id = x.finding_id").
		Joins("JOIN visits vi ON vi.id = f.visit_id").
		Joins("JOIN businesses b ON b.id = x.business_id").
		Joins("JOIN regions v ON v.id = b.region_id").
		Joins("LEFT JOIN regions t ON t.id = v.parent_id").
		Joins("LEFT JOIN cadres c ON c.id = x.cadre_id").
		Joins("LEFT JOIN assignments a ON a.active_business_id = x.business_id").
		Joins("LEFT JOIN cadres pc ON pc.id = a.cadre_id").
		Where("x.id = ?", id)
	if scopePath != "" {
		q = q.Where(subtree("v.path"), subtreeArg(scopePath))
	}
	var row struct {
		RectificationDetail
		ClosedByActor string
	}
	res := q.Scan(&row)
	if res.Error != nil {
		return nil, fmt.Errorf("rectification detail: %w", db.Translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return nil, errs.E(errs.NotFound, msgNoSuchRectification)
	}
	d := row.RectificationDetail
	var steps []RectificationStep
	if err := g.Table("rectification_events").Select("id, kind, note, new_deadline, actor, created_at AS at").
		Where("rectification_id = ?", id).Order("id").Scan(&steps).Error; err != nil {
		return nil, fmt.Errorf("rectification detail: history: %w", db.Translate(err))
	}
	actors := []string{row.ClosedByActor}
	stepIDs := make([]int64, len(steps))
	for i, s := range steps {
		actors = append(actors, s.Actor)
		stepIDs[i] = s.ID
	}
	people, err := r.People(ctx, actors)
	if err != nil {
		return nil, err
	}
	if row.ClosedByActor != "" {
		d.ClosedBy = people[row.ClosedByActor]
	}
	var photos []struct {
		ID                   int64
		Status               string
		FindingID            *int64
		RectificationEventID *int64
	}
	pq := g.Table("photos").Select("id, status, finding_id, rectification_event_id").Where("finding_id = ?", d.FindingID)
	if len(stepIDs) > 0 {
		pq = pq.Or("rectification_event_id IN ?", stepIDs)
	}
	if err := pq.Order("id").Scan(&photos).Error; err != nil {
		return nil, fmt.Errorf("rectification detail: photos: %w", db.Translate(err))
	}
	byStep := map[int64][]PhotoRef{}
	for _, p := range photos {
		ref := PhotoRef{ID: p.ID, Status: p.Status}
		switch {
		case p.RectificationEventID != nil:
			byStep[*p.RectificationEventID] = append(byStep[*p.RectificationEventID], ref)
		case p.FindingID != nil && *p.FindingID == d.FindingID:
			d.FindingPhotos = append(d.FindingPhotos, ref)
		}
	}
	for i := range steps {
		steps[i].By = people[steps[i].Actor]
		steps[i].Photos = byStep[steps[i].ID]
	}
	d.Steps = steps
	return &d, nil
}
