package supervision

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
	"github.com/shianbao/shianbao/internal/media"
)

// Photo statuses: pending until fetched from WeChat, then stored, or
// failed after the last attempt.
const (
	PhotoPending = "pending"
	PhotoStored  = "stored"
	PhotoFailed  = "failed"
)

// Photo fetching: a claim holds a row for photoLease; failures back off
// 30 s, 1 min, 2 min … up to an hour; after photoMaxAttempts the photo is
// marked failed (WeChat keeps temporary media three days).
const (
	photoLease       = 2 * time.Minute
	photoBackoff     = 30 * time.Second
	photoMaxBackoff  = time.Hour
	photoMaxAttempts = 8
)

// Photo is a picture sent as evidence: for a visit, a finding (VisitID
// set too) or a rectification check. It is stored once fetched.
type Photo struct {
	ID                   int64
	VisitID              *int64
	FindingID            *int64
	RectificationEventID *int64
	PhotoFetch
}

// PhotoFetch is a photo's life on the fetch queue (PhotoQueue): WeChat's
// media id, the fetch's state and lease, and where the copy is stored.
// Every table of photos the queue serves — visits', self-check records',
// incidents' — embeds it, so its columns are the same everywhere.
type PhotoFetch struct {
	MediaID    string
	PicURL     string
	ReceivedAt time.Time
	Status     string
	SHA256     string `gorm:"column:sha256"`
	Size       int64
	// Path is the media.Store key of the stored copy.
	Path          string
	ContentType   string
	Attempts      int
	NextAttemptAt time.Time
	LeaseUntil    *time.Time
	LeaseToken    string
	LastError     string
	CreatedAt     time.Time
}

// PhotoInput is a picture as received in chat: WeChat's media id (to
// fetch it) and picture URL, and when it arrived.
type PhotoInput struct {
	MediaID    string
	PicURL     string
	ReceivedAt time.Time
}

func (in PhotoInput) check() string {
	switch {
	case strings.TrimSpace(in.MediaID) == "":
		return msgPhotoNoMedia
	case len(in.MediaID) > 128 || len(in.PicURL) > 1024:
		return msgPhotoTooLong
	}
	return ""
}

// Received is the picture as a pending photo row keeps it (here and in
// selfcheck): ids trimmed, received now unless it says when, in UTC.
func (in PhotoInput) Received(now time.Time) PhotoInput {
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = now
	}
	return PhotoInput{MediaID: strings.TrimSpace(in.MediaID), PicURL: strings.TrimSpace(in.PicURL), ReceivedAt: in.ReceivedAt.UTC()}
}

// newPhoto is a pending photo row for a received picture.
func newPhoto(in PhotoInput, now time.Time) Photo { return Photo{PhotoFetch: in.Pending(now)} }

// Pending is the queue entry of a picture received in chat at now: due
// for its first fetch at once.
func (in PhotoInput) Pending(now time.Time) PhotoFetch {
	in = in.Received(now)
	return PhotoFetch{MediaID: in.MediaID, PicURL: in.PicURL, ReceivedAt: in.ReceivedAt, Status: PhotoPending, NextAttemptAt: now, CreatedAt: now}
}

// Downloader fetches a temporary media file from WeChat: its bytes and
// content type.
type Downloader interface {
	DownloadMedia(ctx context.Context, mediaID string) ([]byte, string, error)
}

// FetchPhotos fetches up to limit pending photos that are due, stores them
// and records where, with their SHA-256. It is run by a background worker
// on every instance: rows are claimed by a conditional update with a lease
// (no SKIP LOCKED needed), so two fetchers never download the same photo
// while the lease holds, and a crashed fetcher's rows come free when its
// lease expires. A failed download is retried with backoff and, after the
// last attempt, marked failed with a short, redacted reason; reports never
// wait for any of this. err is only for the database failing.
func (s *Service) FetchPhotos(ctx context.Context, dl Downloader, store media.Store, limit int) (stored, failed int, err error) {
	return PhotoQueue{DB: s.db, Table: "photos", Now: s.now, Failed: s.photoFailedTx}.Fetch(ctx, dl, store, limit)
}

// PhotoQueue fetches the pending pictures of one table of photo rows —
// the visits' photos here, the businesses' own record photos in
// selfcheck — with the columns Photo has for it: media_id, status,
// attempts, next_attempt_at, lease_until, lease_token, last_error, sha256,
// size, path and content_type.
type PhotoQueue struct {
	DB    *db.DB
	Table string
	// Now is the service's clock.
	Now func() time.Time
	// Failed, when set, runs in the transaction that marks a photo failed
	// after its last attempt, to tell whoever sent it.
	Failed func(tx *gorm.DB, id int64) error
}

// queued is what fetching needs of a claimed row.
type queued struct {
	ID       int64
	MediaID  string
	Attempts int
}

// Fetch is FetchPhotos over the queue's table.
func (q PhotoQueue) Fetch(ctx context.Context, dl Downloader, store media.Store, limit int) (stored, failed int, err error) {
	if limit <= 0 {
		limit = 20
	}
	claimed, token, err := q.claim(ctx, limit)
	if err != nil || len(claimed) == 0 {
		return 0, 0, err
	}
	// Results are recorded even when ctx ends meanwhile: files are stored.
	rec := q.DB.Gorm(context.WithoutCancel(ctx))
	for _, p := range claimed {
		if ctx.Err() != nil {
			break
		}
		obj, ferr := fetchOne(ctx, dl, store, p.MediaID)
		if ferr != nil && ctx.Err() != nil {
			// Shutting down is not the photo's fault.
			break
		}
		row := rec.Table(q.Table).Where("id = ? AND lease_token = ?", p.ID, token)
		if ferr == nil {
			err = row.Updates(map[string]any{
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
			updates := map[string]any{
				"status": status, "attempts": attempts, "next_attempt_at": q.Now().UTC().Add(backoff(attempts)),
				"lease_until": nil, "lease_token": "", "last_error": redact(ferr.Error()),
			}
			if status == PhotoFailed && q.Failed != nil {
				err = q.DB.InTx(context.WithoutCancel(ctx), func(tx *gorm.DB) error {
					res := tx.Table(q.Table).Where("id = ? AND lease_token = ?", p.ID, token).Updates(updates)
					if res.Error != nil || res.RowsAffected == 0 {
						return res.Error
					}
					return q.Failed(tx, p.ID)
				})
			} else {
				err = row.Updates(updates).Error
			}
			failed++
		}
		if err != nil {
			return stored, failed, fmt.Errorf("fetch photos (%s): record photo %d: %w", q.Table, p.ID, err)
		}
	}
	if stored+failed < len(claimed) {
		// Stopped early: free the rest now rather than when the lease ends.
		if err := rec.Table(q.Table).Where("lease_token = ?", token).
			Updates(map[string]any{"lease_until": nil, "lease_token": ""}).Error; err != nil {
			return stored, failed, fmt.Errorf("fetch photos (%s): release: %w", q.Table, err)
		}
	}
	return stored, failed, nil
}

// claim leases due pending photos to a fresh token and returns them.
func (q PhotoQueue) claim(ctx context.Context, limit int) ([]queued, string, error) {
	now := q.Now().UTC()
	g := q.DB.Gorm(ctx)
	var ids []int64
	if err := g.Table(q.Table).Where("status = ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)", PhotoPending, now, now).
		Order("next_attempt_at, id").Limit(limit).Pluck("id", &ids).Error; err != nil {
		return nil, "", fmt.Errorf("fetch photos (%s): find due: %w", q.Table, err)
	}
	if len(ids) == 0 {
		return nil, "", nil
	}
	token := newToken()
	res := g.Table(q.Table).Where("id IN ? AND status = ? AND (lease_until IS NULL OR lease_until < ?)", ids, PhotoPending, now).
		Updates(map[string]any{"lease_until": now.Add(photoLease), "lease_token": token})
	if res.Error != nil {
		return nil, "", fmt.Errorf("fetch photos (%s): claim: %w", q.Table, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, "", nil
	}
	var ps []queued
	if err := g.Table(q.Table).Select("id, media_id, attempts").Where("lease_token = ?", token).Order("id").Scan(&ps).Error; err != nil {
		return nil, "", fmt.Errorf("fetch photos (%s): read claimed: %w", q.Table, err)
	}
	return ps, token, nil
}

func fetchOne(ctx context.Context, dl Downloader, store media.Store, mediaID string) (media.Object, error) {
	data, ct, err := dl.DownloadMedia(ctx, mediaID)
	if err != nil {
		return media.Object{}, err
	}
	if len(data) == 0 {
		return media.Object{}, fmt.Errorf("empty media")
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	sum := sha256.Sum256(data)
	// Content-addressed: a picture sent twice, or carried into a revision,
	// is stored once.
	key := hex.EncodeToString(sum[:]) + media.Extension(ct)
	return store.Put(ctx, key, data, ct)
}

// backoff is the wait after the n-th failed attempt: 30 s·2^(n-1), at most an hour.
func backoff(n int) time.Duration {
	d := photoBackoff
	for i := 1; i < n && d < photoMaxBackoff; i++ {
		d *= 2
	}
	return min(d, photoMaxBackoff)
}

var secretParam = regexp.MustCompile(`(?i)(access_token|secret|token|key)=[^&\s"]*`)

// redact shortens an error for storage and strips credentials that URLs
// in HTTP errors carry.
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

func newToken() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
