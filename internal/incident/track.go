package incident

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// InScope returns an incident whose region lies in the subtree scopePath
// ("" for everything). NotFound when it is absent or outside the subtree:
// the same answer, so a manager learns nothing of another town's incidents.
func (s *Service) InScope(ctx context.Context, id int64, scopePath string) (*Incident, error) {
	var inc Incident
	q := s.d.DB.Gorm(ctx).Where("id = ?", id)
	if scopePath != "" {
		q = q.Where("region_id IN (?)", s.d.DB.Gorm(ctx).Model(&registry.Region{}).Select("id").
			Where("path LIKE ?", escapeLike(scopePath)+"%"))
	}
	if err := q.Take(&inc).Error; err != nil {
		return nil, db.NotFoundAs(err, msgNotFound)
	}
	return &inc, nil
}

// Events lists an incident's steps, oldest first.
func (s *Service) Events(ctx context.Context, id int64) ([]Event, error) {
	var evs []Event
	if err := s.d.DB.Gorm(ctx).Where("incident_id = ?", id).Order("id").Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("incident events: %w", db.Translate(err))
	}
	return evs, nil
}

// Photos lists an incident's photos in order of receipt.
func (s *Service) Photos(ctx context.Context, id int64) ([]Photo, error) {
	var ps []Photo
	if err := s.d.DB.Gorm(ctx).Where("incident_id = ?", id).Order("id").Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("incident photos: %w", db.Translate(err))
	}
	return ps, nil
}

// Step is what an office does with an incident: move it to its next state
// (To = the state after the current one) or add a note and photos without
// a change (To = the current state).
type Step struct {
	To     State
	Note   string
	Photos []supervision.PhotoInput
	// Actor is who acts ("user:hudai", "manager:3") and ActorName how
	// pages and the reporter's message name them.
	Actor     registry.Actor
	ActorName string
	// ScopePath is the actor's region subtree: an incident outside it is
	// NotFound.
	ScopePath string
}

// Advance applies a step to an incident in the actor's scope, audited in
// the same transaction, and tells a bound reporter of a change of state.
// NotFound outside the scope; Invalid for a step that is not the next one
// or a note that is missing (a close needs one: the outcome); Conflict
// when the incident moved meanwhile or is closed.
func (s *Service) Advance(ctx context.Context, id int64, st Step) (*Incident, error) {
	inc, err := s.InScope(ctx, id, st.ScopePath)
	if err != nil {
		return nil, err
	}
	st.Note = strings.TrimSpace(st.Note)
	if err := st.check(inc); err != nil {
		return nil, err
	}
	now := s.now()
	from := inc.State
	ev := Event{IncidentID: inc.ID, FromState: string(from), ToState: string(st.To), Actor: string(st.Actor),
		ActorName: cut(st.ActorName, 64), Note: st.Note, CreatedAt: now}
	err = s.d.DB.InTx(ctx, func(tx *gorm.DB) error {
		if st.To != from {
			set := map[string]any{"state": string(st.To), "state_at": now, "updated_at": now}
			if st.To == Accepted {
				// Accepting is the office's word that the report is real.
				set["verified"] = true
			}
			if st.To == Closed {
				set["due_at"], set["closed_at"] = nil, now
			} else {
				set["due_at"] = now.Add(s.d.Settings.Rule(inc.Kind).Deadline(st.To))
			}
			res := tx.Model(&Incident{}).Where("id = ? AND state = ?", inc.ID, string(from)).Updates(set)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return errs.E(errs.Conflict, msgMovedMeanwhile)
			}
		} else if err := tx.Model(&Incident{}).Where("id = ?", inc.ID).Update("updated_at", now).Error; err != nil {
			return err
		}
		if err := tx.Create(&ev).Error; err != nil {
			return err
		}
		if err := addPhotosTx(tx, inc.ID, ev.ID, st.Photos, now); err != nil {
			return err
		}
		action, detail := "incident.note", fmt.Sprintf("%s：添加记录，%d张照片", inc.Kind.Label(), len(st.Photos))
		if st.To != from {
			action = "incident." + string(st.To)
			detail = fmt.Sprintf("%s：%s → %s，%d张照片", inc.Kind.Label(), from.Label(), st.To.Label(), len(st.Photos))
		}
		if err := s.auditTx(tx, inc, string(st.Actor), action, detail); err != nil {
			return err
		}
		if st.To == from {
			return nil
		}
		if m := s.reporterMessage(inc, ev); m != nil {
			_, err := s.d.Outbox.EnqueueTx(tx, *m)
			return err
		}
		return nil
	})
	if err != nil {
		if k := errs.KindOf(err); k == errs.Conflict || k == errs.Invalid {
			return nil, err
		}
		return nil, fmt.Errorf("advance incident %d: %w", id, db.Translate(err))
	}
	return s.InScope(ctx, id, st.ScopePath)
}

func (st Step) check(inc *Incident) error {
	switch {
	case inc.State == Closed:
		return errs.E(errs.Conflict, msgClosedAlready)
	case st.Actor == "":
		return invalid("actor", msgNoActor)
	case !st.To.Valid() || (st.To != inc.State && st.To != inc.State.Next()):
		return invalid("to", fmt.Sprintf(msgNotNext, inc.State.Label(), inc.State.Next().Label()))
	case utf8.RuneCountInString(st.Note) > maxNote:
		return invalid("note", fmt.Sprintf(msgNoteTooLong, maxNote))
	case st.To == inc.State && st.Note == "" && len(st.Photos) == 0:
		return invalid("note", msgNoteEmpty)
	case st.To == Closed && st.Note == "":
		return invalid("note", msgCloseNeedsNote)
	}
	return checkPhotos(st.Photos)
}

// escapeLike escapes LIKE's wildcards in a region path.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}
