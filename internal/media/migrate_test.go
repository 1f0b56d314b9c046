package media_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/media/mediatest"
)

// photo returns a photo's bytes and its content-addressed key, as the
// service names stored photos.
func photo(i int) ([]byte, string) {
	data := []byte(fmt.Sprintf("\xff\xd8\xff\xe0 photo %d", i))
	return data, mediatest.Digest(data) + ".jpg"
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	local, err := media.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		data, key := photo(i)
		if _, err := local.Put(ctx, key, data, "image/jpeg"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := local.Put(ctx, "legacy-name.png", []byte("\x89PNG\r\n\x1a\nlegacy"), ""); err != nil {
		t.Fatal(err)
	}
	remote := newS3(t, mediatest.StartS3(t).Options)

	t.Run("OK", func(t *testing.T) {
		var last, calls int
		m, err := media.Migrate(ctx, local, remote, media.MigrateOptions{Workers: 3, Progress: func(done, total int) {
			calls++
			if total != 21 || done <= last {
				t.Errorf("progress %d/%d after %d", done, total, last)
			}
			last = done
		}})
		if err != nil {
			t.Fatal(err)
		}
		if m.Total != 21 || m.Copied != 21 || m.Skipped != 0 || len(m.Failed) != 0 || calls != 21 {
			t.Fatalf("migration = %+v after %d progress calls", m, calls)
		}
		for i := range 20 {
			data, key := photo(i)
			rc, obj, err := remote.Open(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(b, data) || obj.ContentType != "image/jpeg" {
				t.Fatalf("%s copied as %+v %q", key, obj, b)
			}
		}
		if _, obj, err := remote.Open(ctx, "legacy-name.png"); err != nil || obj.ContentType != "image/png" {
			t.Fatalf("legacy object: %+v %v", obj, err)
		}
		if want := "照片迁移完成：共 21 个文件，复制并核验 21 个，目标中已有且核验一致而跳过 0 个，失败 0 个。"; m.Summary() != want {
			t.Fatalf("summary %q", m.Summary())
		}
	})
	t.Run("AgainSkipsVerified", func(t *testing.T) {
		m, err := media.Migrate(ctx, local, remote, media.MigrateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if m.Total != 21 || m.Copied != 0 || m.Skipped != 21 || len(m.Failed) != 0 {
			t.Fatalf("second run = %+v", m)
		}
	})
	t.Run("DifferentCopyReplaced", func(t *testing.T) {
		// A copy whose bytes differ (an earlier upload cut short by hand,
		// say) is not trusted by name: it is copied again.
		_, key := photo(3)
		if _, err := remote.Put(ctx, key, []byte("truncated"), "image/jpeg"); err != nil {
			t.Fatal(err)
		}
		m, err := media.Migrate(ctx, local, remote, media.MigrateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if m.Copied != 1 || m.Skipped != 20 || len(m.Failed) != 0 {
			t.Fatalf("run = %+v", m)
		}
	})
	t.Run("ErrCorruptLocal", func(t *testing.T) {
		// A local file whose bytes no longer match its name is reported
		// and not copied over a good copy.
		data, key := photo(7)
		var path string
		filepath.WalkDir(local.Dir(), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Name() == key {
				path = p
			}
			return nil
		})
		if path == "" {
			t.Fatal("photo 7 not on disk")
		}
		if err := os.WriteFile(path, []byte("bit rot"), 0o600); err != nil {
			t.Fatal(err)
		}
		m, err := media.Migrate(ctx, local, remote, media.MigrateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Failed) != 1 || m.Failed[0].Key != key || !strings.Contains(m.Failed[0].Reason, "已损坏") || m.Skipped != 20 {
			t.Fatalf("run = %+v", m)
		}
		rc, _, err := remote.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, data) {
			t.Fatalf("good copy overwritten with %q", b)
		}
		if !strings.Contains(m.Summary(), "失败 1 个") {
			t.Fatalf("summary %q", m.Summary())
		}
	})
	t.Run("ErrReadBack", func(t *testing.T) {
		// A target that stores something other than what it was given is
		// caught by reading the copy back.
		dst, err := media.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		m, err := media.Migrate(ctx, local, garbling{dst}, media.MigrateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if m.Copied != 0 || len(m.Failed) != 21 || !strings.Contains(m.Failed[0].Reason, "读回") {
			t.Fatalf("run = %+v", m.Summary())
		}
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		done, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := media.Migrate(done, local, remote, media.MigrateOptions{}); !errs.Is(err, errs.Unavailable) {
			t.Fatalf("err = %v", err)
		}
	})
}

// garbling stores every object with one byte changed.
type garbling struct{ media.Store }

func (g garbling) Put(ctx context.Context, key string, data []byte, ct string) (media.Object, error) {
	bad := append([]byte{data[0] ^ 1}, data[1:]...)
	return g.Store.Put(ctx, key, bad, ct)
}
