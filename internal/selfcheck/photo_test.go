package selfcheck_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/supervision"
)

// flaky fails the first download of every media id.
type flaky struct{ seen map[string]bool }

func (f *flaky) DownloadMedia(_ context.Context, id string) ([]byte, string, error) {
	if !f.seen[id] {
		f.seen[id] = true
		return nil, "", errors.New("GET https://api.weixin.qq.com/cgi-bin/media/get?access_token=SECRET: 502")
	}
	return []byte("JPEG " + id), "image/jpeg", nil
}

func TestFetchPhotos(t *testing.T) {
	e := openEnv(t)
	ctx := context.Background()
	store, err := media.NewLocal(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	c := e.contact(t, "张舍烧烤", account.ContactOfficer)
	saved, err := e.svc.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: "p-1", ContactID: c.ID,
		Problems: []selfcheck.Problem{{RiskID: "pest_control", Note: "发现鼠迹，已放置粘鼠板"}},
		Photos:   []supervision.PhotoInput{{MediaID: "m-1"}, {MediaID: "m-2"}}})
	if err != nil {
		t.Fatal(err)
	}
	dl := &flaky{seen: map[string]bool{}}
	if stored, failed, err := e.svc.FetchPhotos(ctx, dl, store, 10); err != nil || stored != 0 || failed != 2 {
		t.Fatalf("first attempt: %d stored, %d failed, %v", stored, failed, err)
	}
	var errText string
	e.d.Gorm(ctx).Table("selfcheck_photos").Select("last_error").Limit(1).Scan(&errText)
	if errText == "" || strings.Contains(errText, "SECRET") {
		t.Fatalf("last error %q", errText)
	}
	// Not due again before the backoff.
	if stored, failed, _ := e.svc.FetchPhotos(ctx, dl, store, 10); stored+failed != 0 {
		t.Fatal("retried before the backoff")
	}
	e.clk.Advance(time.Minute)
	if stored, _, err := e.svc.FetchPhotos(ctx, dl, store, 10); err != nil || stored != 2 {
		t.Fatalf("retry: %d stored, %v", stored, err)
	}
	biz := e.biz["张舍烧烤"]
	revs, err := e.svc.Revisions(ctx, saved.Record.ID)
	if err != nil || len(revs) != 1 {
		t.Fatalf("revisions %+v %v", revs, err)
	}
	ps, err := e.svc.PhotosOf(ctx, []int64{revs[0].ID})
	if err != nil || len(ps) != 2 {
		t.Fatalf("photos %+v %v", ps, err)
	}
	if _, err := e.svc.StoredPhoto(ctx, biz.ID, ps[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StoredPhoto(ctx, e.biz["马鞍面馆"].ID, ps[0].ID); err == nil {
		t.Fatal("another business's photo served")
	}
}

// lost never has the media.
type lost struct{}

func (lost) DownloadMedia(context.Context, string) ([]byte, string, error) {
	return nil, "", errors.New("media get: errcode 40007 invalid media_id")
}

// TestFailedPhotoTellsContact: a self-check photo that cannot be fetched
// after every retry is marked failed and the contact who recorded it is
// told which picture to send again, once.
func TestFailedPhotoTellsContact(t *testing.T) {
	e := openEnv(t)
	ctx := context.Background()
	store, err := media.NewLocal(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	c := e.contact(t, "张舍烧烤", account.ContactOfficer)
	if _, err := e.svc.SubmitDaily(ctx, selfcheck.DailyInput{SubmissionKey: "lost-1", ContactID: c.ID,
		Photos: []supervision.PhotoInput{{MediaID: "lost-1"}}}); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		e.clk.Advance(2 * time.Hour)
		if _, _, err := e.svc.FetchPhotos(ctx, lost{}, store, 10); err != nil {
			t.Fatal(err)
		}
	}
	var status string
	e.d.Gorm(ctx).Table("selfcheck_photos").Select("status").Where("media_id = ?", "lost-1").Scan(&status)
	var notices []string
	for _, m := range e.out.msgs {
		if m.Kind == supervision.KindPhotoFailed {
			notices = append(notices, m.To.String()+" "+m.Text)
		}
	}
	if status != supervision.PhotoFailed || len(notices) != 1 || !strings.Contains(notices[0], "第1张照片未能保存，请重新发送") ||
		!strings.HasPrefix(notices[0], fmt.Sprintf("contact:%d ", c.ID)) || !strings.Contains(notices[0], "张舍烧烤") {
		t.Fatalf("photo %s, notices %q", status, notices)
	}
}
