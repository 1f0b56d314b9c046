package wechat

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/kv"
)

// A reply's choices go out as a customer-service msgmenu (tappable
// options) when the platform takes one, and as the reply's plain text
// otherwise, never both: the callback first tries the msgmenu within its
// reply budget and answers the platform "success" when it was accepted,
// else it answers with the text. A passive reply cannot be a msgmenu.

// CodeInvalidAccountType is the platform's refusal of a message type the
// account may not send (test accounts refuse msgmenu).
const CodeInvalidAccountType = 40200

// Menu timing and memory.
const (
	// minMenuTime is the least budget left worth trying a msgmenu in; with
	// less, the text goes at once.
	minMenuTime = 300 * time.Millisecond
	// lateMenuTimeout bounds a msgmenu sent after the budget (a late reply).
	lateMenuTimeout = 5 * time.Second
	// menuRefusedTTL is how long an account's refusal (40200) is believed:
	// an account upgraded from a test account gets its menus back a day later.
	menuRefusedTTL = 24 * time.Hour
	// Outcomes of a turn's msgmenu, kept beside the turn's answer.
	menuPending = "pending"
	menuSent    = "sent"
	menuText    = "text"
)

// MenuSender sends a question with tappable options as a customer-service
// msgmenu. *Client implements it.
type MenuSender interface {
	SendMenu(ctx context.Context, toUser string, m chat.Menu) error
}

var _ MenuSender = (*Client)(nil)

// menus decides, per turn, whether the choices went out as a msgmenu.
type menus struct {
	kv    kv.Store
	send  MenuSender
	appID string
	log   *slog.Logger
}

func (m *menus) refusedKey() string { return "wx:msgmenu:refused:" + hashID(m.appID) }

func menuKey(in chat.Inbound) string { return "wx:menu:" + string(in.Channel) + ":" + in.MsgKey }

// offer tries to send out's menu to the user of in before deadline and
// reports whether it went: then the passive reply is "success". A repeat
// delivery of the same turn gets the first delivery's outcome, so the user
// sees the options once, as a menu or as text.
func (m *menus) offer(ctx context.Context, in chat.Inbound, out chat.Outbound, deadline time.Time) bool {
	if m == nil || m.send == nil || out.Menu == nil || !MenuFits(*out.Menu) || in.UserID == "" {
		return false
	}
	key := menuKey(in)
	first, err := m.kv.SetNX(ctx, key, menuPending, turnTTL)
	if err != nil {
		// Without the store a repeat could send the menu twice: text is safe.
		return false
	}
	if !first {
		return m.await(ctx, key, deadline)
	}
	left := time.Until(deadline)
	if left < minMenuTime || m.refused(ctx) {
		m.settle(ctx, key, menuText)
		return false
	}
	sctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	sent := m.try(sctx, in.UserID, *out.Menu)
	if sent {
		m.settle(ctx, key, menuSent)
	} else {
		m.settle(ctx, key, menuText)
	}
	return sent
}

// try sends the menu; a 40200 is remembered for the account.
func (m *menus) try(ctx context.Context, toUser string, menu chat.Menu) bool {
	err := m.send.SendMenu(ctx, toUser, menu)
	if err == nil {
		return true
	}
	var e *Error
	if errors.As(err, &e) && e.Code == CodeInvalidAccountType {
		if err := m.kv.Set(context.WithoutCancel(ctx), m.refusedKey(), "1", menuRefusedTTL); err != nil {
			m.log.Warn("wechat msgmenu refusal not remembered", "err", err.Error())
		}
		return false
	}
	m.log.Warn("wechat msgmenu failed, answering with text", "err", err.Error())
	return false
}

func (m *menus) refused(ctx context.Context) bool {
	_, err := m.kv.Get(ctx, m.refusedKey())
	return err == nil
}

func (m *menus) settle(ctx context.Context, key, outcome string) {
	if err := m.kv.Set(context.WithoutCancel(ctx), key, outcome, turnTTL); err != nil {
		m.log.Warn("wechat msgmenu outcome not stored", "err", err.Error())
	}
}

// await waits for another delivery's outcome of the same turn. When none
// comes in time the text goes: the user sees the options twice rather
// than never.
func (m *menus) await(ctx context.Context, key string, deadline time.Time) bool {
	wait := pollInterval
	for {
		v, err := m.kv.Get(ctx, key)
		switch {
		case err == nil && v == menuSent:
			return true
		case err == nil && v == menuText, err != nil && !errors.Is(err, kv.ErrMiss):
			return false
		}
		if time.Now().Add(wait).After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, maxPollInterval)
	}
}

// menuLate sends a late answer's choices as a msgmenu when it can, and
// the answer's text through the next sender otherwise.
type menuLate struct {
	menus *menus
	next  LateSender
}

func (l menuLate) SendLate(ctx context.Context, in chat.Inbound, out chat.Outbound) error {
	if l.menus.offer(ctx, in, out, time.Now().Add(lateMenuTimeout)) {
		return nil
	}
	return l.next.SendLate(ctx, in, out)
}

// MenuFits reports whether the platform can show m as a msgmenu: one to
// chat.MaxMenuOptions options, each with text and a distinct id written
// as a plain positive number (the platform echoes the id back as an
// integer in bizmsgmenuid, so "01" or "a" would not come back as sent).
func MenuFits(m chat.Menu) bool {
	if len(m.Options) == 0 || len(m.Options) > chat.MaxMenuOptions {
		return false
	}
	seen := make(map[string]bool, len(m.Options))
	for _, o := range m.Options {
		n, err := strconv.ParseInt(o.ID, 10, 64)
		if err != nil || n <= 0 || strconv.FormatInt(n, 10) != o.ID || seen[o.ID] || strings.TrimSpace(o.Text) == "" {
			return false
		}
		seen[o.ID] = true
	}
	return true
}

// MenuText is the menu as plain text: head, one numbered option a line, tail.
func MenuText(m chat.Menu) string {
	var b strings.Builder
	b.WriteString(m.Head)
	for i, o := range m.Options {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.Itoa(i+1) + " " + o.Text)
	}
	if m.Tail != "" {
		b.WriteString("\n" + m.Tail)
	}
	return b.String()
}

// SendMenu sends a customer-service msgmenu: m.Head above the options and
// m.Tail below; tapping an option sends its text back with its id. Errors:
// Invalid for a menu the platform cannot show (see MenuFits); a test
// account's refusal has Code CodeInvalidAccountType; otherwise as CustomSend.
func (c *Client) SendMenu(ctx context.Context, toUser string, m chat.Menu) error {
	const op = "custom send msgmenu"
	if toUser == "" || !MenuFits(m) {
		return invalid(op, "recipient and 1 to 10 options with numeric ids are required")
	}
	items := make([]message.MsgmenuItem, len(m.Options))
	for i, o := range m.Options {
		items[i] = message.MsgmenuItem{ID: o.ID, Content: o.Text}
	}
	msg := &message.CustomerMessage{ToUser: toUser, Msgtype: "msgmenu",
		Msgmenu: &message.MediaMsgmenu{HeadContent: m.Head, List: items, TailContent: m.Tail}}
	return c.postJSON(ctx, op, "/cgi-bin/message/custom/send", msg, nil)
}
