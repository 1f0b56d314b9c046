package app_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/meeting"
	"github.com/shianbao/shianbao/internal/registry"
)

// checkinPeople is how many check in to one meeting (the figure).
const checkinPeople = 300

// TestMeetingCheckInLoad: 300 people scan one meeting's QR code through
// signed callbacks, each scan delivered twice (the platform's retry); every
// one is checked in exactly once and no one is recorded twice. The scans
// arrive all at once from 32 senders, or spread evenly over
// SHIANBAO_CHECKIN_SPREAD (e.g. 60s, the "within one minute").
// The latencies are logged (docs/BENCHMARKS.md has the figures and the
// command); nothing is asserted on time.
func TestMeetingCheckInLoad(t *testing.T) {
	cfg := apptest.Config(t)
	a := run(t, cfg)
	ctx := context.Background()
	codes, err := a.LoadContactCodes(ctx, checkinPeople)
	if err != nil || len(codes) < checkinPeople {
		t.Fatalf("%d binding codes: %v", len(codes), err)
	}
	users := make([]string, len(codes))
	ids := make([]int64, len(codes))
	for i, c := range codes {
		users[i], ids[i] = fmt.Sprintf("o-checkin-%03d", i), c.SubjectID
		if _, err := a.Accounts.Bind(ctx, chat.ChannelOA, users[i], c.Code); err != nil {
			t.Fatal(err)
		}
	}
	var district registry.Region
	if err := a.DB.Gorm(ctx).Where("level = ?", registry.LevelDistrict).Order("id").Take(&district).Error; err != nil {
		t.Fatal(err)
	}
	// The meeting began a minute ago: its invitations went out days
	// before, so no outbox burst competes with the scans.
	now := a.Clock.Now()
	m, err := a.Meetings.Create(ctx, "", meeting.Input{Kind: meeting.KindBusinessTraining, Title: "全区食品经营主体培训",
		StartsAt: now.Add(-time.Minute), EndsAt: now.Add(2 * time.Hour), Place: "区行政中心大礼堂", RegionID: district.ID,
		Rule: meeting.Rule{BusinessIDs: ids}}, "user:admin")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := app.NewSignedCallbacks(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	var spread time.Duration
	if s := os.Getenv("SHIANBAO_CHECKIN_SPREAD"); s != "" {
		if spread, err = time.ParseDuration(s); err != nil {
			t.Fatal(err)
		}
	}
	first, repeat, fails := scanAll(t, a, sc, users, a.Meetings.Scene(m.ID), spread)
	if len(fails) > 0 {
		t.Fatalf("%d of %d scans failed, e.g. %s", len(fails), 2*len(users), fails[0])
	}
	c, err := a.Meetings.Counts(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	a.DB.Gorm(ctx).Table("meeting_people").Where("meeting_id = ?", m.ID).Count(&rows)
	if c.CheckedIn != checkinPeople || c.Walkins != 0 || rows != checkinPeople {
		t.Fatalf("after the scans: %+v, %d rows; want %d checked in once each", c, rows, checkinPeople)
	}
	pct := func(lat []time.Duration, p float64) time.Duration {
		slices.Sort(lat)
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(100 * time.Microsecond)
	}
	t.Logf("%s (kv %q), %d people, spread %v: check-in p50 %v, p95 %v, p99 %v, max %v; repeated delivery p50 %v, p99 %v",
		apptest.Engine(), cfg.Redis.Addr, checkinPeople, spread, pct(first, 0.50), pct(first, 0.95), pct(first, 0.99), pct(first, 1),
		pct(repeat, 0.50), pct(repeat, 0.99))
}

// scanAll sends each user's scan and its repeated delivery, and returns
// the latencies of the scans and of the repeats, and what went wrong.
func scanAll(t *testing.T, a *app.App, sc app.SignedCallbacks, users []string, scene string, spread time.Duration) (first, repeat []time.Duration, fails []string) {
	t.Helper()
	url := a.URL() + "/wechat/oa"
	at := time.Now()
	var mu sync.Mutex
	one := func(user string) {
		for i := range 2 {
			req, err := sc.Scan(url, user, scene, at)
			if err != nil {
				t.Error(err)
				return
			}
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			var text string
			if err == nil {
				text, err = sc.ReplyText(resp)
				resp.Body.Close()
			}
			d := time.Since(start)
			mu.Lock()
			if i == 0 {
				first = append(first, d)
			} else {
				repeat = append(repeat, d)
			}
			if err != nil || !strings.Contains(text, "签到成功") {
				fails = append(fails, fmt.Sprintf("%s: %v %q", user, err, text))
			}
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	if spread > 0 {
		gap := spread / time.Duration(len(users))
		tick := time.NewTicker(gap)
		defer tick.Stop()
		for _, u := range users {
			wg.Add(1)
			go func() { defer wg.Done(); one(u) }()
			<-tick.C
		}
	} else {
		work := make(chan string)
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for u := range work {
					one(u)
				}
			}()
		}
		for _, u := range users {
			work <- u
		}
		close(work)
	}
	wg.Wait()
	return first, repeat, fails
}
