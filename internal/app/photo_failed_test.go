package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/app/apptest"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/wechat"
)

// TestPhotoLostAcrossRestartIsReported walks item 5 of issue 16: a cadre
// reports a visit with a photo and is told 已收到第1张照片; every fetch of
// it fails (the fake API's fault injection), the service restarts, and
// the picture is gone from the platform. The fetch is retried with
// backoff, then the photo is marked failed, the cadre is told through the
// outbox (第1张照片未能保存，请重新发送) and the notice is listed with the
// console's notifications. Not parallel: it calls the fake WeChat API.
func TestPhotoLostAcrossRestartIsReported(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.SQLiteConfig(t)
	// The phone stamps messages with the real time, the service runs ahead.
	cfg.WeChat.ReplayWindow = 0
	// A working morning, so quiet hours hold nothing back.
	clk := clock.NewOffset()
	morning := time.Now().In(clock.China).AddDate(0, 0, 1)
	clk.Set(time.Date(morning.Year(), morning.Month(), morning.Day(), 8, 0, 0, 0, clock.China))

	first, err := app.New(ctx, cfg, app.Options{Clock: clk, LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	if first.FakeAPI == nil {
		t.Fatal("the embedded default runs without its fake WeChat API")
	}
	fault, err := http.Post(first.URL()+"/dev/wxapi/faults", "application/json",
		strings.NewReader(`{"fail_next":[{"path":"/cgi-bin/media/get","code":"http500","n":1000}]}`))
	if err != nil {
		t.Fatal(err)
	}
	fault.Body.Close()
	if fault.StatusCode != http.StatusOK {
		t.Fatalf("fault injection = %d", fault.StatusCode)
	}
	cadre := cadresWithTasks(t, first, 1)[0]
	code, _, err := first.Accounts.IssueCode(ctx, account.RoleCadre, cadre.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	const openid = "o-lost-photo"
	ph := newPhone(t, first, wechat.ModeSafe)
	ph.text(openid, "绑定 "+code)
	for _, s := range []string{"上报督导", "1", "现场", "快速", "2", "全部合格", "地面有积水"} {
		ph.text(openid, s)
	}
	if got := ph.photo(openid, "lost-before-restart"); !strings.Contains(got, "已收到第1张照片") {
		t.Fatalf("photo answered %q", got)
	}
	for _, s := range []string{"完成", "跳过", "跳过", "1", "跳过", "2"} {
		ph.text(openid, s)
	}
	if got := ph.text(openid, "确认"); !strings.Contains(got, "督导已提交") {
		t.Fatalf("submit: %q", got)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second, err := app.New(ctx, cfg, app.Options{Clock: clk, LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	g := second.DB.Gorm(ctx)
	var photo supervision.Photo
	if err := g.Raw(`SELECT * FROM photos WHERE media_id = ?`, "lost-before-restart").Scan(&photo).Error; err != nil || photo.ID == 0 {
		t.Fatalf("the photo was not recorded: %v", err)
	}
	// Retry with backoff: each round moves the clock past the longest wait.
	for round := 0; round < 12 && photo.Status == supervision.PhotoPending; round++ {
		clk.Advance(61 * time.Minute)
		if _, _, err := second.Supervision.FetchPhotos(ctx, second.WeChat, second.Media, 20); err != nil {
			t.Fatal(err)
		}
		g.Raw(`SELECT * FROM photos WHERE id = ?`, photo.ID).Scan(&photo)
	}
	if photo.Status != supervision.PhotoFailed || photo.Attempts < 2 {
		t.Fatalf("photo after the retries: %s after %d attempts", photo.Status, photo.Attempts)
	}

	const notice = "第1张照片未能保存，请重新发送"
	deadline := time.Now().Add(time.Minute)
	var delivered bool
	for !delivered && time.Now().Before(deadline) {
		for _, c := range second.FakeAPI.CallsTo("/cgi-bin/message/custom/send") {
			delivered = delivered || (c.ToUser == openid && c.Delivered() && strings.Contains(c.Content, notice))
		}
		if !delivered {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !delivered {
		t.Errorf("the cadre was not told %q", notice)
	}
	listed, _, err := query.New(second.DB).Notifications(ctx, query.NotificationFilter{Kind: supervision.KindPhotoFailed}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0].RecipientName != cadre.Name || !strings.Contains(listed[0].Title, "照片未能保存") {
		t.Errorf("console notifications list %+v, want the notice to %s", listed, cadre.Name)
	}
}
