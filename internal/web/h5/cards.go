package h5

import (
	"bytes"
	"html/template"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/card"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/view"
)

// QR code sizes, in pixels: on a phone page, on a printed sheet, and the
// downloadable image's default and bounds.
const (
	qrSheet    = 360
	qrDownload = 512
	qrMin      = 128
	qrMax      = 1024
)

// Cards serves knowledge cards (templates/h5/card.html,
// templates/cards/): a business's own and a village's printable sheet
// behind signed links (and, with OAuth, the visitor's bound identity); the
// public card and its QR code to anyone with the code, which is random and
// never the database id.
type Cards struct {
	Cards *card.Service
	*mounted
}

func (h *Cards) mount(m *mounted) {
	h.mounted = m
	m.router.GET("/h5/cards/:id", h.own)
	m.router.GET("/c/:code", h.public)
	m.router.GET("/c/:code/qr.png", h.qr)
	m.router.GET("/h5/villages/:id/cards/print", h.village)
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

func (h *Cards) view(c card.Card, qrSize int) (cardView, error) {
	v := cardView{Card: c, QRURL: "/c/" + c.Code + "/qr.png"}
	for _, p := range []card.Person{c.Principal, c.Director, c.Officer} {
		if p.Name != "" {
			v.People = append(v.People, p)
		}
	}
	var err error
	v.QR, err = view.QR(c.PublicURL, qrSize)
	return v, err
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
func (h *Cards) own(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.Forbidden, msgH5LinkInvalid)
	}
	v, err := h.access.identify(c, "/h5/cards/"+strconv.FormatInt(id, 10))
	if err != nil || v == nil {
		return err
	}
	ctx := c.Request().Context()
	reader, err := authorizeAny(v, func(a registry.Actor) error { return h.Cards.Authorize(ctx, id, a) })
	if err != nil {
		return err
	}
	cd, err := h.Cards.Card(ctx, id)
	if err != nil {
		return err
	}
	h.read(c, []card.Card{*cd}, reader, card.ViaH5)
	cv, err := h.view(*cd, view.QRPage)
	if err != nil {
		return err
	}
	return h.page(c, "card-page", cv, "private, no-store")
}

// public is the card anyone sees from the QR code, personal phones masked.
func (h *Cards) public(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := h.Cards.ByCode(ctx, c.Param("code"))
	if err != nil {
		return err
	}
	cd, err := h.Cards.Card(ctx, id)
	if err != nil {
		return err
	}
	pub := cd.Public()
	if err := h.Cards.RecordPublicView(ctx, pub, viewerNetwork(c.RealIP())); err != nil {
		h.access.log.Warn("record public card view", "rid", web.RequestID(c), "err", err.Error())
	}
	cv, err := h.view(pub, view.QRPage)
	if err != nil {
		return err
	}
	return h.page(c, "card-public", cv, "no-cache")
}

// qr is the public card's QR code as a PNG (?size= in pixels), for the
// shop to print. The address it holds never changes, so it may be cached.
func (h *Cards) qr(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := h.Cards.ByCode(ctx, c.Param("code"))
	if err != nil {
		return err
	}
	size := qrDownload
	if s, err := strconv.Atoi(c.QueryParam("size")); err == nil {
		size = min(max(s, qrMin), qrMax)
	}
	u, err := h.Cards.PublicURL(ctx, id)
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
func (h *Cards) village(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.Forbidden, msgH5LinkInvalid)
	}
	v, err := h.access.identify(c, "/h5/villages/"+strconv.FormatInt(id, 10)+"/cards/print")
	if err != nil || v == nil {
		return err
	}
	ctx := c.Request().Context()
	reader, err := authorizeAny(v, func(a registry.Actor) error { return h.Cards.AuthorizeVillage(ctx, id, a) })
	if err != nil {
		return err
	}
	cards, err := h.Cards.Village(ctx, id)
	if err != nil {
		return err
	}
	sheet := cardSheet{Title: "知晓卡"}
	if len(cards) > 0 {
		sheet.Title = cards[0].Town + cards[0].Village + "知晓卡"
	}
	for _, cd := range cards {
		cv, err := h.view(cd, qrSheet)
		if err != nil {
			return err
		}
		sheet.Cards = append(sheet.Cards, cv)
	}
	h.read(c, cards, reader, card.ViaPrint)
	return h.page(c, "cards-print", sheet, "private, no-store")
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

func (h *Cards) read(c echo.Context, cards []card.Card, reader registry.Actor, via string) {
	if err := h.Cards.RecordRead(c.Request().Context(), cards, reader, via); err != nil {
		h.access.log.Warn("record card read", "rid", web.RequestID(c), "err", err.Error())
	}
}

// page writes a card page, cached as cache says.
func (h *Cards) page(c echo.Context, name string, data any, cache string) error {
	var buf bytes.Buffer
	if err := h.pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	h5Page(c)
	c.Response().Header().Set("Cache-Control", cache)
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
