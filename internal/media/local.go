package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"

	"github.com/shianbao/shianbao/internal/errs"
)

// Local stores objects as files under a directory, fanned out as
// dir/ab/cd/<key> (ab and cd from the SHA-256 of the key) so no directory
// grows past a few thousand entries.
type Local struct {
	dir string
}

var _ Store = (*Local)(nil)

// NewLocal returns a store rooted at dir, creating it when needed.
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, errs.E(errs.Invalid, "media directory is empty")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("media store %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("media store %s: %w", dir, err)
	}
	return &Local{dir: abs}, nil
}

// Dir is the store's root directory.
func (l *Local) Dir() string { return l.dir }

func (l *Local) path(key string) string {
	h := sha256.Sum256([]byte(key))
	x := hex.EncodeToString(h[:2])
	return filepath.Join(l.dir, x[:2], x[2:4], key)
}

// Put writes data under key: to a temporary file in the target directory,
// synced, then renamed over the final name.
func (l *Local) Put(ctx context.Context, key string, data []byte, contentType string) (Object, error) {
	if err := CheckKey(key); err != nil {
		return Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return Object{}, errs.Wrap(errs.Unavailable, err, "")
	}
	final := l.path(key)
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return Object{}, fmt.Errorf("store %s: %w", key, err)
	}
	f, err := os.CreateTemp(filepath.Dir(final), ".tmp-*")
	if err != nil {
		return Object{}, fmt.Errorf("store %s: %w", key, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, final)
	}
	if werr != nil {
		os.Remove(tmp)
		return Object{}, fmt.Errorf("store %s: %w", key, werr)
	}
	sum := sha256.Sum256(data)
	if contentType == "" {
		contentType = http.DetectContentType(data)
	}
	return Object{Key: key, SHA256: hex.EncodeToString(sum[:]), ContentType: contentType, Size: int64(len(data))}, nil
}

// Open opens the object stored under key. Its content type comes from the
// key's extension, or from the first bytes when the extension says
// nothing; SHA256 is left empty (the caller's records hold the digest).
func (l *Local) Open(ctx context.Context, key string) (io.ReadCloser, Object, error) {
	if err := CheckKey(key); err != nil {
		return nil, Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Object{}, errs.Wrap(errs.Unavailable, err, "")
	}
	f, err := os.Open(l.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Object{}, errs.Wrap(errs.NotFound, err, "照片不存在")
	}
	if err != nil {
		return nil, Object{}, fmt.Errorf("open %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Object{}, fmt.Errorf("open %s: %w", key, err)
	}
	obj := Object{Key: key, Size: st.Size(), ContentType: mime.TypeByExtension(filepath.Ext(key))}
	if obj.ContentType == "" {
		head := make([]byte, 512)
		n, _ := io.ReadFull(f, head)
		obj.ContentType = http.DetectContentType(head[:n])
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, Object{}, fmt.Errorf("open %s: %w", key, err)
		}
	}
	return f, obj, nil
}

// Walk calls fn with the key of every object in the store, in no set
// order, and stops at the first error fn returns. Files that are not
// objects (the temporary file of an interrupted Put, anything put there by
// hand outside the fan-out) are passed over.
func (l *Local) Walk(ctx context.Context, fn func(key string) error) error {
	return filepath.WalkDir(l.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk %s: %w", l.dir, err)
		}
		if err := ctx.Err(); err != nil {
			return errs.Wrap(errs.Unavailable, err, "")
		}
		if !d.Type().IsRegular() || CheckKey(d.Name()) != nil || l.path(d.Name()) != p {
			return nil
		}
		return fn(d.Name())
	})
}
