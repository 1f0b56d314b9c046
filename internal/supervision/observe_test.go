package supervision_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/supervision"
)

// modes counts the visits an observer hears of, by mode.
type modes map[string]int

func (m modes) VisitSubmitted(mode string) { m[mode]++ }

func TestObservedVisitsAndPhotoBacklog(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		heard := modes{}
		e.svc.Observe(heard)
		if b, err := e.svc.PhotoBacklog(ctx); err != nil || b != (supervision.PhotoBacklog{}) {
			t.Fatalf("no photos yet: %+v %v", b, err)
		}

		in := e.report("马鞍面馆")
		in.Photos = []supervision.PhotoInput{{MediaID: "m-a"}, {MediaID: "m-b"}}
		e.submit(t, visitDay, in)
		online := e.report("马鞍超市")
		online.Mode = supervision.ModeOnline
		e.submit(t, visitDay, online)
		// The same report again stores nothing and is not counted.
		if _, created, err := e.svc.Submit(ctx, in); err != nil || created {
			t.Fatalf("resubmit: created %v, %v", created, err)
		}
		if want := (modes{"onsite": 1, "online": 1}); !maps.Equal(heard, want) {
			t.Fatalf("heard %v, want %v", heard, want)
		}

		e.at(visitDay.Add(10 * time.Minute))
		b, err := e.svc.PhotoBacklog(ctx)
		if err != nil || b.Pending != 2 || b.Oldest != 10*time.Minute {
			t.Fatalf("two photos waiting 10 minutes: %+v %v", b, err)
		}
		store, err := media.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		wx := &flakyWeChat{calls: map[string]int{}}
		if stored, _, err := e.svc.FetchPhotos(ctx, wx, store, 10); stored != 2 || err != nil {
			t.Fatalf("fetch: %d stored, %v", stored, err)
		}
		if b, err := e.svc.PhotoBacklog(ctx); err != nil || b != (supervision.PhotoBacklog{}) {
			t.Fatalf("after fetching: %+v %v", b, err)
		}
	})
}
