// Package message holds the shapes of what the product says in a chat — a
// news article, a question with tappable options — apart from any channel.
//
// It is a leaf: the conversation engine (dialog) builds replies from these
// shapes without knowing the chat transport, and chat, which carries them
// to WeChat or WeCom, names them as its own (chat.Menu is message.Menu).
package message

// Menu is a question with tappable options (WeChat's msgmenu: at most ten
// options; tapping one sends its Text back as an ordinary text message).
type Menu struct {
	// Head is shown above the options (the question), Tail below them.
	Head string
	Tail string
	// Options are the choices in order; their Text is what the user's tap
	// sends back, so it must be something the step accepts as its answer.
	Options []MenuOption
}

// MenuOption is one tappable option of a Menu.
type MenuOption struct {
	// ID is the option's bizmsgmenuid; unique within the menu. WeChat
	// echoes it back as an integer, so it must be a plain positive number
	// ("1", "101"); a menu with any other id goes out as Text.
	ID   string
	Text string
}

// MaxMenuOptions is the platform's limit on a msgmenu's options.
const MaxMenuOptions = 10

// Article is one card of a news reply.
type Article struct {
	Title       string
	Description string
	PicURL      string
	URL         string
}
