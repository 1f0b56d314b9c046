package supervision_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/supervision"
)

// flakyWeChat fails each media's first `fails` downloads, then serves
// bytes derived from the id. It counts calls per media.
type flakyWeChat struct {
	mu    sync.Mutex
	fails int
	calls map[string]int
	delay time.Duration
}

func (f *flakyWeChat) DownloadMedia(ctx context.Context, mediaID string) ([]byte, string, error) {
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[mediaID]++
	if f.calls[mediaID] <= f.fails {
		return nil, "", errors.New("GET https://api.weixin.qq.com/cgi-bin/media/get?access_token=SECRET123&media_id=" + mediaID + ": 502 Bad Gateway")
	}
	return photoBytes(mediaID), "image/jpeg", nil
}

func photoBytes(mediaID string) []byte { return []byte("\xff\xd8\xff" + mediaID) }

func TestFetchPhotos(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		store, err := media.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		in := withIssue(e.report("马鞍面馆"), "staff_health", "m-health")
		in.Photos = []supervision.PhotoInput{{MediaID: "m-door"}}
		v := e.submit(t, visitDay, in)

		t.Run("RetryThenStore", func(t *testing.T) {
			wx := &flakyWeChat{fails: 2, calls: map[string]int{}}
			// Backoff: 30 s after the first failure, 60 s after the second.
			for round, want := range []struct {
				at             time.Duration
				stored, failed int
			}{{0, 0, 2}, {10 * time.Second, 0, 0}, {31 * time.Second, 0, 2}, {90 * time.Second, 0, 0}, {92 * time.Second, 2, 0}} {
				e.at(visitDay.Add(want.at))
				stored, failed, err := e.svc.FetchPhotos(ctx, wx, store, 10)
				if err != nil || stored != want.stored || failed != want.failed {
					t.Fatalf("round %d: stored %d failed %d err %v", round, stored, failed, err)
				}
				if round == 0 {
					d, _ := e.svc.Visit(ctx, v.ID)
					p := d.Photos[0]
					if p.Status != supervision.PhotoPending || p.Attempts != 1 || !p.NextAttemptAt.Equal(visitDay.Add(30*time.Second)) ||
						strings.Contains(p.LastError, "SECRET123") || !strings.Contains(p.LastError, "502") || p.LeaseToken != "" {
						t.Fatalf("after failure %+v", p)
					}
				}
			}
			d, _ := e.svc.Visit(ctx, v.ID)
			for _, p := range d.Photos {
				sum := sha256.Sum256(photoBytes(p.MediaID))
				if p.Status != supervision.PhotoStored || p.SHA256 != hex.EncodeToString(sum[:]) || p.Size != int64(len(photoBytes(p.MediaID))) ||
					p.ContentType != "image/jpeg" || p.Attempts != 3 || p.LastError != "" || p.Path != p.SHA256+".jpg" {
					t.Fatalf("stored %+v", p)
				}
				rc, obj, err := store.Open(ctx, p.Path)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				if string(b) != string(photoBytes(p.MediaID)) || obj.ContentType != "image/jpeg" {
					t.Fatalf("stored bytes %q", b)
				}
			}
			if stored, failed, err := e.svc.FetchPhotos(ctx, wx, store, 10); stored+failed != 0 || err != nil {
				t.Fatal("nothing left to fetch")
			}
		})
		t.Run("GiveUp", func(t *testing.T) {
			e.submit(t, visitDay, func() supervision.VisitInput {
				in := e.report("马鞍超市")
				in.Photos = []supervision.PhotoInput{{MediaID: "m-expired"}}
				return in
			}())
			wx := &flakyWeChat{fails: 100, calls: map[string]int{}}
			now := visitDay
			for range 8 {
				now = now.Add(2 * time.Hour)
				e.at(now)
				if _, failed, err := e.svc.FetchPhotos(ctx, wx, store, 10); failed != 1 || err != nil {
					t.Fatalf("failed %d %v", failed, err)
				}
			}
			e.at(now.Add(2 * time.Hour))
			if _, failed, _ := e.svc.FetchPhotos(ctx, wx, store, 10); failed != 0 || wx.calls["m-expired"] != 8 {
				t.Fatalf("after giving up: %d calls", wx.calls["m-expired"])
			}
			if n := count(t, e.d, "photos", "media_id = ? AND status = ? AND attempts = 8", "m-expired", supervision.PhotoFailed); n != 1 {
				t.Fatal("not marked failed")
			}
		})
		t.Run("Lease", func(t *testing.T) {
			// Two fetchers at once (two instances) share 20 photos without
			// downloading any twice.
			in := e.report("张舍烧烤")
			for i := range 20 {
				in.Photos = append(in.Photos, supervision.PhotoInput{MediaID: fmt.Sprintf("lease-%d", i)})
			}
			e.submit(t, visitDay.Add(24*time.Hour), in)
			wx := &flakyWeChat{calls: map[string]int{}, delay: 5 * time.Millisecond}
			var wg sync.WaitGroup
			var mu sync.Mutex
			total := 0
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						stored, _, err := e.svc.FetchPhotos(ctx, wx, store, 4)
						if err != nil {
							t.Error(err)
							return
						}
						if stored == 0 {
							return
						}
						mu.Lock()
						total += stored
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if total != 20 {
				t.Fatalf("stored %d", total)
			}
			for id, n := range wx.calls {
				if n != 1 {
					t.Errorf("%s downloaded %d times", id, n)
				}
			}
		})
	})
}
