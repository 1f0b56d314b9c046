package h5_test

import (
	"context"
	"encoding/base64"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/sim"
	"github.com/shianbao/shianbao/internal/web/h5"
	"github.com/shianbao/shianbao/internal/wechat"
)

// The platform client is what production hands the H5 pages for OAuth.
var _ h5.OAuth = (*wechat.Client)(nil)

// oauthWorld is the H5 pages on a real listener with WeChat web
// authorisation played by the simulator's fake API, as in development:
// the same code path production runs against the platform.
type oauthWorld struct {
	*h5env
	fake *sim.FakeAPI
	srv  *httptest.Server
}

func newOAuthWorld(t *testing.T) *oauthWorld {
	t.Helper()
	fake := sim.NewFakeAPI()
	fake.SetApp("wx-h5-test", "h5-test-appsecret")
	fakeSrv := httptest.NewServer(fake)
	t.Cleanup(fakeSrv.Close)
	store := kv.NewMemory()
	t.Cleanup(func() { store.Close() })
	client, err := wechat.NewClient(wechat.ClientOptions{AppID: "wx-h5-test", AppSecret: "h5-test-appsecret", APIBase: fakeSrv.URL, KV: store})
	if err != nil {
		t.Fatal(err)
	}
	w := &oauthWorld{fake: fake}
	var handler http.Handler
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { handler.ServeHTTP(rw, r) }))
	t.Cleanup(w.srv.Close)
	w.h5env = newH5(t, w.srv.URL, client)
	handler = w.h5env.handler
	return w
}

// browser is a visitor's browser: it keeps cookies and follows redirects
// (through the fake authorisation page and back).
func (w *oauthWorld) browser(t *testing.T, persona string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	w.fake.SetPersona(persona)
	return &http.Client{Jar: jar}
}

func fetch(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/html")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Not parallel (nor TestH5SupervisionLinksOAuth): the WeChat SDK keeps
// its API base process-wide, and the console tests' apps, which run in
// parallel, each point it at their own fake.
func TestOAuth(t *testing.T) {
	w := newOAuthWorld(t)
	ctx := context.Background()
	f := w.letterFixture(t)
	link := w.letterLink(f.letter, registry.ActorOf("contact", f.contact.ID))

	t.Run("BoundContact", func(t *testing.T) {
		b := w.browser(t, f.openid)
		code, page := fetch(t, b, link)
		if code != http.StatusOK || !strings.Contains(page, "确认签收") {
			t.Fatalf("status %d:\n%s", code, page)
		}
		if calls := w.fake.CallsTo("/sns/oauth2/access_token"); len(calls) != 1 || calls[0].ToUser != f.openid {
			t.Fatalf("code exchanges %+v", calls)
		}
		u, _ := url.Parse(w.srv.URL + "/h5/")
		var signedIn bool
		for _, c := range b.Jar.Cookies(u) {
			signedIn = signedIn || c.Name == "sab_h5_oid"
		}
		if !signedIn {
			t.Fatal("no sign-in cookie")
		}
		// A second page needs no second trip to the platform.
		if code, _ := fetch(t, b, link); code != http.StatusOK || len(w.fake.CallsTo("/sns/oauth2/access_token")) != 1 {
			t.Fatalf("second visit: %d", code)
		}
		// The receipt comes from the signed-in identity.
		action, token := form(t, page)
		var body strings.Builder
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf", token)
		mw.WriteField("feedback", "已整改")
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, w.srv.URL+action, strings.NewReader(body.String()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		res, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Request.URL.RawQuery, "done=1") {
			t.Fatalf("receipt: %d %s", res.StatusCode, res.Request.URL)
		}
		l, _ := w.letters.Letter(ctx, f.letter.ID)
		ids, _ := w.accounts.Identities(ctx, "oa", f.openid)
		if !l.Acknowledged() || l.AckIdentityID == nil || len(ids) == 0 || *l.AckIdentityID != ids[0].ID {
			t.Fatalf("letter %+v, identities %+v", l, ids)
		}
	})
	t.Run("ErrOtherBusinessContact", func(t *testing.T) {
		_, _ = w.otherBusiness(t, "o-oauth-other")
		b := w.browser(t, "o-oauth-other")
		code, page := fetch(t, b, link)
		if code != http.StatusForbidden || !strings.Contains(page, "未绑定为该主体的联系人") {
			t.Fatalf("status %d:\n%s", code, page)
		}
	})
	t.Run("ErrUnbound", func(t *testing.T) {
		b := w.browser(t, "o-nobody")
		if code, _ := fetch(t, b, link); code != http.StatusForbidden {
			t.Fatalf("status %d", code)
		}
	})
	t.Run("ErrForgedLinkBeforeSignIn", func(t *testing.T) {
		before := len(w.fake.CallsTo("/connect/oauth2/authorize"))
		b := w.browser(t, f.openid)
		if code, _ := fetch(t, b, strings.Replace(link, "s=", "s=x", 1)); code != http.StatusForbidden {
			t.Fatalf("status %d", code)
		}
		if len(w.fake.CallsTo("/connect/oauth2/authorize")) != before {
			t.Fatal("a forged link was sent to the platform")
		}
	})
	t.Run("ErrCallbackWithoutState", func(t *testing.T) {
		b := w.browser(t, f.openid)
		if code, _ := fetch(t, b, w.srv.URL+"/h5/oauth?code=FAKE&state=x"); code != http.StatusForbidden {
			t.Fatalf("status %d", code)
		}
	})
	t.Run("ErrForgedCookie", func(t *testing.T) {
		b := w.browser(t, "o-nobody")
		u, _ := url.Parse(w.srv.URL + "/h5/")
		// The bound contact's openid, an expiry a year ahead, a made-up MAC.
		forged := base64.RawURLEncoding.EncodeToString([]byte(f.openid)) + "." +
			base64.RawURLEncoding.EncodeToString([]byte("1827000000")) + ".AAAAAAAAAAAAAAAAAAAAAA"
		b.Jar.SetCookies(u, []*http.Cookie{{Name: "sab_h5_oid", Value: forged, Path: "/h5/"}})
		if code, _ := fetch(t, b, link); code != http.StatusForbidden {
			t.Fatalf("status %d: a forged sign-in cookie was taken", code)
		}
	})
	t.Run("Cadre", func(t *testing.T) {
		w.bindCadre(t, f.cadre, "o-oauth-cadre")
		b := w.browser(t, "o-oauth-cadre")
		code, page := fetch(t, b, w.letterLink(f.letter, registry.ActorOf("cadre", f.cadre)))
		if code != http.StatusOK || strings.Contains(page, "确认签收") {
			t.Fatalf("status %d", code)
		}
	})
}

// bindCadre binds openid to a cadre.
func (e *h5env) bindCadre(t *testing.T, cadreID int64, openid string) {
	t.Helper()
	ctx := context.Background()
	code, _, err := e.accounts.IssueCode(ctx, "cadre", cadreID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.accounts.Bind(ctx, "oa", openid, code); err != nil {
		t.Fatal(err)
	}
}
