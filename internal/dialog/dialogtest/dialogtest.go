// Package dialogtest records conversations as transcripts and compares them
// with golden files, for the dialog engine's tests and the bot's.
//
//	c := dialogtest.New(t, engine, "oa:u1")
//	c.Start("visit", nil)
//	c.Say("1")
//	c.Photo("media-1")
//	c.Golden("visit_happy") // testdata/visit_happy.golden; go test -update rewrites it
//
// A transcript shows each input as "> …" and each reply line as "< …".
// The -update flag is defined here: a test package that imports dialogtest
// must not define its own (use Update to read it).
package dialogtest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// ids numbers inputs across every transcript of the process, as platform
// message ids are unique: a session restored from a draft into a new
// transcript must not take the new inputs for repeats.
var ids atomic.Int64

// Update reports whether the test run was asked to rewrite golden files.
func Update() bool { return *update }

// Handler is what a transcript talks to: the engine's Handle for one user,
// or an adapter around a bot.
type Handler func(ctx context.Context, in dialog.Input) (r dialog.Reply, handled bool, err error)

// T is one user's conversation being recorded.
type T struct {
	tb     testing.TB
	handle Handler
	engine *dialog.Engine
	user   string

	// Clock stamps inputs (Input.At); nil means the real clock. Set it to
	// the engine's clock to keep relative dates stable in golden files.
	Clock clock.Clock
	// Errors, when true, records handler errors in the transcript
	// ("! error: …") instead of failing the test.
	Errors bool
	// Ctx is passed to every call (default context.Background()).
	Ctx context.Context

	b       strings.Builder
	actions int
	last    dialog.Input
	// lastLabel is how the last input was shown.
	lastLabel string
	reply     dialog.Reply
	handled   bool
	err       error
}

// New records a conversation of user with the engine.
func New(tb testing.TB, e *dialog.Engine, user string) *T {
	tb.Helper()
	c := NewFunc(tb, func(ctx context.Context, in dialog.Input) (dialog.Reply, bool, error) {
		return e.Handle(ctx, user, in)
	})
	c.engine, c.user = e, user
	return c
}

// NewFunc records a conversation with any handler (e.g. the bot's).
func NewFunc(tb testing.TB, h Handler) *T {
	return &T{tb: tb, handle: h, Ctx: context.Background()}
}

// Switch continues the conversation on another engine: the app restarted.
func (c *T) Switch(e *dialog.Engine) {
	user := c.user
	c.engine = e
	c.handle = func(ctx context.Context, in dialog.Input) (dialog.Reply, bool, error) {
		return e.Handle(ctx, user, in)
	}
}

// Start starts flow (with its typed state, or nil) on the engine given to New, as if the last
// message had been the command that starts it.
func (c *T) Start(flow string, state any) dialog.Reply {
	c.tb.Helper()
	if c.engine == nil {
		c.tb.Fatalf("dialogtest: Start needs a T made by New")
	}
	c.line("> [开始 %s]", flow)
	in := c.input(dialog.Input{})
	c.lastLabel = "[开始 " + flow + "]"
	r, err := c.engine.StartFrom(c.Ctx, c.user, flow, state, in)
	c.record(r, true, err)
	return r
}

// Offer asks, as the flow's command would, whether to continue the
// user's conversation of flow (Engine.Offer) on the engine given to New.
func (c *T) Offer(flow, command string) dialog.Reply {
	c.tb.Helper()
	if c.engine == nil {
		c.tb.Fatalf("dialogtest: Offer needs a T made by New")
	}
	in := c.input(dialog.Input{Text: command})
	c.actions++
	c.lastLabel = command
	c.line("> %s", command)
	r, offered, err := c.engine.Offer(c.Ctx, c.user, flow, in, command)
	if err == nil && !offered {
		c.line("< [无可继续]")
		c.b.WriteString("\n")
		c.reply, c.handled, c.err = r, false, nil
		return r
	}
	c.record(r, true, err)
	return r
}

// Say sends text.
func (c *T) Say(text string) dialog.Reply {
	c.tb.Helper()
	return c.Send(dialog.Input{Text: text})
}

// Photo sends a photo.
func (c *T) Photo(mediaID string) dialog.Reply {
	c.tb.Helper()
	return c.Send(dialog.Input{Photo: &dialog.Photo{MediaID: mediaID, PicURL: "https://img.example/" + mediaID}})
}

// Location sends a location.
func (c *T) Location(lat, lng float64, label string) dialog.Reply {
	c.tb.Helper()
	return c.Send(dialog.Input{Location: &dialog.Location{Lat: lat, Lng: lng, Label: label}})
}

// Send sends in as it is, giving it the next id ("m1", "m2"…) and the
// clock's time when they are empty.
func (c *T) Send(in dialog.Input) dialog.Reply {
	c.tb.Helper()
	return c.send(in, describe(in))
}

func (c *T) send(in dialog.Input, label string) dialog.Reply {
	c.tb.Helper()
	in = c.input(in)
	c.actions++
	c.lastLabel = label
	c.line("> %s", c.lastLabel)
	r, handled, err := c.handle(c.Ctx, in)
	c.record(r, handled, err)
	return r
}

// Tap taps the option of the last reply's menu whose text is option, as
// WeChat sends it: the option's text. The test fails when the last reply
// offered no such option.
func (c *T) Tap(option string) dialog.Reply {
	c.tb.Helper()
	m := c.reply.Menu
	if m == nil {
		c.tb.Fatalf("dialogtest: Tap(%q): the last reply has no menu\ntranscript so far:\n%s", option, c.Transcript())
	}
	for _, o := range m.Options {
		if o.Text == option {
			return c.send(dialog.Input{Text: o.Text}, "[点选] "+o.Text)
		}
	}
	c.tb.Fatalf("dialogtest: Tap(%q): not among the menu's options %+v\ntranscript so far:\n%s", option, m.Options, c.Transcript())
	return dialog.Reply{}
}

// Actions is how many inputs the user sent (messages, photos, locations,
// taps; not platform redeliveries): what a report costs the user.
func (c *T) Actions() int { return c.actions }

// Again delivers the previous input once more, with the same id, as a
// platform retry would.
func (c *T) Again() dialog.Reply {
	c.tb.Helper()
	c.line("> [重复投递] %s", c.lastLabel)
	r, handled, err := c.handle(c.Ctx, c.last)
	c.record(r, handled, err)
	return r
}

// Note adds a comment line ("# …") to the transcript.
func (c *T) Note(format string, args ...any) {
	c.line("# "+format, args...)
	c.b.WriteString("\n")
}

// Reply is the last reply; Handled and Err tell how the last call went.
func (c *T) Reply() dialog.Reply { return c.reply }

// Handled reports whether the last input was handled.
func (c *T) Handled() bool { return c.handled }

// Err is the last call's error.
func (c *T) Err() error { return c.err }

// Transcript is everything recorded so far.
func (c *T) Transcript() string { return c.b.String() }

// Golden compares the transcript with testdata/<name>.golden, or rewrites
// that file when the tests run with -update.
func (c *T) Golden(name string) {
	c.tb.Helper()
	Golden(c.tb, name, c.Transcript())
}

// Golden compares got with testdata/<name>.golden, or rewrites the file
// when the tests run with -update.
func Golden(tb testing.TB, name, got string) {
	tb.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatalf("update golden: %v", err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatalf("update golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read golden file (run the test with -update to create it): %v", err)
	}
	if string(want) == got {
		return
	}
	wl, gl := strings.Split(string(want), "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			tb.Fatalf("%s differs from the transcript at line %d (run with -update to accept):\nwant: %q\ngot:  %q\n\nfull transcript:\n%s", path, i+1, w, g, got)
		}
	}
}

func (c *T) input(in dialog.Input) dialog.Input {
	if in.ID == "" {
		in.ID = fmt.Sprintf("m%d", ids.Add(1))
	}
	if in.At.IsZero() {
		if c.Clock != nil {
			in.At = c.Clock.Now()
		} else {
			in.At = time.Now()
		}
	}
	c.last = in
	return in
}

func (c *T) record(r dialog.Reply, handled bool, err error) {
	c.tb.Helper()
	c.reply, c.handled, c.err = r, handled, err
	switch {
	case err != nil:
		if !c.Errors {
			c.tb.Fatalf("dialogtest: %v\ntranscript so far:\n%s", err, c.Transcript())
		}
		c.line("! error: %v", err)
	case !handled:
		c.line("< [未处理]")
	default:
		for _, l := range strings.Split(r.Text, "\n") {
			c.line("< %s", l)
		}
		for _, a := range r.Articles {
			c.line("< [图文] %s｜%s｜%s", a.Title, a.Description, a.URL)
		}
		if m := r.Menu; m != nil {
			opts := make([]string, len(m.Options))
			for i, o := range m.Options {
				opts[i] = o.ID + " " + o.Text
			}
			c.line("< [菜单] %s", strings.Join(opts, "｜"))
		}
		if r.Then != "" {
			c.line("< [接着执行] %s", r.Then)
		}
		if r.Done {
			c.line("< [结束]")
		}
	}
	c.b.WriteString("\n")
}

func (c *T) line(format string, args ...any) {
	c.b.WriteString(strings.TrimRight(fmt.Sprintf(format, args...), " "))
	c.b.WriteString("\n")
}

func describe(in dialog.Input) string {
	switch {
	case in.Photo != nil:
		return "[照片 " + in.Photo.MediaID + "]"
	case in.Location != nil:
		return fmt.Sprintf("[位置 %.4f,%.4f %s]", in.Location.Lat, in.Location.Lng, in.Location.Label)
	case strings.TrimSpace(in.Text) == "":
		return "[空消息]"
	}
	// Long texts are shown by their start and length.
	if r := []rune(in.Text); len(r) > 60 {
		return fmt.Sprintf("%s…（共%d字）", string(r[:20]), len(r))
	}
	return in.Text
}
