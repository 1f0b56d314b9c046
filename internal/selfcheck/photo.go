package selfcheck

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Photos sent with a record are fetched from WeChat after it is stored,
// exactly as the supervision photos are (supervision.FetchPhotos): a
// background worker claims due rows by a conditional update with a lease,
// downloads them into the media store (content-addressed) and records
// where; failures back off, and after the last attempt the photo is
// marked failed. They live in a table of their own because they belong to
// a record revision, not to a visit.

// Photo statuses.
const (
	PhotoPending = "pending"
	PhotoStored  = "stored"
	PhotoFailed  = "failed"
)

const (
	photoLease       = 2 * time.Minute
	photoBackoff     = 30 * time.Second
	photoMaxBackoff  = time.Hour
	photoMaxAttempts = 8
)

// Photo is a picture sent with a record revision.
type Photo struct {
	ID            int64
	RevisionID    int64
	BusinessID    int64
	MediaID       string
	PicURL        string
	ReceivedAt    time.Time
	Status        string
	SHA256        string `gorm:"column:sha256"`
	Size          int64
	Path          string
	ContentType   string
	Attempts      int
	NextAttemptAt time.Time
	LeaseUntil    *time.Time
	LeaseToken    string
	LastError     string
	CreatedAt     time.Time
}

// TableName names the photos' table.
func (Photo) TableName() string { return "selfcheck_photos" }

func (s *Service) addPhotosTx(tx *gorm.DB, revisionID, businessID int64, in []supervision.PhotoInput, now time.Time) error {
	if len(in) == 0 {
		return nil
	}
	rows := make([]Photo, len(in))
	for i, p := range in {
		at := p.ReceivedAt
		if at.IsZero() {
			at = now
		}
		rows[i] = Photo{RevisionID: revisionID, BusinessID: businessID, MediaID: strings.TrimSpace(p.MediaID),
			PicURL: strings.TrimSpace(p.PicURL), ReceivedAt: at.UTC(), Status: PhotoPending, NextAttemptAt: now, CreatedAt: now}
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
	if limit <= 0 {
		limit = 20
	}
	claimed, token, err := s.claimPhotos(ctx, limit)
	if err != nil || len(claimed) == 0 {
		return 0, 0, err
	}
	rec := s.d.DB.Gorm(context.WithoutCancel(ctx))
	for _, p := range claimed {
		if ctx.Err() != nil {
			break
		}
		obj, ferr := fetchOne(ctx, dl, store, p.MediaID)
		if ferr != nil && ctx.Err() != nil {
			break
		}
		q := rec.Model(&Photo{}).Where("id = ? AND lease_token = ?", p.ID, token)
		if ferr == nil {
			err = q.Updates(map[string]any{
				"status": PhotoStored, "sha256": obj.SHA256, "size": obj.Size, "path": obj.Key, "content_type": obj.ContentType,
				"attempts": p.Attempts + 1, "lease_until": nil, "lease_token": "", "last_error": "",
			}).Error
			stored++
		} else {
			attempts := p.Attempts + 1
			status := PhotoPending
			if attempts >= photoMaxAttempts {
				status = PhotoFailed
			}
			err = q.Updates(map[string]any{
				"status": status, "attempts": attempts, "next_attempt_at": s.now().Add(backoff(attempts)),
				"lease_until": nil, "lease_token": "", "last_error": redact(ferr.Error()),
			}).Error
			failed++
		}
		if err != nil {
			return stored, failed, fmt.Errorf("selfcheck photos: record photo %d: %w", p.ID, err)
		}
	}
	if stored+failed < len(claimed) {
		if err := rec.Model(&Photo{}).Where("lease_token = ?", token).
			Updates(map[string]any{"lease_until": nil, "lease_token": ""}).Error; err != nil {
			return stored, failed, fmt.Errorf("selfcheck photos: release: %w", err)
		}
	}
	return stored, failed, nil
}

func (s *Service) claimPhotos(ctx context.Context, limit int) ([]Photo, string, error) {
	now := s.now()
	g := s.d.DB.Gorm(ctx)
	var ids []int64
	if err := g.Model(&Photo{}).Where("status = ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)", PhotoPending, now, now).
		Order("next_attempt_at, id").Limit(limit).Pluck("id", &ids).Error; err != nil {
		return nil, "", fmt.Errorf("selfcheck photos: find due: %w", err)
	}
	if len(ids) == 0 {
		return nil, "", nil
	}
	token := rand.Text()[:24]
	res := g.Model(&Photo{}).Where("id IN ? AND status = ? AND (lease_until IS NULL OR lease_until < ?)", ids, PhotoPending, now).
		Updates(map[string]any{"lease_until": now.Add(photoLease), "lease_token": token})
	if res.Error != nil {
		return nil, "", fmt.Errorf("selfcheck photos: claim: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, "", nil
	}
	var ps []Photo
	if err := g.Where("lease_token = ?", token).Order("id").Find(&ps).Error; err != nil {
		return nil, "", fmt.Errorf("selfcheck photos: read claimed: %w", err)
	}
	return ps, token, nil
}

func fetchOne(ctx context.Context, dl supervision.Downloader, store media.Store, mediaID string) (media.Object, error) {
	data, ct, err := dl.DownloadMedia(ctx, mediaID)
	if err != nil {
		return media.Object{}, err
	}
	if len(data) == 0 {
		return media.Object{}, errs.E(errs.Invalid, "empty media")
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	sum := sha256.Sum256(data)
	return store.Put(ctx, hex.EncodeToString(sum[:])+media.Extension(ct), data, ct)
}

func backoff(n int) time.Duration {
	d := photoBackoff
	for i := 1; i < n && d < photoMaxBackoff; i++ {
		d *= 2
	}
	return min(d, photoMaxBackoff)
}

var secretParam = regexp.MustCompile(`(?i)(access_token|secret|token|key)=[^&\s"]*`)

// redact shortens an error for storage and strips the credentials URLs in
// HTTP errors carry.
func redact(s string) string {
	s = secretParam.ReplaceAllString(s, "$1=***")
	if len(s) > 250 {
		s = s[:250]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}
