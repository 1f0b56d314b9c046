package app_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/meeting"
)

// TestMeetingDemoAndScan: the demo district has its three meetings — a
// past 干部培训 most cadres checked in to and took the quiz of, an upcoming
// 主体培训 with invitations in the outbox, a past 集中督导 whose attending
// businesses are covered — and a cadre scanning a new meeting's QR code in
// the simulator is checked in once.
func TestMeetingDemoAndScan(t *testing.T) {
	a := bootSQLite(t)
	ctx := context.Background()
	q := a.DB.Gorm(ctx)
	var ms []meeting.Meeting
	if err := q.Order("id").Find(&ms).Error; err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 || ms[0].Kind != meeting.KindCadreTraining || ms[1].Kind != meeting.KindBusinessTraining || ms[2].Kind != meeting.KindCentralized {
		t.Fatalf("demo meetings: %+v", ms)
	}
	now := a.Clock.Now()
	if !ms[0].Past(now) || ms[1].StartsAt.Before(now) || !ms[2].Past(now) {
		t.Fatalf("demo meeting times: %v %v %v (now %v)", ms[0].StartsAt, ms[1].StartsAt, ms[2].StartsAt, now)
	}
	c, err := a.Meetings.Counts(ctx, &ms[0])
	if err != nil {
		t.Fatal(err)
	}
	if c.Invited < 10 || c.CheckedIn*10 < c.Invited*7 || c.CheckedIn == c.Invited {
		t.Fatalf("training attendance: %+v", c)
	}
	var attempts, invitations int64
	q.Table("quiz_attempts").Where("meeting_id = ?", ms[0].ID).Count(&attempts)
	q.Table("outbox").Where("kind = ?", meeting.KindInvited).Count(&invitations)
	if attempts == 0 || invitations == 0 {
		t.Fatalf("quiz attempts %d, invitations %d", attempts, invitations)
	}
	var covered []int64
	q.Table("meeting_results").Where("meeting_id = ?", ms[2].ID).Pluck("business_id", &covered)
	if len(covered) == 0 {
		t.Fatal("the 集中督导 recorded no results")
	}
	for _, id := range covered {
		ok, _, err := a.Supervision.Covered(ctx, id)
		if err != nil || !ok {
			t.Fatalf("business %d of the 集中督导 not covered: %v", id, err)
		}
	}

	// A new meeting of 胡埭镇's cadres, starting in ten minutes.
	cadre := personas(t, a)["包保干部"]
	send := a.URL() + "/dev/simulator/api/send"
	if status, out := simPost(t, send, map[string]any{"openid": cadre.OpenID, "bind": cadre.Bind, "kind": "subscribe"}); status != 200 {
		t.Fatalf("subscribe: %d %v", status, out)
	}
	_, idText, _ := strings.Cut(cadre.Bind, ":")
	cadreID, _ := strconv.ParseInt(idText, 10, 64)
	m, err := a.Meetings.Create(ctx, "", meeting.Input{
		Kind: meeting.KindWork, Title: "冬季食品安全工作部署会", StartsAt: now.Add(10 * time.Minute), EndsAt: now.Add(70 * time.Minute),
		Place: "胡埭镇人民政府三楼会议室", RegionID: ms[0].RegionID, QuizID: "cadre_key_points",
		Rule: meeting.Rule{CadresOf: ms[0].RegionID, CadreIDs: []int64{cadreID}},
	}, "user:admin")
	if err != nil {
		t.Fatal(err)
	}
	_, out := simPost(t, send, map[string]any{"openid": cadre.OpenID, "kind": "text", "text": "参加"})
	if text, _ := out["text"].(string); !strings.Contains(text, "已确认参加") || !strings.Contains(text, m.Title) {
		t.Fatalf("参加: %v", out)
	}
	url, err := a.Meetings.QR(ctx, "", m.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, body := get(t, a.URL()+"/dev/simulator/api/qrcodes")
	if !strings.Contains(body, "会议签到二维码") {
		t.Fatalf("the scan panel does not name the meeting's code: %s", body)
	}
	_, out = simPost(t, send, map[string]any{"openid": cadre.OpenID, "kind": "scan", "text": url})
	if text, _ := out["text"].(string); !strings.Contains(text, "签到成功") || !strings.Contains(text, m.Title) {
		t.Fatalf("scanning the meeting's QR code: %v", out)
	}
	// The same scan delivered again is answered as before; a second scan
	// a minute later is told it was done.
	off, ok := a.Clock.(*clock.Offset)
	if !ok {
		t.Fatalf("the simulator's clock is a %T", a.Clock)
	}
	off.Advance(time.Minute)
	_, out = simPost(t, send, map[string]any{"openid": cadre.OpenID, "kind": "scan", "text": url})
	if text, _ := out["text"].(string); !strings.Contains(text, "无需重复") {
		t.Fatalf("scanning again: %v", out)
	}
	_, out = simPost(t, send, map[string]any{"openid": cadre.OpenID, "kind": "text", "text": "请假"})
	if text, _ := out["text"].(string); !strings.Contains(text, "理由") {
		t.Fatalf("请假 without a reason: %v", out)
	}
	c, err = a.Meetings.Counts(ctx, m)
	if err != nil || c.CheckedIn != 1 || c.Accepted != 1 {
		t.Fatalf("counts after the scans: %+v %v", c, err)
	}
	// The quiz, once the meeting has begun.
	off.Advance(15 * time.Minute)
	_, out = simPost(t, send, map[string]any{"openid": cadre.OpenID, "kind": "text", "text": "答题"})
	if text, _ := out["text"].(string); !strings.Contains(text, "A.") || !strings.Contains(text, "答案") {
		t.Fatalf("答题: %v", out)
	}
	_, out = simPost(t, send, map[string]any{"openid": cadre.OpenID, "kind": "text", "text": "答案 BCABA"})
	if text, _ := out["text"].(string); !strings.Contains(text, "答对 4 / 5") || !strings.Contains(text, "第5题") {
		t.Fatalf("答案: %v", out)
	}
}
