package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/media/mediatest"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/wechat"
)

// s3Config points cfg's media at the fake's bucket.
func s3Config(cfg config.Config, f *mediatest.FakeS3) config.Config {
	o := f.Options
	cfg.Media.Driver = "s3"
	cfg.Media.S3 = config.MediaS3{Endpoint: o.Endpoint, Bucket: o.Bucket, Region: o.Region, PathStyle: o.PathStyle,
		AccessKey: o.AccessKey, SecretKey: o.SecretKey}
	return cfg
}

// TestMediaOnS3 runs the app with its photos in a bucket: a photo sent in
// chat is fetched into the bucket (and not onto the local disk), the
// console serves it through the service to the office whose town it is and
// to nobody else, and /readyz reports the bucket.
func TestMediaOnS3(t *testing.T) {
	fake := mediatest.StartS3(t)
	cfg := s3Config(apptest.Config(t), fake)
	a := run(t, cfg)
	if a.FakeAPI == nil {
		t.Skip("needs the simulator's fake WeChat API")
	}
	ctx := context.Background()

	if status, body := get(t, a.URL()+"/readyz"); status != http.StatusOK || !strings.Contains(body, `"media":"ok"`) {
		t.Fatalf("readyz = %d %s", status, body)
	}

	// A cadre reports a visit with a photo.
	cadre := cadresWithTasks(t, a, 1)[0]
	code, _, err := a.Accounts.IssueCode(ctx, account.RoleCadre, cadre.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	openid := fmt.Sprintf("o-s3-%d", time.Now().UnixNano())
	jpeg := []byte("\xff\xd8\xff\xe0 JPEG on S3 " + openid)
	a.FakeAPI.PutMedia("media-"+openid, jpeg, "image/jpeg")
	ph := newPhone(t, a, wechat.ModeCompatible)
	if got := ph.text(openid, "绑定 "+code); !strings.Contains(got, "绑定成功") {
		t.Fatalf("bind: %q", got)
	}
	if last := reportVisit(t, ph, openid, "media-"+openid); !strings.Contains(last, "督导已提交") {
		t.Fatalf("report: %q", last)
	}
	var p supervision.Photo
	waitUntil(t, "the photo to be fetched", func() bool {
		p = supervision.Photo{}
		a.DB.Gorm(ctx).Table("photos").Where("media_id = ?", "media-"+openid).Take(&p)
		return p.Status == supervision.PhotoStored
	})

	t.Run("InTheBucket", func(t *testing.T) {
		bucket, err := media.NewS3(fake.Options)
		if err != nil {
			t.Fatal(err)
		}
		rc, obj, err := bucket.Open(ctx, p.Path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != string(jpeg) || obj.ContentType != "image/jpeg" || p.Path != mediatest.Digest(jpeg)+".jpg" {
			t.Fatalf("bucket holds %+v %q under %s", obj, b, p.Path)
		}
		if _, err := os.Stat(cfg.Media.Dir); err == nil {
			local, _ := media.NewLocal(cfg.Media.Dir)
			if _, _, err := local.Open(ctx, p.Path); !errs.Is(err, errs.NotFound) {
				t.Fatalf("photo also on the local disk: %v", err)
			}
		}
	})

	t.Run("ServedInScope", func(t *testing.T) {
		// A manager of the photo's town, and one of another town.
		regions, err := a.Registry.Regions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var owner, other int64
		for _, r := range regions {
			if r.Level != registry.LevelTown {
				continue
			}
			if _, err := a.Supervision.PhotoInScope(ctx, p.ID, r.Path); err == nil {
				owner = r.ID
			} else if other == 0 {
				other = r.ID
			}
		}
		if owner == 0 || other == 0 {
			t.Fatalf("towns: owner %d, other %d", owner, other)
		}
		const password = "s3-photo-test-password"
		for name, region := range map[string]int64{"s3owner": owner, "s3other": other} {
			if _, err := a.AddConsoleUser(ctx, app.ConsoleUserInput{Username: name + openid[len(openid)-6:], Name: name, Role: "manager",
				Region: strconv.FormatInt(region, 10), Password: password}); err != nil {
				t.Fatal(err)
			}
		}
		path := fmt.Sprintf("/console/photos/%d", p.ID)
		b := newBrowser(t, a)
		b.login("s3owner"+openid[len(openid)-6:], password)
		if b.do(http.MethodGet, path, nil); b.status != http.StatusOK || b.body != string(jpeg) {
			t.Fatalf("the town's photo page = %d, %d bytes", b.status, len(b.body))
		}
		o := newBrowser(t, a)
		o.login("s3other"+openid[len(openid)-6:], password)
		if o.do(http.MethodGet, path, nil); o.status != http.StatusNotFound || strings.Contains(o.body, string(jpeg)) {
			t.Fatalf("another town's manager gets the photo page: %d", o.status)
		}
	})

	t.Run("NotReadyWithoutTheBucket", func(t *testing.T) {
		fake.Close()
		status, body := get(t, a.URL()+"/readyz")
		if status != http.StatusServiceUnavailable || !strings.Contains(body, `"media":"unreachable"`) || !strings.Contains(body, `"database":"ok"`) {
			t.Fatalf("readyz = %d %s", status, body)
		}
	})
}

// TestLocalMediaNotChecked: the embedded default keeps photos on the
// machine's disk, which /readyz does not list.
func TestLocalMediaNotChecked(t *testing.T) {
	a := run(t, apptest.EmptyConfig(t))
	if status, body := get(t, a.URL()+"/readyz"); status != http.StatusOK || strings.Contains(body, "media") {
		t.Fatalf("readyz = %d %s", status, body)
	}
}

func TestMigrateMedia(t *testing.T) {
	ctx := context.Background()
	fake := mediatest.StartS3(t)
	cfg := s3Config(config.Default(), fake)
	cfg.Media.Driver = "local" // migrated while the service still runs on its disk
	cfg.Media.Dir = filepath.Join(t.TempDir(), "media")
	local, err := media.NewLocal(cfg.Media.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		data := []byte(fmt.Sprintf("\xff\xd8\xff\xe0 photo %d", i))
		if _, err := local.Put(ctx, mediatest.Digest(data)+".jpg", data, "image/jpeg"); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("OK", func(t *testing.T) {
		var stages []string
		m, err := app.MigrateMedia(ctx, cfg, app.MediaMigrateOptions{Progress: func(stage string, done, total int) {
			stages = append(stages, fmt.Sprintf("%s %d/%d", stage, done, total))
		}})
		if err != nil {
			t.Fatal(err)
		}
		if m.Copied != 5 || m.Total != 5 || len(stages) != 5 || stages[4] != "迁移照片 5/5" {
			t.Fatalf("migration %+v, progress %v", m, stages)
		}
		// The app on the bucket now sees them.
		st, err := app.OpenMedia(s3Config(cfg, fake))
		if err != nil {
			t.Fatal(err)
		}
		err = local.Walk(ctx, func(key string) error {
			rc, _, err := st.Open(ctx, key)
			if err == nil {
				rc.Close()
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if m, err := app.MigrateMedia(ctx, cfg, app.MediaMigrateOptions{}); err != nil || m.Skipped != 5 || m.Copied != 0 {
			t.Fatalf("again: %+v %v", m, err)
		}
	})
	t.Run("ErrSettings", func(t *testing.T) {
		bad := cfg
		bad.Media.S3.Bucket, bad.Media.S3.SecretKey = "", ""
		_, err := app.MigrateMedia(ctx, bad, app.MediaMigrateOptions{})
		if err == nil || !strings.Contains(err.Error(), "SHIANBAO_MEDIA_S3_BUCKET") || !strings.Contains(err.Error(), "SHIANBAO_MEDIA_S3_SECRET_KEY") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrNoDirectory", func(t *testing.T) {
		bad := cfg
		bad.Media.Dir = filepath.Join(t.TempDir(), "nothing-here")
		if _, err := app.MigrateMedia(ctx, bad, app.MediaMigrateOptions{}); err == nil || !strings.Contains(err.Error(), "照片目录") {
			t.Fatalf("err = %v", err)
		}
		if _, err := os.Stat(bad.Media.Dir); err == nil {
			t.Fatal("a missing media directory was created")
		}
	})
	t.Run("ErrNoBucket", func(t *testing.T) {
		bad := cfg
		bad.Media.S3.Bucket = "no-such-bucket"
		if _, err := app.MigrateMedia(ctx, bad, app.MediaMigrateOptions{}); err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
			t.Fatalf("err = %v", err)
		}
	})
}
