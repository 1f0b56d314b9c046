package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/media/mediatest"
)

func TestMediaMigrate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	local, err := media.NewLocal(filepath.Join(dir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 3)
	for i := range keys {
		data := []byte(fmt.Sprintf("\xff\xd8\xff\xe0 photo %d", i))
		keys[i] = mediatest.Digest(data) + ".jpg"
		if _, err := local.Put(ctx, keys[i], data, "image/jpeg"); err != nil {
			t.Fatal(err)
		}
	}
	fake := mediatest.StartS3(t)
	vars := tempVars(dir)
	for k, v := range map[string]string{
		"SHIANBAO_MEDIA_S3_ENDPOINT":   fake.Options.Endpoint,
		"SHIANBAO_MEDIA_S3_BUCKET":     fake.Options.Bucket,
		"SHIANBAO_MEDIA_S3_REGION":     fake.Options.Region,
		"SHIANBAO_MEDIA_S3_PATH_STYLE": "true",
		"SHIANBAO_MEDIA_S3_ACCESS_KEY": fake.Options.AccessKey,
		"SHIANBAO_MEDIA_S3_SECRET_KEY": fake.Options.SecretKey,
	} {
		vars[k] = v
	}

	t.Run("OK", func(t *testing.T) {
		code, out, stderr := cli(t, vars, "media", "migrate", "--to", "s3")
		if code != 0 || !strings.Contains(out, "共 3 个文件，复制并核验 3 个，目标中已有且核验一致而跳过 0 个，失败 0 个") {
			t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
		}
		code, out, stderr = cli(t, vars, "media", "migrate", "--to", "s3", "--workers", "1")
		if code != 0 || !strings.Contains(out, "复制并核验 0 个，目标中已有且核验一致而跳过 3 个") {
			t.Fatalf("second run: exit %d\n%s\n%s", code, out, stderr)
		}
		bucket, err := media.NewS3(fake.Options)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			rc, _, err := bucket.Open(ctx, k)
			if err != nil {
				t.Fatalf("%s not in the bucket: %v", k, err)
			}
			rc.Close()
		}
	})
	t.Run("ErrCorruptFile", func(t *testing.T) {
		filepath.WalkDir(local.Dir(), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Name() == keys[1] {
				os.WriteFile(p, []byte("bit rot"), 0o600)
			}
			return nil
		})
		code, out, stderr := cli(t, vars, "media", "migrate", "--to", "s3")
		if code != 1 || !strings.Contains(out, "失败："+keys[1]+"：本地文件内容与文件名中的 SHA-256 不符") ||
			!strings.Contains(out, "失败 1 个") || !strings.Contains(stderr, "有 1 个照片文件没有迁移成功") {
			t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
		}
	})
	t.Run("ErrSettingsListed", func(t *testing.T) {
		code, _, stderr := cli(t, tempVars(dir), "media", "migrate", "--to", "s3")
		if code != 1 || !strings.Contains(stderr, "SHIANBAO_MEDIA_S3_ENDPOINT") || !strings.Contains(stderr, "SHIANBAO_MEDIA_S3_SECRET_KEY") {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
	})
	t.Run("Usage", func(t *testing.T) {
		for _, args := range [][]string{{"media"}, {"media", "copy"}, {"media", "migrate"}, {"media", "migrate", "--to", "gcs"},
			{"media", "migrate", "--to", "s3", "extra"}, {"media", "migrate", "--to", "s3", "--workers", "0"}} {
			if code, _, stderr := cli(t, vars, args...); code != 2 || !strings.Contains(stderr, "Usage: shianbao") {
				t.Errorf("%v: exit %d\n%s", args, code, stderr)
			}
		}
	})
}
