package main

import (
	"context"
	"fmt"

	"github.com/shianbao/shianbao/internal/app"
)

// runMedia is `shianbao media migrate --to s3`: copy the photos of
// media.dir into the bucket of media.s3, proving every copy.
func runMedia(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || args[0] != "migrate" {
		return usageError{"media takes one action: media migrate --to s3"}
	}
	fs := newFlagSet("media migrate", e)
	to := fs.String("to", "", "where to copy the photos of media.dir: s3 (the bucket in media.s3)")
	workers := fs.Int("workers", 4, "photos copied side by side")
	rest, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"media migrate takes no arguments"}
	}
	if *to != "s3" {
		return usageError{"media migrate needs --to s3 (the only target)"}
	}
	if *workers < 1 || *workers > 64 {
		return usageError{"--workers must be between 1 and 64"}
	}
	cfg, err := fs.load(e)
	if err != nil {
		return err
	}
	p := newProgress(e.stderr)
	m, err := app.MigrateMedia(ctx, cfg, app.MediaMigrateOptions{Workers: *workers, Progress: p.update})
	p.finish()
	for _, f := range m.Failed {
		fmt.Fprintf(e.stdout, "失败：%s：%s\n", f.Key, f.Reason)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, m.Summary())
	if len(m.Failed) > 0 {
		return fmt.Errorf("有 %d 个照片文件没有迁移成功，原因见上；处理后再运行一次即可，已核验的会跳过", len(m.Failed))
	}
	return nil
}
