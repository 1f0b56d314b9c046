package wechat

import (
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/shianbao/shianbao/internal/chat"
)

// qrScenePrefix starts the EventKey of a subscribe event that came from a
// parameterised QR code; a scan by an existing follower has no prefix.
const qrScenePrefix = "qrscene_"

// toInbound converts the SDK's message into the plain model.
func toInbound(m *message.MixMessage) chat.Inbound {
	in := chat.Inbound{
		Channel: chat.ChannelOA,
		UserID:  string(m.FromUserName),
		MsgID:   m.MsgID,
		Time:    time.Unix(m.CreateTime, 0),
	}
	switch m.MsgType {
	case message.MsgTypeText:
		in.Kind, in.Text = chat.KindText, m.Content
		if m.BizMsgMenuID > 0 {
			// Tapped from a msgmenu: Content is the option's text.
			in.MenuID = strconv.FormatInt(m.BizMsgMenuID, 10)
		}
	case message.MsgTypeImage:
		in.Kind, in.MediaID, in.PicURL = chat.KindImage, m.MediaID, m.PicURL
	case message.MsgTypeVoice:
		// With speech recognition on, the platform sends what it heard; the
		// bot treats it like typed text.
		in.Kind, in.MediaID, in.Text = chat.KindVoice, m.MediaID, m.Recognition
	case message.MsgTypeVideo, message.MsgTypeShortVideo:
		in.Kind, in.MediaID = chat.KindVideo, m.MediaID
	case message.MsgTypeLocation:
		in.Kind = chat.KindLocation
		in.Latitude, in.Longitude = m.LocationX, m.LocationY
		in.Scale, in.Label = int(m.Scale), m.Label
	case message.MsgTypeLink:
		in.Kind, in.Text = chat.KindLink, m.URL
	case message.MsgTypeEvent:
		in.Kind = chat.KindEvent
		in.Event, in.EventKey = toEvent(m)
		switch in.Event {
		case chat.EventLocation:
			in.Latitude, _ = strconv.ParseFloat(m.Latitude, 64)
			in.Longitude, _ = strconv.ParseFloat(m.Longitude, 64)
			in.Precision, _ = strconv.ParseFloat(m.Precision, 64)
		case chat.EventTemplateFinish:
			in.TemplateMsgID, in.Status = m.TemplateMsgID, m.Status
		}
	default:
		in.Kind = chat.KindUnknown
	}
	in.MsgKey = dedupeKey(m, in)
	return in
}

func toEvent(m *message.MixMessage) (chat.Event, string) {
	switch m.Event {
	case message.EventSubscribe:
		return chat.EventSubscribe, strings.TrimPrefix(m.EventKey, qrScenePrefix)
	case message.EventUnsubscribe:
		return chat.EventUnsubscribe, ""
	case message.EventScan:
		return chat.EventScan, m.EventKey
	case message.EventClick:
		return chat.EventClick, m.EventKey
	case message.EventView:
		return chat.EventView, m.EventKey
	case message.EventLocation:
		return chat.EventLocation, ""
	case message.EventTemplateSendJobFinish:
		return chat.EventTemplateFinish, ""
	}
	return chat.EventOther, string(m.Event)
}

// dedupeKey identifies one delivery: the platform retries a message with
// the same MsgId, and an event with the same sender, time, event and key.
func dedupeKey(m *message.MixMessage, in chat.Inbound) string {
	if m.MsgID != 0 && m.MsgType != message.MsgTypeEvent {
		return "m:" + strconv.FormatInt(m.MsgID, 10)
	}
	if in.Event == chat.EventTemplateFinish && m.TemplateMsgID != 0 {
		return "t:" + strconv.FormatInt(m.TemplateMsgID, 10) + ":" + m.Status
	}
	return "e:" + hashID(string(m.FromUserName)) + ":" + strconv.FormatInt(m.CreateTime, 10) + ":" + string(m.Event) + ":" + m.EventKey
}

// toReply converts the bot's answer into the SDK's reply; nil means no reply.
func toReply(out chat.Outbound) *message.Reply {
	if len(out.Articles) > 0 {
		arts := make([]*message.Article, 0, len(out.Articles))
		for _, a := range out.Articles {
			arts = append(arts, message.NewArticle(a.Title, a.Description, a.PicURL, a.URL))
		}
		return &message.Reply{MsgType: message.MsgTypeNews, MsgData: message.NewNews(arts)}
	}
	if text := textOf(out); text != "" {
		return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(text)}
	}
	return nil
}

// textOf is the reply's text; a reply that is only a menu is written out.
func textOf(out chat.Outbound) string {
	if out.Text == "" && out.Menu != nil {
		return MenuText(*out.Menu)
	}
	return out.Text
}
