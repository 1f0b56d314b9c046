// Package bot holds the conversations: what the service answers to each
// user, by role. It sees plain chat messages (package chat) and calls the
// feature services; it knows nothing of XML, signatures or HTTP.
package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/letter"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/selfcheck"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Bot answers users of the Official Account and the WeCom robot.
type Bot struct {
	accounts    *account.Service
	registry    *registry.Service
	supervision *supervision.Service
	query       *query.Reader
	dialog      *dialog.Engine
	lettersSvc  *letter.Service
	cards       *card.Service
	selfcheck   *selfcheck.Service
	incidents   *incident.Service
	pledges     *pledge.Service
	kv          kv.Store
	links       Links
	clock       clock.Clock
	log         *slog.Logger
}

// Links builds the H5 links the bot sends (signed by the web layer).
type Links interface {
	VisitReceipt(visitID int64, reader registry.Actor, expires time.Time) string
	VillageCards(regionID int64, reader registry.Actor, expires time.Time) string
	Rectification(id int64, reader registry.Actor, expires time.Time) string
}

// Deps are the services the bot talks to.
type Deps struct {
	Accounts    *account.Service
	Registry    *registry.Service
	Supervision *supervision.Service
	// Query is the read side: progress, overdue and business searches.
	Query *query.Reader
	// Letters and Cards serve the business side; nil leaves it out.
	Letters *letter.Service
	Cards   *card.Service
	// SelfCheck keeps the business's own records (日管控/周排查/月调度);
	// nil leaves them out.
	SelfCheck *selfcheck.Service
	// Incidents takes incident reports (应急上报); nil leaves them out.
	Incidents *incident.Service
	// Pledges are the 承诺书 to sign; nil leaves them out.
	Pledges *pledge.Service
	KV      kv.Store
	// Drafts keeps unfinished reports durably (7 days); nil keeps them in kv only.
	Drafts dialog.DraftStore
	Links  Links
	Clock  clock.Clock
	Log    *slog.Logger
}

// New returns the bot.
func New(d Deps) *Bot {
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	b := &Bot{accounts: d.Accounts, registry: d.Registry, supervision: d.Supervision, query: d.Query, kv: d.KV,
		lettersSvc: d.Letters, cards: d.Cards, selfcheck: d.SelfCheck, incidents: d.Incidents, pledges: d.Pledges, links: d.Links, clock: d.Clock, log: d.Log}
	b.dialog = dialog.New(dialog.Options{
		KV: d.KV, Drafts: d.Drafts, Clock: d.Clock, Interrupt: b.interrupt, Command: flowOf,
	}, b.visitFlow(), b.recheckFlow(), b.feedbackFlow(), b.dailyFlow(), b.weeklyFlow(), b.monthlyFlow(), b.unbindFlow(), b.incidentFlow())
	return b
}

// dialogUser is the dialog engine's key for a user: one conversation per
// person per channel.
func dialogUser(u user) string { return string(u.in.Channel) + ":" + u.in.UserID }

func userHash(id string) string {
	sum := sha256.Sum256([]byte("shianbao-bot:" + id))
	return hex.EncodeToString(sum[:8])
}

// user is who is talking, with their bound identities.
type user struct {
	in  chat.Inbound
	ids []account.Identity
}

func (u user) bound() bool { return len(u.ids) > 0 }

// Handle answers one message or event. A voice message is handled as the
// platform's recognition of it, and the reply says what was heard.
func (b *Bot) Handle(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
	out, err := b.handle(ctx, in)
	if err == nil && in.Kind == chat.KindVoice && strings.TrimSpace(in.Text) != "" && !out.Empty() {
		heard := sprintf(msgHeard, strings.TrimSpace(in.Text))
		out.Text = heard + "\n\n" + out.Text
		if out.Menu != nil {
			m := *out.Menu
			m.Head = heard + "\n\n" + m.Head
			out.Menu = &m
		}
	}
	return out, err
}

func (b *Bot) handle(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
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
			b.log.WarnContext(ctx, "touch identity failed", "err", err.Error())
		}
	}
	text := strings.TrimSpace(in.Text)
	if (in.Kind == chat.KindText || in.Kind == chat.KindVoice) && text == "" {
		return chat.Say(msgVoiceUnheard), nil
	}
	// A stranger may be in the middle of an incident report, the one
	// conversation open to them.
	if out, handled, err := b.continueDialog(ctx, u); handled || err != nil {
		return out, err
	}
	switch in.Kind {
	case chat.KindText, chat.KindVoice:
		return b.command(ctx, u, text)
	case chat.KindImage, chat.KindLocation:
		if !u.bound() {
			return chat.Say(msgWelcome), nil
		}
		return chat.Say(msgNoFlowForMedia), nil
	}
	return chat.Say(msgUnsupported), nil
}

// continueDialog feeds the message to the user's conversation in progress
// (or its saved draft); handled is false when there is none.
func (b *Bot) continueDialog(ctx context.Context, u user) (chat.Outbound, bool, error) {
	reply, handled, err := b.dialog.Handle(ctx, dialogUser(u), inputOf(u.in))
	if err != nil || !handled {
		return chat.Outbound{}, handled, err
	}
	out, err := b.then(ctx, u, reply)
	return out, true, err
}

// then answers a reply's Then: the command the user chose over the
// conversation (switching to it, or 重新开始), after the reply's text.
func (b *Bot) then(ctx context.Context, u user, r dialog.Reply) (chat.Outbound, error) {
	if r.Then == "" {
		return replyOut(r), nil
	}
	// The command runs as a delivery of its own: the one that handed it
	// back is already answered (by this) in the conversation it ended.
	if u.in.MsgKey != "" {
		u.in.MsgKey += "#then"
	}
	u.in.Kind, u.in.Text = chat.KindText, r.Then
	out, err := b.command(ctx, u, r.Then)
	if err != nil || r.Text == "" {
		return out, err
	}
	out.Text = r.Text + "\n\n" + out.Text
	if out.Menu != nil {
		m := *out.Menu
		m.Head = r.Text + "\n\n" + m.Head
		out.Menu = &m
	}
	return out, nil
}

// started answers the start of a conversation (or the offer to continue
// one): its first question, or the command its reply hands back.
func (b *Bot) started(ctx context.Context, u user) func(dialog.Reply, error) (chat.Outbound, error) {
	return func(r dialog.Reply, err error) (chat.Outbound, error) {
		if err != nil {
			return chat.Outbound{}, err
		}
		return b.then(ctx, u, r)
	}
}

// start begins flow for the user, or offers to continue the one of it
// they already started (cmd is the command, run again on 重新开始).
func (b *Bot) start(ctx context.Context, u user, flow string, state any, cmd string) (dialog.Reply, error) {
	if t := strings.TrimSpace(u.in.Text); t != "" && u.in.Kind != chat.KindEvent {
		cmd = t
	}
	return b.dialog.Begin(ctx, dialogUser(u), flow, inputOf(u.in), cmd, func(context.Context) (dialog.Opening, error) {
		return dialog.Opening{State: state}, nil
	})
}

// flowOf tells the commands that start a conversation, for the dialog
// engine: typed (or tapped) in the middle of another, they are asked
// about rather than taken as an answer.
func flowOf(text string) (string, bool) {
	if _, ok := parseQuick(text); ok {
		return flowVisit, true
	}
	switch text {
	case cmdRectifications, "复查":
		return flowRecheck, true
	case cmdFeedback:
		return flowFeedback, true
	case cmdDaily:
		return flowDaily, true
	case cmdWeekly:
		return flowWeekly, true
	case cmdMonthly:
		return flowMonthly, true
	case "解绑":
		return flowUnbind, true
	}
	if isIncidentCommand(text) {
		return flowIncident, true
	}
	return "", false
}

// inputOf converts a chat message to the dialog engine's input.
func inputOf(m chat.Inbound) dialog.Input {
	in := dialog.Input{ID: m.MsgKey, Text: strings.TrimSpace(m.Text), At: m.Time, Menu: m.Kind == chat.KindEvent}
	switch m.Kind {
	case chat.KindImage:
		in.Photo = &dialog.Photo{MediaID: m.MediaID, PicURL: m.PicURL}
	case chat.KindLocation:
		in.Location = &dialog.Location{Lat: m.Latitude, Lng: m.Longitude, Label: m.Label}
	}
	return in
}

func replyOut(r dialog.Reply) chat.Outbound {
	return chat.Outbound{Text: r.Text, Articles: r.Articles, Menu: r.Menu}
}

// interrupt answers list commands typed in the middle of a conversation;
// the engine then repeats the question it was waiting on.
func (b *Bot) interrupt(ctx context.Context, key string, text string) (string, bool, error) {
	ch, id, ok := strings.Cut(key, ":")
	if !ok {
		return "", false, nil
	}
	switch text {
	case cmdTasks, cmdRecords, cmdProgress, cmdProgressCadres, cmdProgressVillages, cmdOverdue, cmdNextPage, "我是谁", cmdLetters, cmdContact:
	case "绑定":
		return msgAlreadyBound, true, nil
	case cmdCard, "菜单", cmdPledge:
	default:
		return "", false, nil
	}
	ids, err := b.accounts.Identities(ctx, chat.Channel(ch), id)
	if err != nil {
		return "", false, err
	}
	u := user{in: chat.Inbound{Channel: chat.Channel(ch), UserID: id}, ids: ids}
	switch text {
	case "菜单":
		return helpFor(ids), true, nil
	case cmdCard:
		out, err := b.knowledgeCard(ctx, u)
		return outText(out), err == nil, err
	case cmdPledge:
		out, err := b.pledge(ctx, u)
		return outText(out), err == nil, err
	}
	out, err := b.listCommand(ctx, u, text)
	return out, err == nil, err
}

// outText is a reply as plain text: a news card as its title, text and link.
func outText(o chat.Outbound) string {
	parts := []string{o.Text}
	for _, a := range o.Articles {
		parts = append(parts, a.Title+"\n"+a.Description+"\n"+a.URL)
	}
	return strings.TrimSpace(strings.Join(parts, "\n"))
}

// listCommand answers the read-only commands.
func (b *Bot) listCommand(ctx context.Context, u user, text string) (string, error) {
	switch text {
	case cmdTasks:
		return b.tasks(ctx, u, 0)
	case cmdRecords:
		return b.records(ctx, u)
	case cmdProgress:
		return b.progress(ctx, u)
	case cmdProgressCadres:
		return b.progressByCadre(ctx, u, 0)
	case cmdProgressVillages:
		return b.progressByVillage(ctx, u, 0)
	case cmdOverdue:
		return b.overdue(ctx, u, 0)
	case cmdNextPage:
		return b.nextPage(ctx, u)
	case "我是谁":
		out, err := b.whoami(ctx, u)
		return out.Text, err
	case cmdLetters:
		return b.letters(ctx, u)
	case cmdContact, "包保干部", "联系干部":
		return b.contactCadre(ctx, u)
	}
	return "", nil
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
		cmd, ok := menuCommands[in.EventKey]
		if !ok {
			return b.help(ctx, u, "")
		}
		// A tap in the middle of a conversation is answered there and
		// keeps it, as the typed command would be.
		u.in.Text = cmd
		if out, handled, err := b.continueDialog(ctx, u); handled || err != nil {
			return out, err
		}
		return b.command(ctx, u, cmd)
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
		if !u.bound() {
			return b.unbind(ctx, u)
		}
		return b.started(ctx, u)(b.start(ctx, u, flowUnbind, nil, "解绑"))
	case "帮助", "菜单", "help", "?", "？":
		return b.help(ctx, u, "")
	case "我是谁", "身份", "我的身份":
		return b.whoami(ctx, u)
	}
	if isIncidentCommand(word) && b.incidents != nil {
		// Anyone may report an incident, bound or not.
		return b.started(ctx, u)(b.startIncident(ctx, u))
	}
	if u.bound() {
		if out, ok, err := b.incidentStep(ctx, u, text); ok {
			return out, err
		}
		if out, ok, err := b.selfCheckCommand(ctx, u, text); ok {
			return out, err
		}
		if _, err := strconv.Atoi(toASCIIDigits(text)); err == nil && u.cadreID() != 0 && b.lastList(ctx, u) == cmdTasks {
			// A number right after 我的任务 picks that task to report on.
			return b.started(ctx, u)(b.startVisit(ctx, u, 0, "上报 "+text))
		}
		if q, ok := parseQuick(text); ok && !q.empty() {
			return b.started(ctx, u)(b.startVisit(ctx, u, 0, text))
		}
		switch word {
		case cmdTasks, cmdRecords, cmdProgress, cmdProgressCadres, cmdProgressVillages, cmdOverdue, cmdNextPage, cmdLetters, cmdContact, "包保干部", "联系干部":
			out, err := b.listCommand(ctx, u, word)
			return chat.Say(out), err
		case cmdCard:
			return b.knowledgeCard(ctx, u)
		case cmdPledge:
			return b.pledge(ctx, u)
		case cmdFeedback:
			return b.started(ctx, u)(b.startFeedback(ctx, u))
		case cmdReport, "上报", "督导":
			return b.started(ctx, u)(b.startVisit(ctx, u, 0, text))
		case cmdRectifications, "复查":
			return b.started(ctx, u)(b.startRecheck(ctx, u))
		}
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
	if id.Role == account.RoleContact && b.lettersSvc != nil {
		// Letters issued before the business bound go out now.
		if err := b.lettersSvc.OnBind(ctx, id.SubjectID); err != nil {
			b.log.WarnContext(ctx, "deliver pending letters failed", "err", err.Error())
		}
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
