package console

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/web"
)

// Signing in to the console. Guessing passwords is held back two ways,
// and neither lets anyone lock a manager out:
//
//   - per address (the connection's, or the client a trusted proxy names):
//     more than loginPerAddr failed attempts in a window are refused with
//     429 until the window ends. Successful sign-ins do not count, so an
//     office behind one address signs in all day.
//   - per account: after loginFreeFailures failures in a row each attempt
//     waits a little longer before the password is checked (loginDelay),
//     up to loginMaxDelay. The attempt is never refused: the right
//     password, after the wait, signs in, and a success clears the count.
//
// The sign-in form carries its own CSRF token (login CSRF: another site
// must not sign a browser in to an account of its choosing), and the page
// may not be framed.
const (
	loginPerAddr      = 20
	loginWindow       = 15 * time.Minute
	loginFreeFailures = 5
	loginMaxDelay     = 30 * time.Second
	// loginCSRFCookie holds the sign-in form's CSRF token before there is
	// a session to keep it in.
	loginCSRFCookie = "sab_login"
	loginCSRFTTL    = 2 * time.Hour
)

// What the sign-in page says when it refuses.
const (
	msgLoginForm     = "登录页面已过期或来源不明，请重新输入用户名和密码后登录。"
	msgLoginTooMany  = "该网络地址登录失败次数过多，请于%s后再试。"
	msgLoginSlowNext = "连续多次密码错误：为保护账号，下次登录需等待约%d秒。"
)

// loginDelay is how long an attempt waits, given the account's failures
// since its last success: nothing after up to loginFreeFailures of them
// (a forgotten password takes a few tries), then 1 s, 2 s, 4 s … up to
// loginMaxDelay.
func loginDelay(failures int64) time.Duration {
	n := failures - loginFreeFailures - 1
	if n < 0 {
		return 0
	}
	if n >= 5 { // 1s<<5 = 32s, over the cap (and no shift overflows)
		return loginMaxDelay
	}
	return min(time.Second<<n, loginMaxDelay)
}

// pauseFor waits d or until ctx ends.
func pauseFor(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SignIn signs managers in to the console and out again, and admits only
// signed-in users to its pages.
type SignIn struct {
	Accounts *account.Service
	Sessions *web.Sessions
	KV       kv.Store
	Clock    clock.Clock
	// SecureCookies marks cookies Secure (the site is served over HTTPS).
	SecureCookies bool

	*mounted
	// pause waits before a password is checked; nil waits on a timer.
	// Tests replace it to see the wait asked for.
	pause func(ctx context.Context, d time.Duration) error
}

// mount adds the sign-in page and returns the group of the pages behind it.
func (c *SignIn) mount(r *echo.Echo, m *mounted) *echo.Group {
	c.mounted = m
	r.GET(consoleLogin, c.loginPage)
	r.POST(consoleLogin, c.login)
	g := r.Group(consolePrefix, c.requireUser)
	g.GET("", redirectHome)
	g.POST("/logout", c.logout)
	g.POST("/logout-all", c.logoutAll)
	return g
}

// requireUser admits signed-in users only and checks the CSRF token of
// every state-changing request.
func (c *SignIn) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(e echo.Context) error {
		ctx := e.Request().Context()
		cookie, _ := e.Cookie(web.SessionCookie)
		token := ""
		if cookie != nil {
			token = cookie.Value
		}
		sess, err := c.Sessions.Load(ctx, token, c.Clock.Now())
		if err != nil {
			if errs.Is(err, errs.Unauthorized) && e.Request().Method == http.MethodGet {
				return e.Redirect(http.StatusFound, consoleLogin+"?next="+url.QueryEscape(e.Request().URL.RequestURI()))
			}
			return err
		}
		u, err := c.Accounts.User(ctx, sess.UserID)
		if err != nil || u.Disabled {
			return errs.E(errs.Unauthorized, "账号不可用，请重新登录")
		}
		scope, err := c.Accounts.ScopeOf(ctx, u)
		if err != nil {
			return err
		}
		if m := e.Request().Method; m != http.MethodGet && m != http.MethodHead {
			submitted := e.Request().Header.Get("X-CSRF-Token")
			if submitted == "" {
				submitted = e.FormValue("_csrf")
			}
			if !sess.CSRFOK(submitted) {
				return errs.E(errs.Forbidden, "页面已过期或来源不明（CSRF 校验失败），请刷新页面后重试。")
			}
		}
		web.SignIn(e, u, scope, sess)
		return next(e)
	}
}

func (c *SignIn) logout(e echo.Context) error {
	if cookie, _ := e.Cookie(web.SessionCookie); cookie != nil {
		c.Sessions.Delete(e.Request().Context(), cookie.Value)
	}
	e.SetCookie(&http.Cookie{Name: web.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: c.SecureCookies, SameSite: http.SameSiteLaxMode})
	return e.Redirect(http.StatusSeeOther, consoleLogin)
}

func (c *SignIn) logoutAll(e echo.Context) error {
	if err := c.Sessions.RevokeAll(e.Request().Context(), web.User(e).ID); err != nil {
		return err
	}
	return c.logout(e)
}

// safeNext keeps redirects after sign-in on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, consolePrefix) || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return consoleHome
	}
	return next
}

func (c *SignIn) loginPage(e echo.Context) error {
	return c.renderLogin(e, http.StatusOK, "")
}

// renderLogin writes the sign-in page with the browser's form token (set
// now if it has none).
func (c *SignIn) renderLogin(e echo.Context, status int, message string) error {
	token := ""
	if ck, err := e.Cookie(loginCSRFCookie); err == nil && len(ck.Value) == 32 {
		token = ck.Value
	} else {
		token = web.RandomToken(24)
		e.SetCookie(&http.Cookie{Name: loginCSRFCookie, Value: token, Path: consoleLogin, HttpOnly: true, Secure: c.SecureCookies,
			SameSite: http.SameSiteStrictMode, MaxAge: int(loginCSRFTTL.Seconds())})
	}
	h := e.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	e.Response().WriteHeader(status)
	return c.pages.ExecuteTemplate(e.Response(), "login", map[string]string{
		"Message": message, "Next": safeNext(e.FormValue("next")), "CSRF": token,
	})
}

// loginFormOK checks the form's token against the browser's cookie.
func loginFormOK(e echo.Context) bool {
	ck, err := e.Cookie(loginCSRFCookie)
	submitted := e.FormValue("_csrf")
	return err == nil && len(ck.Value) == 32 && subtle.ConstantTimeCompare([]byte(submitted), []byte(ck.Value)) == 1
}

// login checks a password under the limits above.
func (c *SignIn) login(e echo.Context) error {
	ctx := e.Request().Context()
	if !loginFormOK(e) {
		// The page shown carries the browser's token, so it can be
		// submitted at once.
		return c.renderLogin(e, http.StatusForbidden, msgLoginForm)
	}
	username := strings.ToLower(strings.TrimSpace(e.FormValue("username")))
	addr := c.addrLimit(e.RealIP())
	if until, err := addr.admit(ctx); err != nil {
		return err
	} else if !until.IsZero() {
		e.Response().Header().Set("Retry-After", strconv.Itoa(max(1, int(until.Sub(c.Clock.Now()).Seconds()))))
		return c.renderLogin(e, http.StatusTooManyRequests, fmt.Sprintf(msgLoginTooMany, until.In(clock.China).Format("15:04")))
	}
	failKey := "login:f:" + shortHash(username)
	failures, err := c.loginFailures(ctx, failKey)
	if err != nil {
		return err
	}
	if d := loginDelay(failures); d > 0 {
		pause := c.pause
		if pause == nil {
			pause = pauseFor
		}
		if err := pause(ctx, d); err != nil {
			return errs.Wrap(errs.Unavailable, err, "")
		}
	}
	u, err := c.Accounts.Authenticate(ctx, username, e.FormValue("password"))
	if err != nil {
		k := errs.KindOf(err)
		if k != errs.Unauthorized && k != errs.Forbidden {
			return err
		}
		msg := errs.MessageOf(err)
		if k == errs.Unauthorized {
			n, err := c.KV.Incr(ctx, failKey, loginWindow)
			if err != nil {
				return errs.Wrap(errs.Unavailable, err, "")
			}
			if d := loginDelay(n); d > 0 {
				msg += "。" + fmt.Sprintf(msgLoginSlowNext, int(d.Seconds()))
			}
		}
		return c.renderLogin(e, http.StatusUnauthorized, msg)
	}
	// A success clears the account's failures and takes this attempt off
	// the address's count.
	if err := c.KV.Delete(ctx, failKey); err != nil {
		return errs.Wrap(errs.Unavailable, err, "")
	}
	if err := addr.succeeded(ctx); err != nil {
		return err
	}
	token, _, err := c.Sessions.Create(ctx, u.ID, c.Clock.Now())
	if err != nil {
		return err
	}
	e.SetCookie(&http.Cookie{Name: web.SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: c.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(c.Sessions.TTL.Seconds())})
	e.SetCookie(&http.Cookie{Name: loginCSRFCookie, Value: "", Path: consoleLogin, MaxAge: -1, HttpOnly: true, Secure: c.SecureCookies,
		SameSite: http.SameSiteStrictMode})
	return e.Redirect(http.StatusSeeOther, safeNext(e.FormValue("next")))
}

// loginFailures is the account's failed attempts since its last success.
func (c *SignIn) loginFailures(ctx context.Context, key string) (int64, error) {
	v, err := c.KV.Get(ctx, key)
	if errors.Is(err, kv.ErrMiss) {
		return 0, nil
	}
	if err != nil {
		return 0, errs.Wrap(errs.Unavailable, err, "")
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n, nil
}

// addrLimit counts one address's sign-in attempts in fixed windows of
// loginWindow: every attempt as it starts (so a burst of parallel guesses
// counts in full before any is checked), and its successes apart, so what
// is held against the address is its failures (and attempts in flight).
type addrLimit struct {
	kv         kv.Store
	attempts   string
	successes  string
	windowEnds time.Time
}

func (c *SignIn) addrLimit(addr string) addrLimit {
	now := c.Clock.Now()
	window := now.Unix() / int64(loginWindow.Seconds())
	ends := time.Unix((window+1)*int64(loginWindow.Seconds()), 0)
	key := shortHash(addr) + ":" + strconv.FormatInt(window, 10)
	return addrLimit{kv: c.KV, attempts: "login:a:" + key, successes: "login:s:" + key, windowEnds: ends}
}

// admit counts an attempt; a non-zero time says the address is over its
// limit until then.
func (l addrLimit) admit(ctx context.Context) (time.Time, error) {
	n, err := l.kv.Incr(ctx, l.attempts, 2*loginWindow)
	if err != nil {
		return time.Time{}, errs.Wrap(errs.Unavailable, err, "")
	}
	if n <= loginPerAddr {
		return time.Time{}, nil
	}
	v, err := l.kv.Get(ctx, l.successes)
	if err != nil && !errors.Is(err, kv.ErrMiss) {
		return time.Time{}, errs.Wrap(errs.Unavailable, err, "")
	}
	ok, _ := strconv.ParseInt(v, 10, 64)
	if n-ok <= loginPerAddr {
		return time.Time{}, nil
	}
	return l.windowEnds, nil
}

// succeeded takes a successful attempt off the address's count.
func (l addrLimit) succeeded(ctx context.Context) error {
	if _, err := l.kv.Incr(ctx, l.successes, 2*loginWindow); err != nil {
		return errs.Wrap(errs.Unavailable, err, "")
	}
	return nil
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte("shianbao-login:" + s))
	return hex.EncodeToString(sum[:10])
}
