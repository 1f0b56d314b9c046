// Package view holds what more than one audience shows the same way: a
// prompt letter's printed sheet (the business's H5 print view and the
// console's) and a knowledge card's QR code inline in a page.
package view

import (
	"encoding/base64"
	"html/template"
	"time"

	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/letter"
)

// LetterSheets is the data of the letters' A4 print view
// (templates/letters/print.html, "letters-print").
type LetterSheets struct {
	Title  string
	Sheets []LetterSheet
}

// LetterSheet is one printed letter with its receipt, if any.
type LetterSheet struct {
	Letter *letter.Letter
	Acked  bool
	AckAt  time.Time
	AckBy  string
}

// QRPage is the size in pixels of a card's QR code on a phone page.
const QRPage = 240

// QR is a QR code of url, size pixels square, as a data URL for an <img>:
// pages work offline and print without fetching anything.
func QR(url string, size int) (template.URL, error) {
	png, err := card.QR(url, size)
	if err != nil {
		return "", err
	}
	// A data URL built here from our own PNG bytes, so it is safe as an
	// image source.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), nil
}
