package meeting_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/meeting"
	"github.com/shianbao/shianbao/internal/notify"
)

func TestInvitationReplyCheckInAttendance(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		m := e.training(t)
		// 胡埭镇's three cadres are invited, not 蠡湖街道's.
		if got := e.out.count(meeting.KindInvited, notify.ToCadre); got != 3 {
			t.Fatalf("invitations to cadres = %d, want 3", got)
		}
		if got := e.out.count(meeting.KindInvited, notify.ToGroup); got != 1 {
			t.Fatalf("group notices = %d, want 1", got)
		}
		c1, c2, c3, c9 := cadreID(e, e.c1.ID), cadreID(e, e.c2.ID), cadreID(e, e.c3.ID), cadreID(e, e.c9.ID)

		t.Run("Reply", func(t *testing.T) {
			r, err := e.svc.Answer(ctx, chat.ChannelOA, c1, true, "")
			must(t, err)
			if !r.Accept || r.Meeting.ID != m.ID {
				t.Fatalf("reply = %+v", r)
			}
			if _, err := e.svc.Answer(ctx, chat.ChannelOA, c2, false, " "); !errs.Is(err, errs.Invalid) {
				t.Fatalf("excuse without reason: %v, want Invalid", err)
			}
			_, err = e.svc.Answer(ctx, chat.ChannelOA, c2, false, "外出学习")
			must(t, err)
			if _, err := e.svc.Answer(ctx, chat.ChannelOA, c9, true, ""); !errs.Is(err, errs.NotFound) {
				t.Fatalf("reply without invitation: %v, want NotFound", err)
			}
			if _, err := e.svc.Answer(ctx, chat.ChannelOA, "stranger", true, ""); !errs.Is(err, errs.Unauthorized) {
				t.Fatalf("reply from a stranger: %v, want Unauthorized", err)
			}
		})

		scene := e.svc.Scene(m.ID)
		t.Run("TooEarly", func(t *testing.T) {
			e.clk.Set(meetingAt.Add(-2 * time.Hour))
			_, err := e.svc.CheckInByScene(ctx, chat.ChannelOA, c1, scene)
			if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), "尚未开始") {
				t.Fatalf("too early: %v", err)
			}
		})
		t.Run("BadScene", func(t *testing.T) {
			e.clk.Set(meetingAt)
			forged := scene[:len(scene)-2] + "AA"
			if forged == scene {
				forged = scene[:len(scene)-2] + "BB"
			}
			if _, err := e.svc.CheckInByScene(ctx, chat.ChannelOA, c1, forged); !errs.Is(err, errs.Invalid) {
				t.Fatalf("forged scene: %v, want Invalid", err)
			}
		})
		var first *meeting.CheckIn
		t.Run("InTime", func(t *testing.T) {
			e.clk.Set(meetingAt.Add(-20 * time.Minute))
			// A location shared just before the scan gives the distance.
			_, err := e.svc.NoteLocation(ctx, chat.ChannelOA, c1, 31.5909, 120.1600)
			must(t, err)
			ci, err := e.svc.CheckInByScene(ctx, chat.ChannelOA, c1, "qrscene_"+scene)
			must(t, err)
			if ci.Already || ci.Walkin || ci.Kind != meeting.PersonCadre || ci.SubjectID != e.c1.ID {
				t.Fatalf("check-in = %+v", ci)
			}
			if ci.DistanceM == nil || *ci.DistanceM < 90 || *ci.DistanceM > 110 {
				t.Fatalf("distance = %v, want about 100 m", ci.DistanceM)
			}
			first = ci
		})
		t.Run("Twice", func(t *testing.T) {
			e.clk.Set(meetingAt.Add(-10 * time.Minute))
			ci, err := e.svc.CheckInByScene(ctx, chat.ChannelOA, c1, scene)
			must(t, err)
			if !ci.Already || !ci.At.Equal(first.At) {
				t.Fatalf("second scan = %+v, want the first time %v", ci, first.At)
			}
		})
		t.Run("LocationAfter", func(t *testing.T) {
			ci, err := e.svc.CheckInByScene(ctx, chat.ChannelOA, c3, scene)
			must(t, err)
			if ci.DistanceM != nil {
				t.Fatalf("distance without a location: %v", *ci.DistanceM)
			}
			got, err := e.svc.NoteLocation(ctx, chat.ChannelOA, c3, 31.5900, 120.1610)
			must(t, err)
			if got == nil || got.DistanceM == nil || *got.DistanceM < 80 || *got.DistanceM > 110 {
				t.Fatalf("distance after = %+v", got)
			}
		})
		t.Run("NotInvited", func(t *testing.T) {
			ci, err := e.svc.CheckInByScene(ctx, chat.ChannelOA, c9, scene)
			must(t, err)
			if !ci.Walkin || ci.SubjectID != e.c9.ID {
				t.Fatalf("walk-in = %+v", ci)
			}
			// A business's contact checks the business in.
			ci, err = e.svc.CheckInByScene(ctx, chat.ChannelOA, e.openid["contact-马鞍面馆"], scene)
			must(t, err)
			if !ci.Walkin || ci.Kind != meeting.PersonBusiness || ci.SubjectID != e.biz["马鞍面馆"].ID {
				t.Fatalf("business walk-in = %+v", ci)
			}
		})
		t.Run("TooLate", func(t *testing.T) {
			e.clk.Set(meetingAt.Add(31 * time.Minute))
			_, err := e.svc.CheckInByScene(ctx, chat.ChannelOA, c2, scene)
			if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), "截止") {
				t.Fatalf("too late: %v", err)
			}
		})
		t.Run("Attendance", func(t *testing.T) {
			c, err := e.svc.Counts(ctx, m)
			must(t, err)
			want := meeting.Counts{Invited: 3, Accepted: 1, CheckedIn: 4, Excused: 1, Absent: 0, Walkins: 2}
			if c != want {
				t.Fatalf("during the meeting: %+v, want %+v", c, want)
			}
			e.clk.Set(meetingAt.Add(3 * time.Hour))
			c, err = e.svc.Counts(ctx, m)
			must(t, err)
			// 李秀英 is excused; everyone invited came otherwise.
			if c.Absent != 0 || c.Excused != 1 || c.CheckedIn != 4 {
				t.Fatalf("after the meeting: %+v", c)
			}
		})
	})
}

// cadreID is the openid bound to a cadre.
func cadreID(e *env, id int64) string { return e.openid["cadre-"+strconv.FormatInt(id, 10)] }
