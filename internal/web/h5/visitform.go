package h5

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/visitform"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/templates"
)

// The visit report's H5 form: the whole checklist of the business's
// category on one page, with photos per item and the location through the
// JS-SDK, the status change and the deadlines. It fills the chat's own
// draft of the report (see internal/visitform), so the cadre may start in
// the chat and finish here or the other way round; each change is posted
// as it is made (and kept in the phone until the server has it), and 提交
// stores the report through the chat's own submit.

const (
	msgFormWeChatOnly = "请在微信中从公众号消息打开本页面：表单填写的是您在公众号里的督导草稿。"
	msgFormNotCadre   = "只有该主体的包保干部可以填写督导表单。请用已绑定的微信从公众号消息中打开本页面。"
	msgFormBadBody    = "提交的内容无法识别，请刷新页面后重试。"
	// maxFormBody bounds one post of the form (the whole report as JSON).
	maxFormBody = 256 << 10
)

// VisitForms is the chat's visit flow as the form uses it: *bot.VisitForms.
type VisitForms interface {
	Open(ctx context.Context, who visitform.Who, businessID int64) (*visitform.Page, error)
	Post(ctx context.Context, who visitform.Who, businessID int64, req visitform.Request) (*visitform.Page, error)
}

// JSSigner signs a page's address for wx.config (appId, timestamp,
// nonceStr, signature), as *wechat.Client.JSConfig does; the value is
// handed to the page as JSON.
type JSSigner func(ctx context.Context, pageURL string, now time.Time) (any, error)

// VisitForm serves the visit report's form (templates/h5/visitform.html
// and its script): the page and the endpoint its script posts each change
// and the submit to.
type VisitForm struct {
	Forms VisitForms
	JS    JSSigner
	// FakeWX, only with the simulator on, is the address of the stand-in
	// `wx` (sim.FakeWXScriptPath under the fake API) a plain browser loads
	// instead of WeChat's JS-SDK. Empty in production.
	FakeWX string
	*mounted
}

func (h *VisitForm) mount(m *mounted) {
	h.mounted = m
	m.router.GET("/h5/visitform.js", h.script)
	m.router.GET("/h5/visitform/:id", h.show)
	m.router.POST("/h5/visitform/:id", h.post)
}

// who identifies the visitor: signed in with WeChat (the draft is their
// chat's) and bound as a cadre, the link's reader first.
func (h *VisitForm) who(c echo.Context) (int64, *visitform.Who, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, nil, errs.E(errs.Forbidden, msgH5LinkInvalid)
	}
	v, err := h.access.identify(c, visitFormResource(id))
	if err != nil || v == nil {
		return id, nil, err
	}
	if v.OpenID == "" {
		return id, nil, errs.E(errs.Forbidden, msgFormWeChatOnly)
	}
	for _, cand := range v.candidates() {
		if role, sid, ok := strings.Cut(string(cand.Actor), ":"); ok && role == "cadre" {
			cadreID, err := strconv.ParseInt(sid, 10, 64)
			if err == nil {
				return id, &visitform.Who{Channel: chat.ChannelOA, UserID: v.OpenID, CadreID: cadreID}, nil
			}
		}
	}
	return id, nil, errs.E(errs.Forbidden, msgFormNotCadre)
}

// formView is the page's data: the page as the service sees it, how to
// post, and how to reach the JS-SDK.
type formView struct {
	*visitform.Page
	State    template.JS
	PostURL  string
	CSRF     string
	WX       template.JS
	FakeWX   string
	SimLat   string
	SimLng   string
	MaxDate  string
	TodayStr string
}

func (h *VisitForm) show(c echo.Context) error {
	id, who, err := h.who(c)
	if err != nil || who == nil {
		return err
	}
	ctx := c.Request().Context()
	p, err := h.Forms.Open(ctx, *who, id)
	if err != nil {
		return err
	}
	view := formView{Page: p, PostURL: visitFormResource(id) + "?" + signedQuery(c),
		CSRF: h.access.csrfToken(c, visitFormResource(id)), FakeWX: h.FakeWX,
		TodayStr: p.Today.Format(time.DateOnly), MaxDate: p.Today.AddDate(0, 0, 90).Format(time.DateOnly)}
	state, err := json.Marshal(formState(p))
	if err != nil {
		return err
	}
	view.State = template.JS(state)
	if h.JS != nil {
		page := strings.TrimRight(h.access.links.BaseURL, "/") + c.Request().URL.RequestURI()
		cfg, err := h.JS(ctx, page, h.access.clock.Now())
		if err != nil {
			// The form works without photos and location; say so on the page.
			h.access.log.Warn("visit form: jsapi config", "rid", web.RequestID(c), "err", err.Error())
		} else if b, err := json.Marshal(cfg); err == nil {
			view.WX = template.JS(b)
		}
	}
	if h.FakeWX != "" && p.Business.Latitude != nil && p.Business.Longitude != nil {
		view.SimLat = strconv.FormatFloat(*p.Business.Latitude, 'f', 6, 64)
		view.SimLng = strconv.FormatFloat(*p.Business.Longitude, 'f', 6, 64)
	}
	return h.render(c, http.StatusOK, "visitform", view)
}

// formPost is one post of the page's script.
type formPost struct {
	CSRF    string         `json:"csrf"`
	Conv    string         `json:"conv"`
	Form    visitform.Form `json:"form"`
	Replace bool           `json:"replace"`
	Submit  bool           `json:"submit"`
}

// formAnswer is what the script gets back.
type formAnswer struct {
	Conv     string              `json:"conv"`
	Form     *visitform.Form     `json:"form,omitempty"`
	Other    string              `json:"other,omitempty"`
	Problems []visitform.Problem `json:"problems,omitempty"`
	Missing  []visitform.Problem `json:"missing,omitempty"`
	Done     *formDone           `json:"done,omitempty"`
	Saved    string              `json:"saved"`
}

type formDone struct {
	Receipt string `json:"receipt,omitempty"`
	URL     string `json:"url"`
}

func formState(p *visitform.Page) formAnswer {
	return formAnswer{Conv: p.Conv, Form: &p.Form, Other: p.Other, Problems: p.Problems, Missing: p.Missing}
}

// post takes a change or the submit: CSRF-checked, from the signed-in
// cadre, the whole form each time (the last post wins).
func (h *VisitForm) post(c echo.Context) error {
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxFormBody)
	var in formPost
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		if web.IsTooLarge(err) {
			return err
		}
		return errs.Wrap(errs.Invalid, err, msgFormBadBody)
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.Forbidden, msgH5LinkInvalid)
	}
	if err := h.access.checkCSRF(c, visitFormResource(id), in.CSRF); err != nil {
		return err
	}
	id, who, err := h.who(c)
	if err != nil {
		return err
	}
	if who == nil {
		return errs.E(errs.Forbidden, msgH5SignIn)
	}
	p, err := h.Forms.Post(req.Context(), *who, id, visitform.Request{Conv: in.Conv, Form: in.Form, Replace: in.Replace, Submit: in.Submit})
	if err != nil {
		return err
	}
	out := formState(p)
	out.Saved = h.access.clock.Now().In(clock.China).Format("15:04:05")
	if p.Done != nil {
		out.Form = nil
		out.Done = &formDone{Receipt: p.Done.Receipt,
			URL: h.access.links.VisitReceipt(p.Done.VisitID, registry.ActorOf("cadre", who.CadreID), h.access.clock.Now().Add(30*24*time.Hour))}
	}
	return c.JSON(http.StatusOK, out)
}

// script is the form's script, from the embedded templates.
func (h *VisitForm) script(c echo.Context) error {
	b, err := templates.FS.ReadFile("h5/visitform.js")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", b)
}

// formLinks are the form's links for the businesses of a cadre's task
// list, when the cadre reads it (a manager gets none: the form fills the
// reader's own report).
func (m *mounted) formLinks(tasks []supervision.Task, reader registry.Actor) map[int64]string {
	if !strings.HasPrefix(string(reader), "cadre:") {
		return nil
	}
	out := make(map[int64]string, len(tasks))
	exp := m.access.clock.Now().Add(7 * 24 * time.Hour)
	for _, t := range tasks {
		out[t.BusinessID] = m.access.links.VisitForm(t.BusinessID, reader, exp)
	}
	return out
}
