// Package templates embeds every page, letter, card and message template and
// the static assets, so the binary serves them without a CDN or external
// fonts (government networks are often closed), and is the one template
// engine: Load parses every set once, with the functions the pages use to
// format values the same way everywhere.
package templates

import "embed"

// FS holds the templates and static files.
//
//go:embed pages h5 sim console letters cards
var FS embed.FS
