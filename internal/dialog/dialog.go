// Package dialog is the conversation engine: a flow is a list of steps, each
// asking one question, and the engine walks a user through it one message at
// a time — parsing and validating answers, handling the commands that work
// everywhere (取消, 返回, 帮助, 跳过, 不变), answering interruptions, and
// keeping the session in kv and a durable draft so a report survives an
// expired session or a restarted server.
//
// It knows nothing of WeChat, Echo or GORM: the bot turns platform messages
// into Inputs and Replies into platform messages, and the draft package
// stores drafts in the database.
//
// Moving around: answering a step goes on to the next step in order that
// applies (When). 返回 goes back along the way the user came and asks that
// step again; later answers are kept, each step shows its current answer
// when asked again, and 不变 keeps it. A shortcut may fill later steps; the
// engine passes over the ones it filled. 跳过 answers a Skippable step with
// Value{Skipped: true}. Three invalid inputs in a row add a hint about 帮助
// and 取消. The session lives SessionTTL after the last message; then the
// next message gets "继续上次「…」的督导吗？" while the draft lasts.
//
// A turn costs one kv read, one kv write and, when the answers moved on, one
// draft write. The caller serialises the turns of one user (a per-user lock
// upstream); an Engine is safe for concurrent use by different users.
package dialog

import (
	"context"
	"time"

	"github.com/shianbao/shianbao/internal/message"
)

// Kind is the kind of input a step expects; the engine parses it before the
// step's own Validate sees it.
type Kind string

// Input kinds.
const (
	// KindChoice picks one of the step's Choices by number, label or alias.
	KindChoice Kind = "choice"
	// KindText is free text, 1 to 500 characters.
	KindText Kind = "text"
	// KindNumber is a number: Arabic (also full-width) or Chinese numerals.
	KindNumber Kind = "number"
	// KindDate is a day in China: absolute ("2026-12-05", "12月5日") or
	// relative to the input's time ("明天", "7天后", "下周五").
	KindDate Kind = "date"
	// KindPhoto is one photo, or several when the step is Multi.
	KindPhoto Kind = "photo"
	// KindLocation is a location message.
	KindLocation Kind = "location"
	// KindYesNo is 是/否 (and their many synonyms, 1/2).
	KindYesNo Kind = "yesno"
)

// Photo is a photo the user sent. At is when it was received (filled from
// the input's time when the caller leaves it zero).
type Photo struct {
	MediaID string    `json:"m"`
	PicURL  string    `json:"u,omitempty"`
	At      time.Time `json:"a,omitzero"`
}

// Location is a location the user sent, with the label the platform gave it.
type Location struct {
	Lat   float64 `json:"lat"`
	Lng   float64 `json:"lng"`
	Label string  `json:"label,omitempty"`
}

// Input is what the user sent this turn.
type Input struct {
	// ID identifies the delivery (the platform's message key). An ID already
	// applied in this session is not applied again: the previous reply is
	// returned instead. Empty means "no id" (never deduplicated).
	ID       string
	Text     string
	Photo    *Photo
	Location *Location
	// At is when the user sent it; relative dates ("明天") count from it.
	// Zero means the engine's clock.
	At time.Time
	// Menu is set when Text is a command tapped on the account's menu,
	// not typed: it is never taken as the answer to a free-text step.
	Menu bool
}

// Value is a validated answer.
type Value struct {
	// Text is free text, or the Key of the chosen Choice.
	Text     string    `json:"t,omitempty"`
	Number   float64   `json:"n,omitempty"`
	Date     time.Time `json:"d,omitzero"`
	Bool     bool      `json:"b,omitempty"`
	Photos   []Photo   `json:"p,omitempty"`
	Location *Location `json:"l,omitempty"`
	// Skipped is set when the user answered 跳过 (or 没有, on a photo or
	// location step) on a Skippable step.
	Skipped bool `json:"s,omitempty"`
}

// Choice is one option of a KindChoice step.
type Choice struct {
	// Key is what the answer stores (Value.Text).
	Key string
	// Label is what the user sees, without the number: FormatChoices shows
	// "1. 现场督导".
	Label string
	// Aliases are other words that pick it ("现场").
	Aliases []string
}

// Step is one question of a flow.
type Step struct {
	// Key names the step; answers are stored under it. Unique in a flow.
	Key  string
	Kind Kind
	// Prompt renders the question; it may read earlier answers. For
	// KindChoice the engine appends the numbered choices unless the prompt
	// already lists them.
	Prompt func(ctx context.Context, s *Session) (string, error)
	// Choices lists the options of a KindChoice step.
	Choices func(ctx context.Context, s *Session) ([]Choice, error)
	// Validate checks a parsed value; a non-empty reason rejects it and is
	// shown with the question again. It may normalise the value (e.g. turn a
	// Skipped deadline into the default one: it sees Skipped values too) or
	// change the flow's state (StateOf). It runs again on an answer kept
	// with 不变. Optional.
	Validate func(ctx context.Context, s *Session, v Value) (Value, string, error)
	// When reports whether the step applies given earlier answers; nil means
	// always. A step that stops applying is passed over and its answer is
	// dropped before Submit.
	When func(s *Session) bool
	// Help says what the step wants, for 帮助; empty gives a sentence for
	// the kind.
	Help string
	// Title names what a free-text step asks for ("问题描述"), for
	// 是要切换到「整改跟踪」吗？… 2 否，这就是问题描述. Optional.
	Title string
	// Skippable allows 跳过, which answers Value{Skipped: true}.
	Skippable bool
	// Multi, on a KindPhoto step, keeps accepting photos (each acknowledged)
	// until the user sends a finishing word (完成, 好了, 没有了, 下一步).
	Multi bool
	// Shortcuts are step-specific words handled before parsing (e.g. 全部合格
	// on a checklist item). The func may Set answers of this and later steps
	// and returns the key of the step to go to; "" advances to the next step
	// that applies, passing over the steps whose answers the shortcut set.
	Shortcuts map[string]func(ctx context.Context, s *Session) (jumpTo string, err error)
	// Default, when set, makes the step one that is not asked on the way
	// forward: its answer is set to the default (unless it has one) and
	// the step is passed over, as a step answered at the start is. 返回
	// and jumps still reach it, so the user can change it (e.g. the
	// business's status, 正常经营 unless the cadre says otherwise).
	Default func(s *Session) Value
	// Options, on a KindText step whose prompt numbers choices of its own
	// (the businesses a cadre packs), offers them as tappable options; it
	// runs after Prompt, in the same turn. Each must be something the
	// step accepts. Optional.
	Options func(s *Session) []string
	// Menu names the tappable options of a KindYesNo step (default 是 /
	// 否); each must be something the step accepts (确认, 返回, 取消…).
	Menu []string
}

// Flow is a conversation: its steps, how its draft is named, and what
// happens when the last step is answered.
type Flow struct {
	// Name identifies the flow (Start's flow argument); at most 32 bytes.
	Name string
	// Steps returns the current list of steps; it may depend on answers
	// (checklist items for the chosen category, issue steps per failed
	// item). It is called every turn and must be deterministic for the same
	// answers.
	Steps func(ctx context.Context, s *Session) ([]Step, error)
	// Label names the draft for the resume question (e.g. the business
	// name from the flow's state); "" before it is known. Optional.
	Label func(s *Session) string
	// Noun is what the flow is called in prompts: "督导" gives
	// 继续上次「店名」的督导吗？ Empty means "填报".
	Noun string
	// Command is the word that starts the flow ("上报督导"); a draft put
	// aside is resumed with it, and the engine says so. Optional.
	Command string
	// Progress, optional, says where in the flow a step is ("第2/4项"),
	// for the resume question: 继续「店名」的督导（第2/4项）？
	Progress func(s *Session, step string) string
	// Submit runs when the last step is answered. Its reply ends the
	// conversation. An error of a user-facing kind (errs.Invalid, Conflict,
	// Unavailable…) is shown and the user stays on the last step; an
	// Internal error is returned to the caller and nothing of the turn is
	// saved, so the draft stays and the same message can be tried again.
	// s.ID is stable for the whole conversation: use it as an idempotency
	// key for what Submit writes.
	Submit func(ctx context.Context, s *Session) (Reply, error)
	// Cancelled, optional, runs after the user cancelled (取消, or 放弃 on
	// the resume question), e.g. for logging. Its error is returned.
	Cancelled func(ctx context.Context, s *Session) error
}

// Reply is what the engine answers: what a chat message carries plus Done, which
// tells the caller the conversation ended (submitted, cancelled or given
// up), and Then.
type Reply struct {
	Text     string            `json:"t,omitempty"`
	Articles []message.Article `json:"a,omitempty"`
	// Menu offers the question's choices as tappable options; Text still
	// holds the whole question with its numbered choices.
	Menu *message.Menu `json:"m,omitempty"`
	Done bool          `json:"d,omitempty"`
	// Then is a command the user chose to run instead of going on (是 to
	// 是要切换到「整改跟踪」吗？, 重新开始 to the resume question): the
	// conversation was set aside (or given up) and the caller answers
	// Then as if the user had just typed it, after Text.
	Then string `json:"w,omitempty"`
}

// Interrupt answers a command typed in the middle of a flow (e.g. 我的任务);
// ok=false means the text is not an interruption and is taken as the answer.
// It sees every text that is not one of the engine's commands or the step's
// shortcuts, before the step parses it, so it must claim only its own
// command words (never "1" or "是"). The engine then repeats the question
// the user was on.
type Interrupt func(ctx context.Context, user string, text string) (reply string, ok bool, err error)

// End, returned by a step's Validate, ends the conversation there with
// text as the reply and nothing submitted (否 to 仍要再报一次吗？).
func End(text string) error { return &endError{text: text} }

type endError struct{ text string }

func (e *endError) Error() string { return "dialog ended: " + e.text }
