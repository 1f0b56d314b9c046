package chat

import "strings"

// markdownInert replaces what WeCom markdown would read as markup with the
// full-width forms Chinese text uses anyway: emphasis (* _), code (`),
// links ([ ]), tags (<font color=…>, <@userid> mentions), quotes (>) and
// headings (#). WeCom documents no escape character, so a backslash would
// show up rather than protect. Line breaks stay: with # and > gone, a line
// cannot start anything (the plain markdown type has no lists).
var markdownInert = strings.NewReplacer(
	"*", "＊", "_", "＿", "`", "｀", "[", "［", "]", "］",
	"<", "＜", ">", "＞", "#", "＃",
)

// MarkdownText makes text from people (a business, cadre, office or place
// name, a chat answer built from them) safe to put into WeCom markdown: it
// reads as written, and adds no emphasis, links, colours, mentions,
// headings or quotes.
func MarkdownText(s string) string { return markdownInert.Replace(s) }
