// Package bot holds the conversations: what the service answers to each
// user, by role. It sees plain chat messages (package chat) and calls the
// feature services; it knows nothing of XML, signatures or HTTP.
package bot

import (
	"context"
	"log/slog"
	"strings"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
)

// Bot answers users of the Official Account and the WeCom robot.
type Bot struct {
	accounts *account.Service
	clock    clock.Clock
	log      *slog.Logger
}

// Deps are the services the bot talks to.
type Deps struct {
	Accounts *account.Service
	Clock    clock.Clock
	Log      *slog.Logger
}

// New returns the bot.
func New(d Deps) *Bot {
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Bot{accounts: d.Accounts, clock: d.Clock, log: d.Log}
}

// user is who is talking, with their bound identities.
type user struct {
	in  chat.Inbound
	ids []account.Identity
}

func (u user) bound() bool { return len(u.ids) > 0 }

// Handle answers one message or event.
func (b *Bot) Handle(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
	if in.Kind == chat.KindEvent {
		return b.event(ctx, in)
	}
	ids, err := b.accounts.Identities(ctx, in.Channel, in.UserID)
	if err != nil {
		return chat.Outbound{}, err
	}
	u := user{in: in, ids: ids}
	if u.bound() {
		// The customer-service window (48 h) runs from the user's last message.
		if err := b.accounts.Touch(ctx, in.Channel, in.UserID, b.clock.Now()); err != nil {
			b.log.Warn("touch identity failed", "err", err.Error())
		}
	}
	text := strings.TrimSpace(in.Text)
	switch in.Kind {
	case chat.KindText, chat.KindVoice:
		if text == "" {
			return chat.Say(msgVoiceUnheard), nil
		}
		return b.command(ctx, u, text)
	case chat.KindImage, chat.KindLocation:
		if !u.bound() {
			return chat.Say(msgWelcome), nil
		}
		return chat.Say(msgNoFlowForMedia), nil
	}
	return chat.Say(msgUnsupported), nil
}

func (b *Bot) event(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
	switch in.Event {
	case chat.EventUnsubscribe:
		return chat.Outbound{}, b.accounts.MarkUnreachable(ctx, in.Channel, in.UserID)
	case chat.EventSubscribe, chat.EventScan:
		if account.IsScene(in.EventKey) {
			return b.bindByScene(ctx, in)
		}
		ids, err := b.accounts.Identities(ctx, in.Channel, in.UserID)
		if err != nil {
			return chat.Outbound{}, err
		}
		if in.Event == chat.EventScan && len(ids) > 0 {
			return chat.Outbound{}, nil
		}
		return b.greet(ctx, user{in: in, ids: ids})
	case chat.EventClick:
		ids, err := b.accounts.Identities(ctx, in.Channel, in.UserID)
		if err != nil {
			return chat.Outbound{}, err
		}
		u := user{in: in, ids: ids}
		if cmd, ok := menuCommands[in.EventKey]; ok {
			return b.command(ctx, u, cmd)
		}
		return b.help(ctx, u, "")
	}
	return chat.Outbound{}, nil
}

// command answers a typed (or spoken, or menu) command.
func (b *Bot) command(ctx context.Context, u user, text string) (chat.Outbound, error) {
	word, rest := splitCommand(text)
	switch word {
	case "绑定":
		if rest == "" {
			return chat.Say(msgBindHow), nil
		}
		return b.bind(ctx, u, rest)
	case "解绑":
		return b.unbind(ctx, u)
	case "帮助", "菜单", "help", "?", "？":
		return b.help(ctx, u, "")
	case "我是谁", "身份", "我的身份":
		return b.whoami(ctx, u)
	}
	if !u.bound() {
		// A stranger typing a code without the word 绑定 is common.
		if looksLikeCode(text) {
			return b.bind(ctx, u, text)
		}
		return chat.Say(msgWelcome), nil
	}
	return b.help(ctx, u, msgNotUnderstood)
}

func (b *Bot) greet(ctx context.Context, u user) (chat.Outbound, error) {
	if !u.bound() {
		return chat.Say(msgWelcome), nil
	}
	return b.help(ctx, u, msgWelcomeBack)
}

func (b *Bot) bind(ctx context.Context, u user, code string) (chat.Outbound, error) {
	id, err := b.accounts.Bind(ctx, u.in.Channel, u.in.UserID, code)
	if err != nil {
		return userError(err)
	}
	return b.bound(ctx, *id)
}

func (b *Bot) bindByScene(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
	id, err := b.accounts.BindByScene(ctx, in.Channel, in.UserID, in.EventKey)
	if err != nil {
		out, herr := userError(err)
		if herr == nil && in.Event == chat.EventSubscribe {
			out.Text += "\n\n" + msgWelcome
		}
		return out, herr
	}
	return b.bound(ctx, *id)
}

func (b *Bot) bound(ctx context.Context, id account.Identity) (chat.Outbound, error) {
	who, err := b.accounts.Describe(ctx, id)
	if err != nil {
		return chat.Outbound{}, err
	}
	return chat.Say(sprintf(msgBound, who) + "\n\n" + helpFor([]account.Identity{id})), nil
}

func (b *Bot) unbind(ctx context.Context, u user) (chat.Outbound, error) {
	ids, err := b.accounts.Unbind(ctx, u.in.Channel, u.in.UserID)
	if err != nil {
		return userError(err)
	}
	var names []string
	for _, id := range ids {
		if who, err := b.accounts.Describe(ctx, id); err == nil {
			names = append(names, who)
		}
	}
	return chat.Say(sprintf(msgUnbound, strings.Join(names, "、"))), nil
}

func (b *Bot) whoami(ctx context.Context, u user) (chat.Outbound, error) {
	if !u.bound() {
		return chat.Say(msgWelcome), nil
	}
	var lines []string
	for _, id := range u.ids {
		who, err := b.accounts.Describe(ctx, id)
		if err != nil {
			return chat.Outbound{}, err
		}
		lines = append(lines, "· "+who)
	}
	return chat.Say(msgYouAre + "\n" + strings.Join(lines, "\n")), nil
}

func (b *Bot) help(_ context.Context, u user, prefix string) (chat.Outbound, error) {
	if !u.bound() {
		return chat.Say(msgWelcome), nil
	}
	text := helpFor(u.ids)
	if prefix != "" {
		text = prefix + "\n\n" + text
	}
	return chat.Say(text), nil
}

// userError turns the kinds a user can act on into a reply; anything else
// is returned for the adapter to log and apologise for.
func userError(err error) (chat.Outbound, error) {
	switch errs.KindOf(err) {
	case errs.Invalid, errs.NotFound, errs.Conflict, errs.Forbidden, errs.TooMany:
		return chat.Say(errs.MessageOf(err)), nil
	}
	return chat.Outbound{}, err
}

// splitCommand separates the command word from its argument: "绑定 7KQ4M2XP",
// "绑定7KQ4M2XP" and "绑定：7KQ4M2XP" all give ("绑定", "7KQ4M2XP").
func splitCommand(text string) (string, string) {
	text = strings.TrimSpace(text)
	for _, w := range []string{"绑定", "解绑"} {
		if strings.HasPrefix(text, w) {
			rest := strings.TrimLeft(strings.TrimPrefix(text, w), " \u3000:：")
			return w, strings.TrimSpace(rest)
		}
	}
	return text, ""
}

// looksLikeCode is true for 8 characters of the binding-code alphabet,
// possibly with a space or dash in the middle.
func looksLikeCode(s string) bool {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
	if len(s) != 8 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("23456789ABCDEFGHJKMNPQRSTUVWXYZ", r) {
			return false
		}
	}
	return true
}
