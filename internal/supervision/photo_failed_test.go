package supervision_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// notices records what would be queued in the outbox.
type notices struct {
	mu   sync.Mutex
	msgs []notify.Message
}

func (n *notices) EnqueueTx(_ *gorm.DB, msgs ...notify.Message) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.msgs = append(n.msgs, msgs...)
	return len(msgs), nil
}

// lostWeChat never has the media whose id starts with "lost"; it serves
// every other.
type lostWeChat struct{}

func (lostWeChat) DownloadMedia(_ context.Context, mediaID string) ([]byte, string, error) {
	if strings.HasPrefix(mediaID, "lost") {
		return nil, "", errors.New("media get: errcode 40007 invalid media_id")
	}
	return photoBytes(mediaID), "image/jpeg", nil
}

// TestFailedPhotoTellsSender: a photo that cannot be fetched is retried
// with backoff; after the last attempt it is marked failed and its sender
// — the visit's cadre, or the business contact who sent feedback — is
// told which picture to send again, once. Photos fetched in the end are
// stored without a word.
func TestFailedPhotoTellsSender(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		store, err := media.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		n := &notices{}
		e.svc.NotifyFailedPhotosWith(n)
		e.at(visitDay)
		in := withIssue(e.report("马鞍面馆"), "staff_health", "ok-finding")
		in.Photos = []supervision.PhotoInput{{MediaID: "ok-door", ReceivedAt: visitDay.Add(-2 * time.Minute)},
			{MediaID: "lost-door", ReceivedAt: visitDay.Add(-time.Minute)}}
		v := e.submit(t, visitDay, in)
		d, err := e.svc.Visit(ctx, v.ID)
		if err != nil || len(d.Findings) != 1 {
			t.Fatalf("visit %+v %v", d, err)
		}
		contact := registry.ActorOf("contact", 77)
		if err := e.d.InTx(ctx, func(tx *gorm.DB) error {
			_, err := e.svc.FeedbackTx(tx, []int64{d.Findings[0].RectificationID}, supervision.Feedback{Note: "已整改",
				Photos: []supervision.PhotoInput{{MediaID: "lost-feedback"}}, Actor: contact})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		at := visitDay
		for round := range 20 {
			at = at.Add(2 * time.Hour)
			e.at(at)
			if _, _, err := e.svc.FetchPhotos(ctx, lostWeChat{}, store, 10); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		d, _ = e.svc.Visit(ctx, v.ID)
		for _, p := range d.Photos {
			want := supervision.PhotoStored
			if strings.HasPrefix(p.MediaID, "lost") {
				want = supervision.PhotoFailed
			}
			if p.Status != want {
				t.Errorf("photo %s is %s, want %s", p.MediaID, p.Status, want)
			}
		}
		if len(n.msgs) != 2 {
			t.Fatalf("%d notices, want 2 (the cadre's lost picture, the contact's): %+v", len(n.msgs), n.msgs)
		}
		byTo := map[notify.RecipientKind]notify.Message{}
		for _, m := range n.msgs {
			byTo[m.To.Kind] = m
			if m.Kind != supervision.KindPhotoFailed || m.Channel != notify.ChannelCustom {
				t.Errorf("notice %+v", m)
			}
		}
		cadre, fb := byTo[notify.ToCadre], byTo[notify.ToContact]
		// The lost door picture came second (the finding's photo is received
		// with the report, after both).
		if cadre.To.ID != e.cadreOf("马鞍面馆").ID || !strings.Contains(cadre.Text, "第2张照片未能保存，请重新发送") || !strings.Contains(cadre.Text, "马鞍面馆") {
			t.Errorf("cadre's notice %+v", cadre)
		}
		if fb.To.ID != 77 || !strings.Contains(fb.Text, "第1张照片未能保存，请重新发送") || !strings.Contains(fb.Text, "整改") {
			t.Errorf("contact's notice %+v", fb)
		}
	})
}
