package supervision

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/registry"
)

// Feedback is what a business reports on its rectifications (整改反馈):
// a note and photos, either pictures sent in chat (fetched later, like a
// visit's) or files already stored (uploaded on an H5 page).
type Feedback struct {
	Note   string
	Photos []PhotoInput
	Stored []media.Object
	// Actor is who reported it, e.g. "contact:12".
	Actor registry.Actor
}

// maxFeedbackNote is the rectification_events.note column's size.
const maxFeedbackNote = 500

// Check says what is wrong with the feedback: too long a note, too many
// photos, a photo without a media id or a stored file without a key.
// Invalid, listing every problem.
func (f Feedback) Check() error {
	var problems []errs.FieldError
	bad := func(field, reason string) { problems = append(problems, errs.FieldError{Field: field, Reason: reason}) }
	if runeLen(strings.TrimSpace(f.Note)) > maxFeedbackNote {
		bad("note", msgNoteTooLong)
	}
	if len(f.Photos)+len(f.Stored) > maxPhotos {
		bad("photos", fmt.Sprintf(msgTooManyPhotos, maxPhotos))
	}
	for _, p := range f.Photos {
		if r := p.check(); r != "" {
			bad("photos", r)
			break
		}
	}
	for _, o := range f.Stored {
		if media.CheckKey(o.Key) != nil {
			bad("photos", msgPhotoNoMedia)
			break
		}
	}
	if f.Actor == "" {
		bad("actor", msgReviseActor)
	}
	return invalid(problems)
}

// FeedbackTx records the feedback as a "feedback" event on each of the
// given rectifications that is still open, with its photos, inside the
// caller's transaction (a letter's receipt and the events commit
// together). It returns the rectifications that got it, in id order; ids
// of closed or unknown rectifications are skipped. A fixed number of
// statements whatever the number of rectifications or photos. Invalid as
// Feedback.Check.
func (s *Service) FeedbackTx(tx *gorm.DB, rectificationIDs []int64, f Feedback) ([]int64, error) {
	f.Note = strings.TrimSpace(f.Note)
	if err := f.Check(); err != nil {
		return nil, err
	}
	if len(rectificationIDs) == 0 {
		return nil, nil
	}
	var open []int64
	if err := tx.Model(&rectification{}).Where("id IN ? AND status = ?", rectificationIDs, StatusOpen).
		Order("id").Pluck("id", &open).Error; err != nil {
		return nil, fmt.Errorf("rectification feedback: %w", err)
	}
	if len(open) == 0 {
		return nil, nil
	}
	now := s.now().UTC()
	evs := make([]RectificationEvent, len(open))
	for i, id := range open {
		evs[i] = RectificationEvent{RectificationID: id, Kind: EventFeedback, Note: f.Note, Actor: f.Actor, CreatedAt: now}
	}
	if err := tx.CreateInBatches(evs, bulkBatch).Error; err != nil {
		return nil, fmt.Errorf("rectification feedback: %w", err)
	}
	if err := tx.Model(&rectification{}).Where("id IN ?", open).Update("updated_at", now).Error; err != nil {
		return nil, fmt.Errorf("rectification feedback: %w", err)
	}
	var photos []Photo
	for i := range evs {
		for _, p := range f.Photos {
			ph := newPhoto(p, now)
			ph.RectificationEventID = &evs[i].ID
			photos = append(photos, ph)
		}
		for _, o := range f.Stored {
			ph := storedPhoto(o, now)
			ph.RectificationEventID = &evs[i].ID
			photos = append(photos, ph)
		}
	}
	if len(photos) > 0 {
		if err := tx.CreateInBatches(photos, bulkBatch).Error; err != nil {
			return nil, fmt.Errorf("rectification feedback: photos: %w", err)
		}
	}
	return open, nil
}

// storedPhoto is the row of a picture that is already in the media store:
// nothing to fetch. Its media id names the upload, as WeChat's would.
func storedPhoto(o media.Object, now time.Time) Photo {
	id := "upload:" + o.Key
	if len(id) > 128 {
		id = id[:128]
	}
	return Photo{PhotoFetch: PhotoFetch{MediaID: id, ReceivedAt: now, Status: PhotoStored, SHA256: o.SHA256, Size: o.Size,
		Path: o.Key, ContentType: o.ContentType, NextAttemptAt: now, CreatedAt: now}}
}
