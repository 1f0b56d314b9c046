package media_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/media/mediatest"
)

func TestLocal(t *testing.T) {
	st, err := media.NewLocal(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	mediatest.Contract(t, st)

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
		if len(files) < 5 {
			t.Fatalf("files = %v", files)
		}
		for _, f := range files {
			parts := strings.Split(f, string(os.PathSeparator))
			if len(parts) != 3 || len(parts[0]) != 2 || len(parts[1]) != 2 || strings.HasPrefix(parts[2], ".") {
				t.Errorf("file %s not an object under ab/cd/", f)
			}
		}
	})
}

func TestLocalWalk(t *testing.T) {
	ctx := context.Background()
	st, err := media.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"b.jpg", "a.png", "c"} {
		if _, err := st.Put(ctx, k, []byte(k), ""); err != nil {
			t.Fatal(err)
		}
	}
	// What is not an object is passed over: an interrupted Put's temporary
	// file, a file at the top, a file in the wrong fan-out directory.
	os.WriteFile(filepath.Join(st.Dir(), "stray.jpg"), []byte("x"), 0o600)
	os.MkdirAll(filepath.Join(st.Dir(), "zz", "zz"), 0o750)
	os.WriteFile(filepath.Join(st.Dir(), "zz", "zz", "d.jpg"), []byte("x"), 0o600)
	var keys []string
	err = st.Walk(ctx, func(key string) error {
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"a.png", "b.jpg", "c"}) {
		t.Fatalf("keys = %v", keys)
	}
}

func TestExtension(t *testing.T) {
	for ct, want := range map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "application/octet-stream": ".bin", "": ".bin"} {
		if got := media.Extension(ct); got != want {
			t.Errorf("Extension(%q) = %q", ct, got)
		}
	}
}
