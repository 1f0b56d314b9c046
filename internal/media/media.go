// Package media stores photo evidence (督导照片, rectification proof) once it
// has been fetched from WeChat, whose temporary media expire after three
// days. Store is the small interface the rest of the service sees; nothing
// outside this package knows where bytes live. Local keeps files in a
// directory: the embedded default and a single machine's choice. S3 keeps
// them in a bucket of an S3-compatible service (Aliyun OSS, Tencent COS,
// MinIO, SeaweedFS) through minio-go, so several instances see the same
// photos. Keys are the same for both (the photo's SHA-256 and an
// extension), and Migrate copies a directory into a bucket, proving each
// copy by its digest.
package media

import (
	"context"
	"io"
	"regexp"

	"github.com/shianbao/shianbao/internal/errs"
)

// Object describes a stored object. SHA256 is the hex digest of its bytes.
type Object struct {
	Key         string
	SHA256      string
	ContentType string
	Size        int64
}

// Store keeps objects by key. Put replaces an object with the same key
// atomically (readers see the old bytes or the new, never a mix). Open
// returns NotFound (errs) for a key that was never stored; the caller
// closes the reader. Keys are flat names of letters, digits, '.', '-' and
// '_' (no slashes), at most 200 bytes: Invalid otherwise.
type Store interface {
	Put(ctx context.Context, key string, data []byte, contentType string) (Object, error)
	Open(ctx context.Context, key string) (io.ReadCloser, Object, error)
}

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$`)

// CheckKey returns Invalid unless key is a safe object name: it can never
// climb out of a store's directory or name a hidden file.
func CheckKey(key string) error {
	if !keyPattern.MatchString(key) {
		return errs.E(errs.Invalid, "invalid media key %q", key)
	}
	return nil
}

// Extension is the file extension used for a content type (".jpg" for
// image/jpeg), ".bin" for anything unknown.
func Extension(contentType string) string {
	switch contentType {
	case "image/jpeg", "image/jpg", "image/pjpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	case "image/bmp":
		return ".bmp"
	case "image/heic":
		return ".heic"
	}
	return ".bin"
}
