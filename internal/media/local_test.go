package media_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/media"
)

func TestLocal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := media.NewLocal(filepath.Join(dir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("\xff\xd8\xff\xe0 not really a jpeg")
	sum := sha256.Sum256(data)

	t.Run("PutOpen", func(t *testing.T) {
		obj, err := st.Put(ctx, "abc.jpg", data, "image/jpeg")
		if err != nil {
			t.Fatal(err)
		}
		if obj.SHA256 != hex.EncodeToString(sum[:]) || obj.Size != int64(len(data)) || obj.ContentType != "image/jpeg" || obj.Key != "abc.jpg" {
			t.Fatalf("put = %+v", obj)
		}
		rc, got, err := st.Open(ctx, "abc.jpg")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		if string(b) != string(data) || got.Size != int64(len(data)) || got.ContentType != "image/jpeg" {
			t.Fatalf("open = %+v %q", got, b)
		}
	})
	t.Run("Replace", func(t *testing.T) {
		if _, err := st.Put(ctx, "abc.jpg", []byte("second"), "image/jpeg"); err != nil {
			t.Fatal(err)
		}
		rc, _, err := st.Open(ctx, "abc.jpg")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != "second" {
			t.Fatalf("got %q", b)
		}
	})
	t.Run("Sniff", func(t *testing.T) {
		png := []byte("\x89PNG\r\n\x1a\n0000")
		if _, err := st.Put(ctx, "noext", png, ""); err != nil {
			t.Fatal(err)
		}
		rc, obj, err := st.Open(ctx, "noext")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if obj.ContentType != "image/png" || string(b) != string(png) {
			t.Fatalf("open = %+v", obj)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, _, err := st.Open(ctx, "missing.jpg"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrBadKey", func(t *testing.T) {
		for _, k := range []string{"", "../x", "a/b", ".hidden", "..", `a\b`, strings.Repeat("a", 201), "ü.jpg"} {
			if _, err := st.Put(ctx, k, data, ""); !errs.Is(err, errs.Invalid) {
				t.Errorf("Put(%q) err = %v", k, err)
			}
			if _, _, err := st.Open(ctx, k); !errs.Is(err, errs.Invalid) {
				t.Errorf("Open(%q) err = %v", k, err)
			}
		}
	})
	t.Run("Layout", func(t *testing.T) {
		// Only the fanned-out files exist: no temporary files left behind,
		// nothing at the top level.
		var files []string
		filepath.WalkDir(st.Dir(), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(st.Dir(), p)
				files = append(files, rel)
			}
			return nil
		})
		if len(files) != 2 {
			t.Fatalf("files = %v", files)
		}
		for _, f := range files {
			parts := strings.Split(f, string(os.PathSeparator))
			if len(parts) != 3 || len(parts[0]) != 2 || len(parts[1]) != 2 {
				t.Errorf("file %s not under ab/cd/", f)
			}
		}
	})
}

func TestExtension(t *testing.T) {
	for ct, want := range map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "application/octet-stream": ".bin", "": ".bin"} {
		if got := media.Extension(ct); got != want {
			t.Errorf("Extension(%q) = %q", ct, got)
		}
	}
}
