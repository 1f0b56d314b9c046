package h5

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/view"
)

const (
	msgPledgeForbidden = "只有本人（包保干部）或该主体已绑定的联系人可以签署此承诺书。请用已绑定的微信从公众号消息中打开本页面。"
	msgPledgeNoSigned  = "尚未签署承诺书，暂无可打印的版本。"
	msgPledgeBadKind   = "承诺书不存在。"
)

var _ pledge.Links = Links{}

// Pledge is a subject's pledge page for one reader, valid until expires.
func (l Links) Pledge(kind string, subjectID int64, reader registry.Actor, expires time.Time) string {
	return l.h5Signed(pledgeResource(kind, subjectID), reader, expires)
}

func pledgeResource(kind string, id int64) string {
	return "/h5/pledges/" + kind + "/" + strconv.FormatInt(id, 10)
}

// Pledges serves the pledge (承诺书) pages: the text with the signing form
// (a signature drawn on a canvas, or the full name typed where there is
// no canvas) and the history, and the signed pledge's A4 print view, each
// behind a signed link and, with OAuth, the visitor's bound identity.
type Pledges struct {
	Pledges *pledge.Service
	*mounted
}

func (h *Pledges) mount(m *mounted) {
	h.mounted = m
	m.router.GET("/h5/pledges/:kind/:id", h.show)
	m.router.POST("/h5/pledges/:kind/:id/sign", h.sign)
	m.router.GET("/h5/pledges/:kind/:id/print", h.print)
}

// pledgePage is the phone view's data.
type pledgePage struct {
	Req       *pledge.Requirement
	Signed    *pledge.Pledge
	Signature any
	History   []pledgeHistoryLine
	CanSign   bool
	Name      string
	CSRF      string
	SignURL   string
	PrintURL  string
	Done      bool
	Error     string
}

type pledgeHistoryLine struct {
	P        pledge.Pledge
	PrintURL string
}

// pledgeOpen is an opened pledge page: the subject and what the visitor
// may do.
type pledgeOpen struct {
	kind    pledge.Kind
	id      int64
	acc     pledge.Access
	cand    h5Candidate
	visitor *h5Visitor
}

// open checks the link and the visitor. A nil result with a nil error
// means the visitor was sent to sign in.
func (h *Pledges) open(c echo.Context) (*pledgeOpen, error) {
	kind, ok := pledge.ParseKind(c.Param("kind"))
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if !ok || err != nil || id <= 0 {
		return nil, errs.E(errs.NotFound, msgPledgeBadKind)
	}
	v, err := h.access.identify(c, pledgeResource(string(kind), id))
	if err != nil || v == nil {
		return nil, err
	}
	o := &pledgeOpen{kind: kind, id: id, visitor: v}
	found := false
	for _, cand := range v.candidates() {
		acc, err := h.Pledges.Authorize(c.Request().Context(), kind, id, cand.Actor)
		if errs.Is(err, errs.Forbidden) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !found || (acc.CanSign && !o.acc.CanSign) {
			o.acc, o.cand, found = acc, cand, true
		}
	}
	if !found {
		return nil, errs.E(errs.Forbidden, msgH5NotYours)
	}
	return o, nil
}

func (h *Pledges) show(c echo.Context) error {
	o, err := h.open(c)
	if err != nil || o == nil {
		return err
	}
	return h.phone(c, http.StatusOK, o, c.QueryParam("done") == "1", "", "")
}

// phone writes the phone view; name is the name to show in the form
// again after a problem.
func (h *Pledges) phone(c echo.Context, status int, o *pledgeOpen, done bool, problem, name string) error {
	ctx := c.Request().Context()
	r, err := h.Pledges.Requirement(ctx, o.kind, o.id)
	if err != nil {
		return err
	}
	hist, err := h.Pledges.History(ctx, o.kind, o.id)
	if err != nil {
		return err
	}
	res, q := pledgeResource(string(o.kind), o.id), signedQuery(c)
	p := pledgePage{Req: r, Signed: r.Signed, Done: done && r.Signed != nil, Error: problem}
	for _, x := range hist {
		p.History = append(p.History, pledgeHistoryLine{P: x, PrintURL: res + "/print?" + q + "&p=" + strconv.FormatInt(x.ID, 10)})
	}
	if r.Signed != nil {
		p.PrintURL = res + "/print?" + q + "&p=" + strconv.FormatInt(r.Signed.ID, 10)
		if r.Signed.Drawn() {
			png, err := h.Pledges.SignaturePNG(ctx, r.Signed)
			if err != nil {
				return err
			}
			p.Signature = view.SignatureURL(png)
		}
	} else if o.acc.CanSign {
		p.CanSign = true
		p.Name = name
		if p.Name == "" {
			p.Name = r.SignerName
		}
		p.CSRF = h.access.csrfToken(c, res)
		p.SignURL = res + "/sign?" + q
	}
	return h.render(c, status, "pledge-page", p)
}

// sign takes the signing form: CSRF-checked, from someone who may sign,
// with the drawn signature as a PNG data URL or the typed full name.
func (h *Pledges) sign(c echo.Context) error {
	kind, ok := pledge.ParseKind(c.Param("kind"))
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if !ok || err != nil || id <= 0 {
		return errs.E(errs.NotFound, msgPledgeBadKind)
	}
	res := pledgeResource(string(kind), id)
	if _, err := h.access.verifyLink(c, res); err != nil {
		return err
	}
	if err := h.access.checkCSRF(c, res, c.FormValue("csrf")); err != nil {
		return err
	}
	o, err := h.open(c)
	if err != nil {
		return err
	}
	back := res + "?" + signedQuery(c)
	if !o.acc.CanSign {
		return errs.E(errs.Forbidden, msgPledgeForbidden)
	}
	sig := pledge.Signature{Signer: o.cand.Actor, IdentityID: o.cand.IdentityID, OpenID: o.visitor.OpenID,
		Name: c.FormValue("name"), Typed: c.FormValue("typed")}
	if data := c.FormValue("signature"); data != "" {
		png, ok := pngDataURL(data)
		if !ok {
			return h.phone(c, http.StatusBadRequest, o, false, "签名图片无效，请重新签名。", sig.Name)
		}
		sig.PNG = png
	}
	_, err = h.Pledges.Sign(c.Request().Context(), kind, id, sig)
	switch {
	case errs.Is(err, errs.Conflict):
		// Signed already (a double tap, another contact): show it.
		return c.Redirect(http.StatusSeeOther, back+"#signed")
	case errs.Is(err, errs.Invalid):
		return h.phone(c, http.StatusBadRequest, o, false, errs.MessageOf(err), sig.Name)
	case err != nil:
		h.access.log.Warn("sign pledge", "rid", web.RequestID(c), "err", err.Error())
		return err
	}
	return c.Redirect(http.StatusSeeOther, back+"&done=1#signed")
}

// pngDataURL decodes "data:image/png;base64,…" (what canvas.toDataURL
// gives); ok is false for anything else or anything too large.
func pngDataURL(s string) ([]byte, bool) {
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(s, prefix) || len(s)-len(prefix) > base64.StdEncoding.EncodedLen(pledge.MaxSignatureBytes) {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(s[len(prefix):])
	return b, err == nil
}

// print shows a signed pledge of the subject (the current one, or ?p=)
// as its A4 sheet.
func (h *Pledges) print(c echo.Context) error {
	o, err := h.open(c)
	if err != nil || o == nil {
		return err
	}
	ctx := c.Request().Context()
	var p *pledge.Pledge
	if s := c.QueryParam("p"); s != "" {
		pid, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errs.E(errs.NotFound, msgPledgeNoSigned)
		}
		if p, err = h.Pledges.Pledge(ctx, pid); err != nil {
			return err
		}
		if p.Kind != o.kind || p.SubjectID != o.id {
			return errs.E(errs.NotFound, msgPledgeNoSigned)
		}
	} else {
		r, err := h.Pledges.Requirement(ctx, o.kind, o.id)
		if err != nil {
			return err
		}
		if p = r.Signed; p == nil {
			if p = r.Last; p == nil {
				return errs.E(errs.NotFound, msgPledgeNoSigned)
			}
		}
	}
	sheet := view.PledgeSheet{Pledge: p, Back: pledgeResource(string(o.kind), o.id) + "?" + signedQuery(c)}
	if p.Drawn() {
		png, err := h.Pledges.SignaturePNG(ctx, p)
		if err != nil {
			return err
		}
		sheet.Signature = view.SignatureURL(png)
	}
	return h.render(c, http.StatusOK, "pledge-print", sheet)
}
