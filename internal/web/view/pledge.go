package view

import (
	"encoding/base64"
	"html/template"
	"unicode/utf8"

	"github.com/shianbao/shianbao/internal/pledge"
)

// PledgeSheet is the data of a pledge's A4 print view
// (templates/h5/pledge_print.html, "pledge-print"): the business's and
// cadre's H5 print and the console's show the same sheet.
type PledgeSheet struct {
	Pledge *pledge.Pledge
	// Signature is the drawn signature as a data URL ("" for a typed one).
	Signature template.URL
	// Back is where the page's 返回 link goes ("" for none).
	Back string
}

// SignatureURL is a stored signature PNG as a data URL for an <img>: the
// sheet prints without fetching anything.
func SignatureURL(png []byte) template.URL {
	if len(png) == 0 {
		return ""
	}
	// Our own stored PNG, checked when it was signed: safe as an image source.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}

// Class sizes the sheet's type to its text, so a long pledge (a cadre
// packing many businesses names each) still prints on one A4 sheet: ""
// up to about 1,000 characters, then "dense", then "denser".
func (s PledgeSheet) Class() string {
	n := 0
	for _, p := range s.Pledge.Content.Paragraphs {
		n += utf8.RuneCountInString(p)
	}
	switch {
	case n > 1800:
		return "denser"
	case n > 1000:
		return "dense"
	}
	return ""
}
