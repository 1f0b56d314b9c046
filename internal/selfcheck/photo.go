package selfcheck

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Photos sent with a record are fetched from WeChat after it is stored, by
// the same queue as the supervision photos (supervision.PhotoQueue): a
// background worker claims due rows by a conditional update with a lease,
// downloads them into the media store (content-addressed) and records
// where; failures back off, and after the last attempt the photo is
// marked failed. They live in a table of their own because they belong to
// a record revision, not to a visit.

// Photo statuses, the queue's.
const (
	PhotoPending = supervision.PhotoPending
	PhotoStored  = supervision.PhotoStored
	PhotoFailed  = supervision.PhotoFailed
)

// Photo is a picture sent with a record revision.
type Photo struct {
	ID         int64
	RevisionID int64
	BusinessID int64
	supervision.PhotoFetch
}

// TableName names the photos' table.
func (Photo) TableName() string { return "selfcheck_photos" }

func (s *Service) addPhotosTx(tx *gorm.DB, revisionID, businessID int64, in []supervision.PhotoInput, now time.Time) error {
	if len(in) == 0 {
		return nil
	}
	rows := make([]Photo, len(in))
	for i, p := range in {
		rows[i] = Photo{RevisionID: revisionID, BusinessID: businessID, PhotoFetch: p.Pending(now)}
	}
	return tx.Create(&rows).Error
}

// PhotosOf lists the photos of revisions, in order of receipt.
func (s *Service) PhotosOf(ctx context.Context, revisionIDs []int64) ([]Photo, error) {
	if len(revisionIDs) == 0 {
		return nil, nil
	}
	var ps []Photo
	if err := s.d.DB.Gorm(ctx).Where("revision_id IN ?", revisionIDs).Order("id").Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("selfcheck photos: %w", err)
	}
	return ps, nil
}

// StoredPhoto returns a stored photo of a business. NotFound when the
// photo is not the business's or not stored (yet).
func (s *Service) StoredPhoto(ctx context.Context, businessID, photoID int64) (*Photo, error) {
	var p Photo
	err := s.d.DB.Gorm(ctx).Where("id = ? AND business_id = ? AND status = ?", photoID, businessID, PhotoStored).Take(&p).Error
	if err != nil {
		return nil, db.NotFoundAs(err, msgNoPhoto)
	}
	return &p, nil
}

// FetchPhotos fetches up to limit due pending photos and stores them; it
// is safe on every instance at once (see supervision.FetchPhotos, whose
// rules it follows). err is only for the database failing.
func (s *Service) FetchPhotos(ctx context.Context, dl supervision.Downloader, store media.Store, limit int) (stored, failed int, err error) {
	return supervision.PhotoQueue{DB: s.d.DB, Table: Photo{}.TableName(), Now: s.now, Failed: s.photoFailedTx}.Fetch(ctx, dl, store, limit)
}
