package h5

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
)

// What a visitor reads when an H5 link or sign-in does not hold: what
// happened and what to do about it.
const (
	msgH5LinkInvalid = "链接无效或已过期。请从公众号最新的消息中重新打开，或回复“提示函”“知晓卡”获取新链接；仍有问题请联系您的包保干部。"
	msgH5NotYours    = "您的微信未绑定为该主体的联系人或其包保干部，无权查看此页面。请用已绑定的微信从公众号消息中打开，或联系您的包保干部。"
	msgH5NotForYou   = "您的微信未绑定为有权查看此页面的包保干部、食安办人员或主体联系人。请用已绑定的微信从公众号消息中打开本页面。"
	msgH5SignIn      = "微信身份验证未完成或已过期。请从公众号消息中重新打开此页面。"
	msgH5Form        = "页面已过期，请刷新后重新提交。"
)

// Cookies of the H5 pages.
const (
	h5IdentityCookie = "sab_h5_oid"
	h5OAuthCookie    = "sab_h5_oauth"
	h5CSRFCookie     = "sab_h5_csrf"
	h5CookiePath     = "/h5/"
	// h5IdentityTTL is how long a WeChat sign-in on the H5 pages lasts.
	h5IdentityTTL = 12 * time.Hour
	// h5OAuthTTL is how long a visitor has to come back from the platform's
	// authorisation page.
	h5OAuthTTL  = 10 * time.Minute
	h5OAuthPath = "/h5/oauth"
)

// OAuth is WeChat web authorisation (snsapi_base): *wechat.Client.
type OAuth interface {
	OAuthURL(redirectURI, state string) string
	OAuthOpenID(ctx context.Context, code string) (string, error)
}

// AccessOptions configures who may open the H5 pages.
type AccessOptions struct {
	Links    Links
	Accounts *account.Service
	// OAuth, when set, identifies every visitor with WeChat web
	// authorisation and checks the openid is bound to someone the page is
	// for. In production it is the platform; with the simulator on, the
	// fake API's authorisation page stands in, so the same path runs in
	// development. Nil trusts the signed link alone.
	OAuth OAuth
	Clock clock.Clock
	Log   *slog.Logger
}

// Access checks the signed links of the H5 letter and card pages and,
// with OAuth, who opens them; it also guards their forms against CSRF.
type Access struct {
	links    Links
	accounts *account.Service
	oauth    OAuth
	clock    clock.Clock
	log      *slog.Logger
	secure   bool
}

// NewAccess returns the access checks. Cookies are Secure when the base
// URL is https.
func NewAccess(o AccessOptions) *Access {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Access{links: o.Links, accounts: o.Accounts, oauth: o.OAuth, clock: o.Clock, log: o.Log,
		secure: strings.HasPrefix(o.Links.BaseURL, "https://")}
}

// h5Visitor is who opens a page: the reader the link was signed for and,
// with OAuth, the signed-in openid's bound identities.
type h5Visitor struct {
	Link       registry.Actor
	OpenID     string
	Identities []account.Identity
}

// candidates are the people the visitor may act as, the link's reader
// first: without OAuth that reader alone; with OAuth each of the openid's
// bound identities on the Official Account.
func (v *h5Visitor) candidates() []h5Candidate {
	if v.OpenID == "" {
		return []h5Candidate{{Actor: v.Link}}
	}
	var out []h5Candidate
	for _, id := range v.Identities {
		c := h5Candidate{Actor: registry.ActorOf(string(id.Role), id.SubjectID), IdentityID: id.ID}
		if c.Actor == v.Link {
			out = append([]h5Candidate{c}, out...)
		} else {
			out = append(out, c)
		}
	}
	return out
}

// h5Candidate is one person a visitor may act as, with the identity
// that proves it (0 without OAuth).
type h5Candidate struct {
	Actor      registry.Actor
	IdentityID int64
}

// verifyLink checks the signature and expiry of the request's link to
// resource (the path the link was signed for) and returns its reader.
// Forbidden, saying what to do, for a forged, altered or expired link.
func (a *Access) verifyLink(c echo.Context, resource string) (registry.Actor, error) {
	q := c.QueryParams()
	reader, e, sig := q.Get("r"), q.Get("e"), q.Get("s")
	exp, err := strconv.ParseInt(e, 10, 64)
	if err != nil || reader == "" || sig == "" {
		return "", errs.E(errs.Forbidden, msgH5LinkInvalid)
	}
	want := a.links.h5Sig(resource, reader, e)
	if !hmac.Equal([]byte(want), []byte(sig)) || !a.clock.Now().Before(time.Unix(exp, 0)) {
		return "", errs.E(errs.Forbidden, msgH5LinkInvalid)
	}
	return registry.Actor(reader), nil
}

// signedQuery is the link's own query (reader, expiry, signature), to
// carry on to the page's other views and its form.
func signedQuery(c echo.Context) string {
	q := c.QueryParams()
	return url.Values{"r": {q.Get("r")}, "e": {q.Get("e")}, "s": {q.Get("s")}}.Encode()
}

// identify checks the link and, with OAuth, who the visitor is. On a GET
// without a current sign-in it answers with the redirect to the
// authorisation page and returns nil, nil: the handler stops there. A
// form post cannot be sent through the platform, so it is Forbidden.
func (a *Access) identify(c echo.Context, resource string) (*h5Visitor, error) {
	reader, err := a.verifyLink(c, resource)
	if err != nil {
		return nil, err
	}
	v := &h5Visitor{Link: reader}
	if a.oauth == nil {
		return v, nil
	}
	openid, ok := a.signedIn(c)
	if !ok {
		if c.Request().Method != http.MethodGet {
			return nil, errs.E(errs.Forbidden, msgH5SignIn)
		}
		return nil, a.startOAuth(c)
	}
	ids, err := a.accounts.Identities(c.Request().Context(), chat.ChannelOA, openid)
	if err != nil {
		return nil, err
	}
	v.OpenID, v.Identities = openid, ids
	return v, nil
}

// startOAuth sends the visitor to the platform's authorisation page. The
// state is a random nonce, also kept (signed, with the page to come back
// to) in a short-lived cookie, so a callback is honoured only in the
// browser that set off on it.
func (a *Access) startOAuth(c echo.Context) error {
	nonce := h5Random(16)
	back := c.Request().URL.RequestURI()
	exp := strconv.FormatInt(a.clock.Now().Add(h5OAuthTTL).Unix(), 10)
	c.SetCookie(a.cookie(h5OAuthCookie, a.seal("oauth", nonce, back, exp), int(h5OAuthTTL.Seconds())))
	redirect := strings.TrimRight(a.links.BaseURL, "/") + h5OAuthPath
	return c.Redirect(http.StatusFound, a.oauth.OAuthURL(redirect, nonce))
}

// oauthCallback exchanges the platform's code for the openid, signs the
// visitor in on the H5 pages and returns them to the page they opened.
func (a *Access) oauthCallback(c echo.Context) error {
	ck, err := c.Cookie(h5OAuthCookie)
	if err != nil {
		return errs.E(errs.Forbidden, msgH5SignIn)
	}
	parts, ok := a.open("oauth", ck.Value, 3)
	if !ok || !hmac.Equal([]byte(parts[0]), []byte(c.QueryParam("state"))) || !a.fresh(parts[2]) {
		return errs.E(errs.Forbidden, msgH5SignIn)
	}
	back := parts[1]
	if !strings.HasPrefix(back, "/h5/") || strings.HasPrefix(back, h5OAuthPath) {
		return errs.E(errs.Forbidden, msgH5SignIn)
	}
	code := c.QueryParam("code")
	if code == "" || len(code) > 512 {
		return errs.E(errs.Forbidden, msgH5SignIn)
	}
	openid, err := a.oauth.OAuthOpenID(c.Request().Context(), code)
	if err != nil {
		if errs.Is(err, errs.Unauthorized) || errs.Is(err, errs.Invalid) {
			return errs.Wrap(errs.Forbidden, err, msgH5SignIn)
		}
		return err
	}
	exp := strconv.FormatInt(a.clock.Now().Add(h5IdentityTTL).Unix(), 10)
	c.SetCookie(a.cookie(h5IdentityCookie, a.seal("identity", openid, exp), int(h5IdentityTTL.Seconds())))
	c.SetCookie(a.cookie(h5OAuthCookie, "", -1))
	return c.Redirect(http.StatusFound, back)
}

// signedIn returns the openid of a current H5 sign-in.
func (a *Access) signedIn(c echo.Context) (string, bool) {
	ck, err := c.Cookie(h5IdentityCookie)
	if err != nil {
		return "", false
	}
	parts, ok := a.open("identity", ck.Value, 2)
	if !ok || parts[0] == "" || !a.fresh(parts[1]) {
		return "", false
	}
	return parts[0], true
}

// fresh reports whether a Unix time is still ahead.
func (a *Access) fresh(unix string) bool {
	exp, err := strconv.ParseInt(unix, 10, 64)
	return err == nil && a.clock.Now().Before(time.Unix(exp, 0))
}

// seal packs parts into a cookie value with a MAC: readable, not forgeable.
func (a *Access) seal(purpose string, parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(base64.RawURLEncoding.EncodeToString([]byte(p)))
	}
	mac := a.links.h5MAC("h5-cookie:"+purpose, parts...)
	b.WriteByte('.')
	b.WriteString(base64.RawURLEncoding.EncodeToString(mac[:16]))
	return b.String()
}

// open unpacks a sealed value of n parts, checking its MAC.
func (a *Access) open(purpose, v string, n int) ([]string, bool) {
	fields := strings.Split(v, ".")
	if len(fields) != n+1 {
		return nil, false
	}
	parts := make([]string, n)
	for i := range n {
		b, err := base64.RawURLEncoding.DecodeString(fields[i])
		if err != nil {
			return nil, false
		}
		parts[i] = string(b)
	}
	mac := a.links.h5MAC("h5-cookie:"+purpose, parts...)
	got, err := base64.RawURLEncoding.DecodeString(fields[n])
	if err != nil || !hmac.Equal(got, mac[:16]) {
		return nil, false
	}
	return parts, true
}

// cookie is an H5 cookie: HttpOnly, SameSite=Lax (the platform's
// authorisation page comes back by a top-level redirect), Secure over https.
func (a *Access) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: h5CookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode}
}

// csrfToken returns the token a page's form carries: a MAC of the
// browser's CSRF cookie (set now if missing) and the resource, so a form
// is good only in that browser and for that page.
func (a *Access) csrfToken(c echo.Context, resource string) string {
	var v string
	if ck, err := c.Cookie(h5CSRFCookie); err == nil && len(ck.Value) == 32 {
		v = ck.Value
	} else {
		v = h5Random(16)
		c.SetCookie(a.cookie(h5CSRFCookie, v, 0))
	}
	return base64.RawURLEncoding.EncodeToString(a.links.h5MAC("h5-csrf", v, resource)[:16])
}

// checkCSRF verifies a form's token against the browser's cookie.
// Forbidden when it does not match.
func (a *Access) checkCSRF(c echo.Context, resource, submitted string) error {
	ck, err := c.Cookie(h5CSRFCookie)
	if err != nil || len(ck.Value) != 32 || submitted == "" {
		return errs.E(errs.Forbidden, msgH5Form)
	}
	want := base64.RawURLEncoding.EncodeToString(a.links.h5MAC("h5-csrf", ck.Value, resource)[:16])
	if !hmac.Equal([]byte(want), []byte(submitted)) {
		return errs.E(errs.Forbidden, msgH5Form)
	}
	return nil
}

// h5Random is n random bytes in hex.
func h5Random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
