package view

import (
	"encoding/base64"
	"html/template"

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
