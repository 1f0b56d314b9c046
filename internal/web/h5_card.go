package web

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// QR code sizes, in pixels: on a phone page, on a printed sheet, and the
// downloadable image's default and bounds.
const (
	qrPage     = 240
	qrSheet    = 360
	qrDownload = 512
	qrMin      = 128
	qrMax      = 1024
)

// h5Cards serves knowledge cards: a business's own, the public one behind
// the QR code, the QR code itself and a village's printable sheet.
type h5Cards struct {
	access *H5Access
	cards  *card.Service
	pages  *template.Template
}

// MountCards adds the card pages. The business's own card and the
// village sheet are behind signed links (and, with OAuth, the visitor's
// bound identity); the public card and its QR code are open to anyone
// with the code, which is random and never the database id.
func (s *Server) MountCards(access *H5Access, cards *card.Service) error {
	pages, err := h5Docs()
	if err != nil {
		return err
	}
	access.mount(s)
	h := &h5Cards{access: access, cards: cards, pages: pages}
	s.echo.GET("/h5/cards/:id", h.own)
	s.echo.GET("/c/:code", h.public)
	s.echo.GET("/c/:code/qr.png", h.qr)
	s.echo.GET("/h5/villages/:id/cards/print", h.village)
	return nil
}

// cardView is a card as a page shows it, with its QR code inline (pages
// work offline and print without fetching anything).
type cardView struct {
	Card   card.Card
	People []card.Person
	QR     template.URL
	QRURL  string
}

// cardSheet is the village sheet's data.
type cardSheet struct {
	Title string
	Cards []cardView
}

func (h *h5Cards) view(c card.Card, qrSize int) (cardView, error) {
	v := cardView{Card: c, QRURL: "/c/" + c.Code + "/qr.png"}
	for _, p := range []card.Person{c.Principal, c.Director, c.Officer} {
		if p.Name != "" {
			v.People = append(v.People, p)
		}
	}
	png, err := card.QR(c.PublicURL, qrSize)
	if err != nil {
		return v, err
	}
	// A data URL built here from our own PNG bytes, so it is safe as an
	// image source.
	v.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	return v, nil
}

// authorize finds the first of the visitor's candidates check accepts.
func authorizeAny(v *h5Visitor, check func(registry.Actor) error) (registry.Actor, error) {
	return authorizeAnyAs(v, msgH5NotYours, check)
}

// authorizeAnyAs is authorizeAny saying refused when none is accepted.
func authorizeAnyAs(v *h5Visitor, refused string, check func(registry.Actor) error) (registry.Actor, error) {
	for _, cand := range v.candidates() {
		err := check(cand.Actor)
		if err == nil {
			return cand.Actor, nil
		}
		if !errs.Is(err, errs.Forbidden) {
			return "", err
		}
	}
	return "", errs.E(errs.Forbidden, "%s", refused)
}

// own is the business's own card, phones in full.
func (h *h5Cards) own(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.Forbidden, msgH5LinkInvalid)
	}
	v, err := h.access.identify(c, "/h5/cards/"+strconv.FormatInt(id, 10))
	if err != nil || v == nil {
		return err
	}
	ctx := c.Request().Context()
	reader, err := authorizeAny(v, func(a registry.Actor) error { return h.cards.Authorize(ctx, id, a) })
	if err != nil {
		return err
	}
	cd, err := h.cards.Card(ctx, id)
	if err != nil {
		return err
	}
	h.read(c, []card.Card{*cd}, reader, card.ViaH5)
	view, err := h.view(*cd, qrPage)
	if err != nil {
		return err
	}
	return h.render(c, "card-page", view, "private, no-store")
}

// public is the card anyone sees from the QR code, personal phones masked.
func (h *h5Cards) public(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := h.cards.ByCode(ctx, c.Param("code"))
	if err != nil {
		return err
	}
	cd, err := h.cards.Card(ctx, id)
	if err != nil {
		return err
	}
	pub := cd.Public()
	if err := h.cards.RecordPublicView(ctx, pub, viewerNetwork(c.RealIP())); err != nil {
		h.access.log.Warn("record public card view", "rid", RequestID(c), "err", err.Error())
	}
	view, err := h.view(pub, qrPage)
	if err != nil {
		return err
	}
	return h.render(c, "card-public", view, "no-cache")
}

// qr is the public card's QR code as a PNG (?size= in pixels), for the
// shop to print. The address it holds never changes, so it may be cached.
func (h *h5Cards) qr(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := h.cards.ByCode(ctx, c.Param("code"))
	if err != nil {
		return err
	}
	size := qrDownload
	if s, err := strconv.Atoi(c.QueryParam("size")); err == nil {
		size = min(max(s, qrMin), qrMax)
	}
	u, err := h.cards.PublicURL(ctx, id)
	if err != nil {
		return err
	}
	png, err := card.QR(u, size)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/png", png)
}

// village is a region's printable sheet: one card with its QR code to a
// page, for a cadre or manager whose area covers the region.
func (h *h5Cards) village(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.Forbidden, msgH5LinkInvalid)
	}
	v, err := h.access.identify(c, "/h5/villages/"+strconv.FormatInt(id, 10)+"/cards/print")
	if err != nil || v == nil {
		return err
	}
	ctx := c.Request().Context()
	reader, err := authorizeAny(v, func(a registry.Actor) error { return h.cards.AuthorizeVillage(ctx, id, a) })
	if err != nil {
		return err
	}
	cards, err := h.cards.Village(ctx, id)
	if err != nil {
		return err
	}
	sheet := cardSheet{Title: "知晓卡"}
	if len(cards) > 0 {
		sheet.Title = cards[0].Town + cards[0].Village + "知晓卡"
	}
	for _, cd := range cards {
		view, err := h.view(cd, qrSheet)
		if err != nil {
			return err
		}
		sheet.Cards = append(sheet.Cards, view)
	}
	h.read(c, cards, reader, card.ViaPrint)
	return h.render(c, "cards-print", sheet, "private, no-store")
}

// viewerNetwork is what counts as one viewer of a public card: an IPv4
// address, or an IPv6 /64 (one household or phone), so rotating addresses
// within a network does not add rows.
func viewerNetwork(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if addr.Is4() || addr.Is4In6() {
		return addr.Unmap().String()
	}
	p, _ := addr.Prefix(64)
	return p.String()
}

func (h *h5Cards) read(c echo.Context, cards []card.Card, reader registry.Actor, via string) {
	if err := h.cards.RecordRead(c.Request().Context(), cards, reader, via); err != nil {
		h.access.log.Warn("record card read", "rid", RequestID(c), "err", err.Error())
	}
}

func (h *h5Cards) render(c echo.Context, name string, data any, cache string) error {
	var buf bytes.Buffer
	if err := h.pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	h5Page(c)
	c.Response().Header().Set("Cache-Control", cache)
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
