package wechat

import (
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
)

// TestInboundKinds: every kind of message the platform sends reaches the bot
// as its plain kind, with what the kind carries.
func TestInboundKinds(t *testing.T) {
	f := newFixture(t, kv.NewMemory(), nil)
	now := time.Now()
	msgs := []Message{
		LocationMessage("o-k", vecAppID, 31.56, 120.16, "胡埭镇", nextID(), now),
		ImageMessage("o-k", vecAppID, "media-1", "http://x/p.jpg", nextID(), now),
		EventMessage("o-k", vecAppID, "subscribe", "qrscene_b1.abc", now),
		EventMessage("o-k", vecAppID, "SCAN", "b1.def", now.Add(time.Second)),
		{FromUserName: cdata{"o-k"}, ToUserName: cdata{vecAppID}, CreateTime: now.Unix(), MsgType: cdata{"miniprogrampage"}, MsgID: nextID()},
	}
	for _, m := range msgs {
		if _, err := f.send(t, m, ModePlain); err != nil {
			t.Fatal(err)
		}
	}
	c := f.bot.calls
	if c[0].Kind != chat.KindLocation || c[0].Latitude != 31.56 || c[0].Longitude != 120.16 || c[0].Label != "胡埭镇" {
		t.Errorf("location %+v", c[0])
	}
	if c[1].Kind != chat.KindImage || c[1].MediaID != "media-1" {
		t.Errorf("image %+v", c[1])
	}
	if !c[2].IsEvent(chat.EventSubscribe) || c[2].EventKey != "b1.abc" {
		t.Errorf("subscribe by QR %+v", c[2])
	}
	if !c[3].IsEvent(chat.EventScan) || c[3].EventKey != "b1.def" {
		t.Errorf("scan %+v", c[3])
	}
	if c[4].Kind != chat.KindUnknown {
		t.Errorf("unknown type %+v", c[4])
	}
}
