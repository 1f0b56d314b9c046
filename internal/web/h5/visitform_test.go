package h5_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/visitform"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/h5"
)

// codeOAuth plays WeChat web authorisation: the code names the openid.
type codeOAuth struct{ openid string }

func (o *codeOAuth) OAuthURL(redirectURI, state string) string {
	return redirectURI + "?code=c-" + url.QueryEscape(o.openid) + "&state=" + url.QueryEscape(state)
}

func (o *codeOAuth) OAuthOpenID(_ context.Context, code string) (string, error) {
	return strings.TrimPrefix(code, "c-"), nil
}

// fakeForms records what the page asks of the chat's visit flow.
type fakeForms struct {
	mu    sync.Mutex
	who   []visitform.Who
	posts []visitform.Request
}

func (f *fakeForms) page(id int64) *visitform.Page {
	return &visitform.Page{Business: registry.Business{ID: id, Name: "阿明面馆", Address: "胡埭镇富安路1号"},
		Items:        []visitform.PageItem{{N: 1, ID: "licence", Label: "证照齐全有效"}, {N: 2, ID: "clean", Label: "场所环境卫生", PhotoExpected: true}},
		Form:         visitform.Form{Mode: "onsite", Status: visitform.StatusNormal},
		DeadlineDays: 7, Today: time.Date(2026, 11, 28, 0, 0, 0, 0, clock.China)}
}

func (f *fakeForms) Open(_ context.Context, who visitform.Who, id int64) (*visitform.Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.who = append(f.who, who)
	return f.page(id), nil
}

func (f *fakeForms) Post(_ context.Context, who visitform.Who, id int64, req visitform.Request) (*visitform.Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.who, f.posts = append(f.who, who), append(f.posts, req)
	p := f.page(id)
	p.Conv, p.Form = "conv-1", req.Form
	if req.Submit {
		p.Done = &visitform.Done{VisitID: 77, Receipt: "✅ 督导已提交：阿明面馆"}
	}
	return p, nil
}

type formWorld struct {
	srv    *httptest.Server
	links  h5.Links
	forms  *fakeForms
	signed []string
	cadre  int64
	oauth  *codeOAuth
}

// newFormWorld serves the form for a cadre bound as openid "o-form";
// withOAuth false leaves WeChat sign-in off.
func newFormWorld(t *testing.T, withOAuth bool) *formWorld {
	t.Helper()
	ctx := context.Background()
	d := h5District.OpenSQLite(t)
	clk := clock.NewFixed(now)
	store := kv.NewMemory()
	t.Cleanup(func() { store.Close() })
	reg := registry.NewService(d, registry.Rules{}, clk)
	accounts := account.NewService(d, store, reg, clk, []byte("h5-test-secret-0123456789"))
	cadres, _, err := reg.FindCadres(ctx, registry.CadreFilter{Limit: 1})
	if err != nil || len(cadres) == 0 {
		t.Fatalf("cadres: %v", err)
	}
	w := &formWorld{forms: &fakeForms{}, cadre: cadres[0].ID, oauth: &codeOAuth{openid: "o-form"}}
	code, _, err := accounts.IssueCode(ctx, account.RoleCadre, w.cadre, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.Bind(ctx, chat.ChannelOA, "o-form", code); err != nil {
		t.Fatal(err)
	}
	var handler http.Handler
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { handler.ServeHTTP(rw, r) }))
	t.Cleanup(w.srv.Close)
	w.links = h5.Links{BaseURL: w.srv.URL, Secret: []byte("h5-test-links-secret")}
	srv, err := web.New(web.Options{Log: slog.New(slog.DiscardHandler), BodyLimit: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	opts := h5.AccessOptions{Links: w.links, Accounts: accounts, Clock: clk, Log: slog.New(slog.DiscardHandler)}
	if withOAuth {
		opts.OAuth = w.oauth
	}
	err = h5.Mount(srv, h5.NewAccess(opts), &h5.VisitForm{Forms: w.forms,
		JS: func(_ context.Context, pageURL string, _ time.Time) (any, error) {
			w.signed = append(w.signed, pageURL)
			return map[string]any{"appId": "wx-test", "timestamp": 1, "nonceStr": "n", "signature": "sig-for-test"}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	handler = srv.Handler()
	return w
}

func (w *formWorld) link(id int64) string {
	return w.links.VisitForm(id, registry.ActorOf("cadre", w.cadre), now.Add(time.Hour))
}

func postJSON(t *testing.T, c *http.Client, u string, body any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

var csrfInPage = regexp.MustCompile(`csrf: "([^"]+)"`)

func TestVisitFormPage(t *testing.T) {
	w := newFormWorld(t, true)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	link := w.link(12)
	code, page := fetch(t, c, link)
	if code != http.StatusOK {
		t.Fatalf("GET %d:\n%s", code, page)
	}
	for _, want := range []string{"督导检查表", "阿明面馆", "证照齐全有效", "此项需留存照片", "sig-for-test", "/h5/visitform.js"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "fakewx") {
		t.Error("the simulator's stand-in wx is on a page without the simulator")
	}
	if len(w.signed) != 1 || w.signed[0] != link {
		t.Errorf("wx.config signed for %v, want the address the browser shows, %s", w.signed, link)
	}
	m := csrfInPage.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token in the page")
	}
	form := visitform.Form{Mode: "onsite", Status: "normal", Items: map[string]visitform.Item{"licence": {Result: "ok"}}}

	t.Run("NoCSRF", func(t *testing.T) {
		code, body := postJSON(t, c, link, map[string]any{"form": form})
		if code != http.StatusForbidden || !strings.Contains(body, "页面已过期") {
			t.Errorf("%d %s", code, body)
		}
	})
	t.Run("OtherBrowser", func(t *testing.T) {
		code, body := postJSON(t, &http.Client{}, link, map[string]any{"csrf": m[1], "form": form})
		if code != http.StatusForbidden {
			t.Errorf("%d %s", code, body)
		}
	})
	t.Run("BadBody", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader("{不是JSON"))
		req.Header.Set("Accept", "application/json")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "无法识别") {
			t.Errorf("%d %s", res.StatusCode, b)
		}
	})
	t.Run("Save", func(t *testing.T) {
		code, body := postJSON(t, c, link, map[string]any{"csrf": m[1], "form": form})
		var ans struct {
			Conv  string
			Saved string
			Form  visitform.Form
		}
		if err := json.Unmarshal([]byte(body), &ans); err != nil || code != http.StatusOK || ans.Conv != "conv-1" || ans.Saved == "" || ans.Form.Items["licence"].Result != "ok" {
			t.Fatalf("%d %s", code, body)
		}
		who := w.forms.who[len(w.forms.who)-1]
		if who != (visitform.Who{Channel: chat.ChannelOA, UserID: "o-form", CadreID: w.cadre}) {
			t.Errorf("posted as %+v", who)
		}
	})
	t.Run("Submit", func(t *testing.T) {
		code, body := postJSON(t, c, link, map[string]any{"csrf": m[1], "conv": "conv-1", "form": form, "submit": true})
		if code != http.StatusOK || !strings.Contains(body, "督导已提交") || !strings.Contains(body, "/h5/visits/77?") {
			t.Fatalf("%d %s", code, body)
		}
		if last := w.forms.posts[len(w.forms.posts)-1]; !last.Submit || last.Conv != "conv-1" {
			t.Errorf("posted %+v", last)
		}
	})
	t.Run("ForgedLink", func(t *testing.T) {
		if code, body := fetch(t, c, strings.Replace(link, "/visitform/12", "/visitform/13", 1)); code != http.StatusForbidden || !strings.Contains(body, "链接无效") {
			t.Errorf("%d", code)
		}
	})
	t.Run("Script", func(t *testing.T) {
		res, err := c.Get(w.srv.URL + "/h5/visitform.js")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") || !bytes.Contains(b, []byte("localStorage")) {
			t.Errorf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})
	t.Run("NotACadre", func(t *testing.T) {
		w.oauth.openid = "o-stranger"
		jar, _ := cookiejar.New(nil)
		if code, body := fetch(t, &http.Client{Jar: jar}, link); code != http.StatusForbidden || !strings.Contains(body, "只有该主体的包保干部") {
			t.Errorf("%d", code)
		}
	})
}

// TestVisitFormNeedsWeChat: without WeChat sign-in the page cannot know
// whose chat draft it fills, and says so.
func TestVisitFormNeedsWeChat(t *testing.T) {
	w := newFormWorld(t, false)
	code, body := fetch(t, &http.Client{}, w.link(12))
	if code != http.StatusForbidden || !strings.Contains(body, "请在微信中从公众号消息打开本页面") {
		t.Errorf("%d %s", code, body)
	}
}

// TestTasksLinkTheForm: a cadre's task list links each business to the
// form, signed for the cadre; a manager reading the list gets no links
// (the form fills the reader's own report).
func TestTasksLinkTheForm(t *testing.T) {
	e := newH5(t, "http://h5.test", nil)
	f := e.supervisionFixture(t)
	tasks, err := e.sup.Tasks(context.Background(), f.cadre)
	if err != nil || len(tasks) == 0 {
		t.Fatalf("tasks: %v, %v", tasks, err)
	}
	cadre := registry.ActorOf("cadre", f.cadre)
	page := body(t, e.get(t, e.links.CadreTasks(f.cadre, cadre, now.Add(linkTTL))))
	if n := strings.Count(page, "填写全面检查表"); n != len(tasks) {
		t.Errorf("%d form links for %d tasks", n, len(tasks))
	}
	want := e.links.VisitForm(tasks[0].BusinessID, cadre, now.Add(7*24*time.Hour))
	if !strings.Contains(page, strings.ReplaceAll(want, "&", "&amp;")) {
		t.Errorf("the list does not link %s", want)
	}
	manager := body(t, e.get(t, e.links.CadreTasks(f.cadre, registry.ActorOf("manager", f.manager), now.Add(linkTTL))))
	if strings.Contains(manager, "填写全面检查表") {
		t.Error("a manager's list links the form")
	}
}
