package supervision

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/registry"
)

// VisitRecord is a complete past visit for bulk loading (the demo
// generator; an import of earlier records). It does not pass through
// Submit's rules: the caller makes it consistent. IDs are filled in.
type VisitRecord struct {
	Visit    Visit
	Items    []ItemResult
	Findings []FindingRecord
	// Photos are the visit's pictures, already in the media store.
	Photos []media.Object
}

// FindingRecord is a finding with the state its rectification reached.
type FindingRecord struct {
	Finding Finding
	// Status is StatusOpen, StatusRectified or StatusWithdrawn; Deadline
	// is the rectification's current one (after any extension).
	Status   string
	Deadline time.Time
	ClosedAt *time.Time
	ClosedBy registry.Actor
	Events   []RectificationEvent
}

// InsertVisitsTx inserts visits with their checklist results, findings,
// rectifications and rectification events in batches, inside the
// caller's transaction: a few statements per few hundred visits. A
// revision's SupersedesID must name a visit already inserted.
func (s *Service) InsertVisitsTx(tx *gorm.DB, rs []*VisitRecord) error {
	if len(rs) == 0 {
		return nil
	}
	vs := make([]*Visit, len(rs))
	for i, r := range rs {
		vs[i] = &r.Visit
		if vs[i].CreatedAt.IsZero() {
			vs[i].CreatedAt = vs[i].SubmittedAt
		}
		if vs[i].Revision == 0 {
			vs[i].Revision = 1
		}
	}
	if err := tx.CreateInBatches(vs, batchRows(tx, 27)).Error; err != nil {
		return fmt.Errorf("insert visits: %w", err)
	}
	var items []visitItem
	var fs []*Finding
	var frs []*FindingRecord
	var fvs []*Visit
	for _, r := range rs {
		for _, it := range r.Items {
			items = append(items, visitItem{VisitID: r.Visit.ID, ItemID: it.ItemID, Result: it.Result})
		}
		for i := range r.Findings {
			f := &r.Findings[i]
			f.Finding.VisitID, f.Finding.BusinessID = r.Visit.ID, r.Visit.BusinessID
			fs, frs, fvs = append(fs, &f.Finding), append(frs, f), append(fvs, &r.Visit)
		}
	}
	if err := insertItems(tx, items, batchRows(tx, 3)); err != nil {
		return fmt.Errorf("insert visit items: %w", err)
	}
	var photos []Photo
	for _, r := range rs {
		for _, o := range r.Photos {
			ph := storedPhoto(o, r.Visit.CreatedAt)
			ph.VisitID = &r.Visit.ID
			photos = append(photos, ph)
		}
	}
	if len(photos) > 0 {
		if err := tx.CreateInBatches(photos, batchRows(tx, 18)).Error; err != nil {
			return fmt.Errorf("insert visit photos: %w", err)
		}
	}
	if len(fs) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(fs, batchRows(tx, 7)).Error; err != nil {
		return fmt.Errorf("insert findings: %w", err)
	}
	rects := make([]*rectification, len(frs))
	for i, f := range frs {
		v := fvs[i]
		deadline := f.Deadline
		if deadline.IsZero() {
			deadline = f.Finding.Deadline
		}
		status := f.Status
		if status == "" {
			status = StatusOpen
		}
		updated := v.CreatedAt
		if f.ClosedAt != nil {
			updated = *f.ClosedAt
		}
		for _, e := range f.Events {
			if e.CreatedAt.After(updated) {
				updated = e.CreatedAt
			}
		}
		rects[i] = &rectification{FindingID: f.Finding.ID, BusinessID: v.BusinessID, CadreID: v.CadreID, Deadline: deadline,
			Status: status, ClosedAt: f.ClosedAt, ClosedBy: f.ClosedBy, CreatedAt: v.CreatedAt, UpdatedAt: updated}
	}
	if err := tx.CreateInBatches(rects, batchRows(tx, 10)).Error; err != nil {
		return fmt.Errorf("insert rectifications: %w", err)
	}
	var evs []*RectificationEvent
	for i, f := range frs {
		for j := range f.Events {
			e := &f.Events[j]
			e.RectificationID = rects[i].ID
			evs = append(evs, e)
		}
	}
	if len(evs) > 0 {
		if err := tx.CreateInBatches(evs, batchRows(tx, 7)).Error; err != nil {
			return fmt.Errorf("insert rectification events: %w", err)
		}
	}
	return nil
}

// batchRows is how many rows of a table with cols columns go in one bulk
// INSERT. MySQL takes up to 65,535 placeholders, and bigger statements
// save round trips. The SQLite driver matches each placeholder to its
// argument by a linear search, so a statement's cost grows with the square
// of its placeholders: a few hundred per statement is fastest there.
func batchRows(tx *gorm.DB, cols int) int {
	if tx.Dialector.Name() == "sqlite" {
		return max(1, 400/cols)
	}
	return min(2000, 60000/cols)
}

// insertItems writes checklist results, batch rows per statement. They
// are most of the rows a history holds (seven or more per visit), so this
// skips GORM's per-row reflection.
func insertItems(tx *gorm.DB, items []visitItem, batch int) error {
	for len(items) > 0 {
		chunk := items[:min(batch, len(items))]
		items = items[len(chunk):]
		var sb strings.Builder
		sb.Grow(64 + 8*len(chunk))
		sb.WriteString("INSERT INTO visit_items (visit_id, item_id, result) VALUES ")
		args := make([]any, 0, 3*len(chunk))
		for i, it := range chunk {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString("(?,?,?)")
			args = append(args, it.VisitID, it.ItemID, string(it.Result))
		}
		if err := tx.Exec(sb.String(), args...).Error; err != nil {
			return err
		}
	}
	return nil
}
