// Package templates embeds every page, letter, card and message template and
// the static assets, so the binary serves them without a CDN or external
// fonts (government networks are often closed).
package templates

import "embed"

// FS holds the templates and static files.
//
//go:embed pages h5 sim console letters cards
var FS embed.FS
