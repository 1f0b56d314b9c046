package incident

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Photo is a picture sent with a step of an incident, fetched from WeChat
// after the step is stored by the same queue as the visits' photos.
type Photo struct {
	ID         int64
	IncidentID int64
	EventID    int64
	supervision.PhotoFetch
}

// TableName names the photos' table.
func (Photo) TableName() string { return "incident_photos" }

// Stored reports whether the photo has been fetched.
func (p Photo) Stored() bool { return p.Status == supervision.PhotoStored }

func addPhotosTx(tx *gorm.DB, incidentID, eventID int64, in []supervision.PhotoInput, now time.Time) error {
	if len(in) == 0 {
		return nil
	}
	rows := make([]Photo, len(in))
	for i, p := range in {
		rows[i] = Photo{IncidentID: incidentID, EventID: eventID, PhotoFetch: p.Pending(now)}
	}
	return tx.Create(&rows).Error
}

// checkPhotos refuses a photo without a media id or with over-long fields.
func checkPhotos(in []supervision.PhotoInput) error {
	if len(in) > maxPhotos {
		return invalid("photos", fmt.Sprintf(msgTooManyPhotos, maxPhotos))
	}
	for _, p := range in {
		if p.MediaID == "" || len(p.MediaID) > 128 || len(p.PicURL) > 1024 {
			return invalid("photos", msgBadPhoto)
		}
	}
	return nil
}

// StoredPhoto returns a stored photo of an incident. NotFound when the
// photo is not the incident's or not stored (yet); the caller has checked
// the incident is in the reader's scope.
func (s *Service) StoredPhoto(ctx context.Context, incidentID, photoID int64) (*Photo, error) {
	var p Photo
	err := s.d.DB.Gorm(ctx).Where("id = ? AND incident_id = ? AND status = ?", photoID, incidentID, supervision.PhotoStored).Take(&p).Error
	if err != nil {
		return nil, db.NotFoundAs(err, msgNoPhoto)
	}
	return &p, nil
}

// FetchPhotos fetches up to limit due pending photos and stores them; safe
// on every instance at once (supervision.PhotoQueue's rules). err is only
// for the database failing.
func (s *Service) FetchPhotos(ctx context.Context, dl supervision.Downloader, store media.Store, limit int) (stored, failed int, err error) {
	return supervision.PhotoQueue{DB: s.d.DB, Table: Photo{}.TableName(), Now: s.now}.Fetch(ctx, dl, store, limit)
}
