package app

import (
	"context"
	"fmt"
	"os"

	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/media"
)

// OpenMedia opens the media store cfg.Media names: the local directory, or
// the S3 bucket (no request is made; /readyz pings the bucket).
func OpenMedia(cfg config.Config) (media.Store, error) {
	if cfg.Media.Driver == "s3" {
		return media.NewS3(s3Options(cfg.Media.S3))
	}
	return media.NewLocal(cfg.Media.Dir)
}

func s3Options(c config.MediaS3) media.S3Options {
	return media.S3Options{Endpoint: c.Endpoint, Bucket: c.Bucket, Region: c.Region, PathStyle: c.PathStyle,
		Prefix: c.Prefix, AccessKey: c.AccessKey, SecretKey: c.SecretKey}
}

// MediaMigrateOptions tune MigrateMedia.
type MediaMigrateOptions struct {
	// Workers copy photos side by side; 0 means 4.
	Workers int
	// Progress is told how many photos are done, of how many.
	Progress func(stage string, done, total int)
}

// MigrateMedia copies the photos in cfg.Media.Dir into the bucket of
// cfg.Media.S3, reading each copy back to prove its SHA-256, and skips
// those already there with the same digest; run it again at any time. It
// needs only the media settings (not the database), so it runs while the
// service still uses the local directory. Photos that could not be copied
// are listed in the result; the error is for what stops the whole run.
func MigrateMedia(ctx context.Context, cfg config.Config, o MediaMigrateOptions) (media.Migration, error) {
	if err := cfg.ValidateMediaS3(); err != nil {
		return media.Migration{}, err
	}
	if st, err := os.Stat(cfg.Media.Dir); err != nil || !st.IsDir() {
		return media.Migration{}, fmt.Errorf("照片目录 %s 不存在或不是目录（media.dir）", cfg.Media.Dir)
	}
	local, err := media.NewLocal(cfg.Media.Dir)
	if err != nil {
		return media.Migration{}, err
	}
	bucket, err := media.NewS3(s3Options(cfg.Media.S3))
	if err != nil {
		return media.Migration{}, err
	}
	if err := bucket.Ping(ctx); err != nil {
		return media.Migration{}, fmt.Errorf("无法使用存储桶 %s（%s）：%w", cfg.Media.S3.Bucket, cfg.Media.S3.Endpoint, err)
	}
	mo := media.MigrateOptions{Workers: o.Workers}
	if o.Progress != nil {
		mo.Progress = func(done, total int) { o.Progress("迁移照片", done, total) }
	}
	return media.Migrate(ctx, local, bucket, mo)
}
