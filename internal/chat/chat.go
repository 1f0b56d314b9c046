// Package chat is the plain model of a conversation turn: what a user sent
// (Inbound) and what the service answers (Outbound), whatever the platform.
// The WeChat adapter converts platform messages to and from these types; the
// bot and the dialog engine see nothing else, so they can be tested without
// XML, signatures or HTTP.
package chat

import (
	"time"

	"github.com/shianbao/shianbao/internal/message"
)

// Channel is the platform a message came through.
type Channel string

// Channels.
const (
	// ChannelOA is the WeChat Official Account (公众号); UserID is an openid.
	ChannelOA Channel = "oa"
	// ChannelWeCom is the WeCom smart robot (企业微信智能机器人); UserID is a WeCom userid.
	ChannelWeCom Channel = "wecom"
)

// Kind is what kind of message arrived.
type Kind string

// Kinds.
const (
	KindText     Kind = "text"
	KindImage    Kind = "image"
	KindVoice    Kind = "voice"
	KindVideo    Kind = "video"
	KindLocation Kind = "location"
	KindLink     Kind = "link"
	KindFile     Kind = "file"
	KindEvent    Kind = "event"
	// KindUnknown is anything the platform may add later; the bot answers politely.
	KindUnknown Kind = "unknown"
)

// Event names an event (Kind == KindEvent).
type Event string

// Events.
const (
	EventSubscribe      Event = "subscribe"
	EventUnsubscribe    Event = "unsubscribe"
	EventScan           Event = "scan"
	EventClick          Event = "click"
	EventView           Event = "view"
	EventLocation       Event = "location"
	EventTemplateFinish Event = "template_finish"
	EventOther          Event = "other"
)

// Inbound is one message or event from a user.
type Inbound struct {
	Channel Channel
	// UserID is the openid (Official Account) or WeCom userid.
	UserID string
	// ChatID is the WeCom group chat id; empty for a single chat.
	ChatID string
	Group  bool
	Kind   Kind
	Event  Event
	// Text is the message text, or the platform's recognition of a voice message.
	Text string
	// MenuID is the bizmsgmenuid when the text came from tapping an option
	// of a msgmenu the service sent; Text is then the option's text.
	MenuID string
	// MediaID and PicURL locate a photo (or voice) on the platform.
	MediaID string
	PicURL  string
	// Latitude, Longitude, Label and Scale come with a location message or
	// location event (for events Label and Scale are empty and Precision is set).
	Latitude  float64
	Longitude float64
	Label     string
	Scale     int
	Precision float64
	// EventKey is the menu key of a click, the URL of a view, or the scene
	// of a QR scan or subscribe-by-QR (without the "qrscene_" prefix).
	EventKey string
	// MsgID is the platform's message id (0 for events).
	MsgID int64
	// MsgKey is what identifies a delivery for dedupe: the message id, or for
	// events user+time+event+key.
	MsgKey string
	// TemplateMsgID and Status describe a template-send-job-finish event.
	TemplateMsgID int64
	Status        string
	Time          time.Time
}

// IsEvent reports whether the inbound is the given event.
func (in Inbound) IsEvent(e Event) bool { return in.Kind == KindEvent && in.Event == e }

// Outbound is the answer to one inbound. The zero value means no reply.
type Outbound struct {
	// Text is a plain-text reply (keep under ~600 Chinese characters).
	Text string
	// Articles is a news (图文) reply: a title, description, picture and link
	// per article; the platform shows one (since 2023) or up to eight.
	Articles []Article
	// Menu, when set, offers the reply's choices as tappable options. Text
	// stays the whole answer (the question with its numbered choices), so a
	// platform or an account that cannot show a menu sends Text and loses
	// nothing; the WeChat adapter sends the menu as a customer-service
	// msgmenu inside the 48-hour window and falls back to Text otherwise.
	Menu *Menu
}

// The shapes of a reply live in the leaf package message, so that the
// conversation engine can build them without importing the transport.
type (
	// Menu is a question with tappable options (msgmenu).
	Menu = message.Menu
	// MenuOption is one tappable option of a Menu.
	MenuOption = message.MenuOption
	// Article is one card of a news reply.
	Article = message.Article
)

// MaxMenuOptions is the platform's limit on a msgmenu's options.
const MaxMenuOptions = message.MaxMenuOptions

// Empty reports whether there is nothing to send.
func (o Outbound) Empty() bool { return o.Text == "" && len(o.Articles) == 0 && o.Menu == nil }

// Say is a text reply.
func Say(text string) Outbound { return Outbound{Text: text} }
