package supervision_test

import (
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Visits and the businesses' own records keep a received picture the same
// way: trimmed ids, the receipt time defaulting to now, in UTC.
func TestPhotoInputReceived(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, clock.China)
	sent := now.Add(-time.Minute)
	for name, c := range map[string]struct{ in, want supervision.PhotoInput }{
		"OK":        {supervision.PhotoInput{MediaID: " m1 ", PicURL: " https://img/1 ", ReceivedAt: sent}, supervision.PhotoInput{MediaID: "m1", PicURL: "https://img/1", ReceivedAt: sent.UTC()}},
		"NoTimeYet": {supervision.PhotoInput{MediaID: "m2"}, supervision.PhotoInput{MediaID: "m2", ReceivedAt: now.UTC()}},
	} {
		t.Run(name, func(t *testing.T) {
			got := c.in.Received(now)
			if got != c.want || got.ReceivedAt.Location() != time.UTC {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
