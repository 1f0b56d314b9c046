package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
	"github.com/shianbao/shianbao/internal/wechat"
	"github.com/shianbao/shianbao/templates"
)

// Simulator is the dev page /dev/simulator: a phone-like chat in which
// anyone can be any seeded cadre, manager or business contact (or a
// stranger) and talk to the service through the real callback — signed, and
// encrypted in safe mode — while pushes the fake API receives show up in the
// recipient's chat and WeCom group posts in a group pane. It never runs in
// the production configuration.
type Simulator struct {
	Fake        *FakeAPI
	Platform    wechat.Platform
	WeCom       *wechat.WeComPlatform
	CallbackURL func() string
	WeComURL    func() string
	Registry    *registry.Service
	Accounts    *account.Service
	Supervision *supervision.Service
	// Query is the read side, for the businesses to pick personas from.
	Query *query.Reader
	// Clock is the app's clock; the page shifts it to show reminders.
	Clock *clock.Offset
	// AfterJump runs after the clock moved (plan reminders, dispatch pushes).
	AfterJump func(ctx context.Context) error
	// Groups maps a WeCom group robot key to its group name.
	Groups map[string]string
	Log    *slog.Logger

	page  *template.Template
	msgID atomic.Int64
	// followed are the personas that follow the account (subscribed here).
	followed sync.Map
	fresh    atomic.Int64
}

// Init parses the page; call once before serving.
func (s *Simulator) Init() error {
	sets, err := templates.Load()
	if err != nil {
		return err
	}
	s.page = sets.Sim
	s.msgID.Store(time.Now().UnixNano() / 1000)
	return nil
}

// ServeHTTP routes the page and its small JSON API.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/dev/simulator")
	var err error
	switch {
	case path == "" || path == "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		err = s.page.ExecuteTemplate(w, "simulator", pageData{Encrypted: s.encrypted()})
	case path == "/api/personas" && r.Method == http.MethodGet:
		err = s.personas(w, r)
	case path == "/api/send" && r.Method == http.MethodPost:
		err = s.send(w, r)
	case path == "/api/inbox" && r.Method == http.MethodGet:
		err = s.inbox(w, r)
	case path == "/api/clock" && r.Method == http.MethodPost:
		err = s.jump(w, r)
	case path == "/api/qrcodes" && r.Method == http.MethodGet:
		err = s.qrcodes(w, r)
	case path == "/api/clock" && r.Method == http.MethodGet:
		err = writeJSON(w, map[string]string{"now": s.Clock.Now().In(clock.China).Format("2006-01-02 15:04")})
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.Log.Warn("simulator", "err", err.Error())
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
	}
}

// Persona is someone to chat as.
type Persona struct {
	OpenID string  `json:"openid"`
	Role   string  `json:"role"`
	Name   string  `json:"name"`
	Detail string  `json:"detail"`
	Lat    float64 `json:"lat,omitempty"`
	Lng    float64 `json:"lng,omitempty"`
	// Bind is how the persona binds ("cadre:12"); empty for strangers.
	Bind string `json:"bind,omitempty"`
	// Fresh: someone who does not follow the account yet (to scan a code).
	Fresh bool   `json:"fresh,omitempty"`
	Note  string `json:"note,omitempty"`
}

// personas lists a useful handful of each role: cadres with open tasks
// first, every office manager, and contacts of businesses with open letters.
func (s *Simulator) personas(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	out := []Persona{{OpenID: "sim-stranger", Role: "陌生人", Name: "陌生人", Detail: "未绑定的新用户"},
		{OpenID: fmt.Sprintf("sim-new-%d-%d", s.msgID.Load(), s.fresh.Add(1)), Role: "新用户", Name: "新用户（未关注）",
			Detail: "扫描绑定二维码关注并绑定", Fresh: true, Note: msgQRUnfollowed}}
	cadres, _, err := s.Registry.FindCadres(ctx, registry.CadreFilter{Limit: 400})
	if err != nil {
		return err
	}
	// Village cadres first: they are most of the users.
	slices.SortStableFunc(cadres, func(a, b registry.Cadre) int {
		return cadreOrder(a.Level) - cadreOrder(b.Level)
	})
	shown := 0
	for _, c := range cadres {
		if shown == 12 {
			break
		}
		tasks, err := s.Supervision.Tasks(ctx, c.ID)
		if err != nil {
			return err
		}
		if len(tasks) == 0 {
			continue
		}
		p := Persona{OpenID: fmt.Sprintf("sim-cadre-%d", c.ID), Role: "包保干部", Name: c.Name, Bind: "cadre:" + strconv.FormatInt(c.ID, 10),
			Detail: fmt.Sprintf("%s · 待督导%d家", c.Post, len(tasks))}
		if b, err := s.Registry.Business(ctx, tasks[0].BusinessID); err == nil && b.Latitude != nil {
			p.Lat, p.Lng = *b.Latitude, *b.Longitude
			p.Detail += " · 定位按「" + b.Name + "」"
		}
		out = append(out, p)
		shown++
	}
	offices, err := s.Registry.Offices(ctx)
	if err != nil {
		return err
	}
	for _, o := range offices {
		ms, err := s.Registry.Managers(ctx, o.ID)
		if err != nil {
			return err
		}
		for _, m := range ms[:min(1, len(ms))] {
			out = append(out, Persona{OpenID: fmt.Sprintf("sim-manager-%d", m.ID), Role: "食安办", Name: m.Name,
				Detail: o.Name, Bind: "manager:" + strconv.FormatInt(m.ID, 10)})
		}
	}
	lines, _, err := s.Query.Businesses(ctx, query.BusinessFilter{Status: string(registry.StatusOperating), Limit: 6})
	if err != nil {
		return err
	}
	for _, l := range lines {
		b, err := s.Registry.Business(ctx, l.ID)
		if err != nil {
			return err
		}
		if b.Principal == "" {
			continue
		}
		out = append(out, Persona{OpenID: fmt.Sprintf("sim-business-%d", b.ID), Role: "主体联系人", Name: b.Principal,
			Detail: b.Name + " 负责人", Bind: "business:" + strconv.FormatInt(b.ID, 10)})
	}
	return writeJSON(w, out)
}

type sendRequest struct {
	OpenID string  `json:"openid"`
	Bind   string  `json:"bind"`
	Kind   string  `json:"kind"` // text, location, image, click, subscribe
	Text   string  `json:"text"`
	Key    string  `json:"key"`
	Lat    float64 `json:"lat"`
	Lng    float64 `json:"lng"`
	Label  string  `json:"label"`
	Image  string  `json:"image"` // base64 data URL of an uploaded photo
	Mode   string  `json:"mode"`
	// MenuID is the option id of a msgmenu option tapped (Text is its text).
	MenuID string `json:"menuid"`
	// Scene is the scene of a QR code scanned (kind "scan").
	Scene string `json:"scene"`
}

type sendReply struct {
	Text     string    `json:"text"`
	Articles []article `json:"articles,omitempty"`
	// Pushes are the customer-service messages (a msgmenu with the
	// reply's choices) the service sent while answering.
	Pushes []Push `json:"pushes,omitempty"`
	Status int    `json:"status"`
	Mode   string `json:"mode"`
	Note   string `json:"note,omitempty"`
	// Open is a web address a scanned code holds: the phone opens it.
	Open string `json:"open,omitempty"`
}

// article is a news card as the page reads it.
type article struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
}

// send delivers one user action through the real callback and returns the
// passive reply as the phone would show it.
func (s *Simulator) send(w http.ResponseWriter, r *http.Request) error {
	var req sendRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 12<<20)).Decode(&req); err != nil {
		return errors.New("请求格式错误")
	}
	if !strings.HasPrefix(req.OpenID, "sim-") {
		return errors.New("unknown persona")
	}
	mode, err := s.mode(req.Mode)
	if err != nil {
		return err
	}
	ctx := r.Context()
	// H5 pages opened from this chat sign in (WeChat OAuth) as this persona.
	s.Fake.SetPersona(req.OpenID)
	note, err := s.ensureBound(ctx, req.OpenID, req.Bind, mode)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	id := s.msgID.Add(1)
	var m wechat.Message
	switch req.Kind {
	case "text":
		if strings.TrimSpace(req.Text) == "" {
			return errors.New("请输入内容")
		}
		m = wechat.TextMessage(req.OpenID, "gh_simulator", req.Text, id, now)
		if req.MenuID != "" {
			m = wechat.MenuTapMessage(req.OpenID, "gh_simulator", req.Text, req.MenuID, id, now)
		}
	case "location":
		m = wechat.LocationMessage(req.OpenID, "gh_simulator", req.Lat, req.Lng, req.Label, id, now)
	case "image":
		data, ctype, err := decodeDataURL(req.Image)
		if err != nil {
			return err
		}
		media := fmt.Sprintf("sim-media-%d", id)
		s.Fake.PutMedia(media, data, ctype)
		m = wechat.ImageMessage(req.OpenID, "gh_simulator", media, "", id, now)
	case "click":
		m = wechat.EventMessage(req.OpenID, "gh_simulator", "CLICK", req.Key, now)
	case "subscribe":
		s.followed.Store(req.OpenID, true)
		m = wechat.EventMessage(req.OpenID, "gh_simulator", "subscribe", "", now)
	case "scan":
		var open string
		if m, open, err = s.scanMessage(req.OpenID, req.Text); err != nil {
			return err
		}
		if open != "" {
			return writeJSON(w, sendReply{Open: open, Status: http.StatusOK, Mode: string(mode)})
		}
	default:
		return errors.New("unknown kind")
	}
	from := len(s.Fake.Calls())
	reply, status, err := s.deliver(m, mode)
	if err != nil {
		return err
	}
	reply.Pushes = s.customSince(from, req.OpenID)
	reply.Note = note
	reply.Status = status
	reply.Mode = string(mode)
	return writeJSON(w, reply)
}

// pageData is what the page needs to know of the account.
type pageData struct {
	// Encrypted: the account has an AES key, so the service takes
	// compatible and safe mode only; otherwise plaintext only.
	Encrypted bool
}

func (s *Simulator) encrypted() bool { return s.Platform.AESKey != "" }

// mode picks how a message is sent: the requested mode when the account's
// configuration allows it, else a plain sentence saying why not. No mode
// means the account's own (safe with a key, plaintext without).
func (s *Simulator) mode(requested string) (wechat.Mode, error) {
	switch m := wechat.Mode(requested); {
	case m == "" && s.encrypted():
		return wechat.ModeSafe, nil
	case m == "":
		return wechat.ModePlain, nil
	case m == wechat.ModePlain && s.encrypted():
		return "", errors.New(msgAccountEncrypted)
	case (m == wechat.ModeSafe || m == wechat.ModeCompatible) && !s.encrypted():
		return "", errors.New(msgAccountPlain)
	case m == wechat.ModePlain || m == wechat.ModeSafe || m == wechat.ModeCompatible:
		return m, nil
	}
	return "", errors.New(msgUnknownMode)
}

// deliver posts m to the callback exactly as the platform would.
func (s *Simulator) deliver(m wechat.Message, mode wechat.Mode) (sendReply, int, error) {
	p := s.Platform
	p.Now = s.Clock.Now
	req, err := p.Request(s.CallbackURL(), m, mode)
	if err != nil {
		return sendReply{}, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return sendReply{}, 0, err
	}
	status := resp.StatusCode
	decoded, err := p.DecodeReply(resp, mode)
	if err != nil {
		return sendReply{Text: "（回调失败：" + err.Error() + "）"}, status, nil
	}
	out := sendReply{Text: decoded.Content}
	for _, a := range decoded.Articles {
		out.Articles = append(out.Articles, article{Title: a.Title, Description: a.Description, URL: a.URL})
	}
	return out, status, nil
}

// ensureBound binds a persona on first use, the way a real user would:
// an office issues a code and the person sends 绑定 CODE.
func (s *Simulator) ensureBound(ctx context.Context, openid, bind string, mode wechat.Mode) (string, error) {
	if bind == "" {
		return "", nil
	}
	ids, err := s.Accounts.Identities(ctx, chat.ChannelOA, openid)
	if err != nil || len(ids) > 0 {
		return "", err
	}
	kind, idText, _ := strings.Cut(bind, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return "", errors.New("bad persona")
	}
	role := account.Role(kind)
	subject := id
	if kind == "business" {
		c, err := s.Accounts.EnsureContact(ctx, id, account.ContactPrincipal)
		if err != nil {
			return "", err
		}
		role, subject = account.RoleContact, c.ID
	}
	code, _, err := s.Accounts.IssueCode(ctx, role, subject, "simulator")
	if err != nil {
		return "", err
	}
	reply, _, err := s.deliver(wechat.TextMessage(openid, "gh_simulator", "绑定 "+code, s.msgID.Add(1), s.Clock.Now()), mode)
	if err != nil {
		return "", err
	}
	return "（模拟器已代为发送“绑定 " + code + "”）" + reply.Text, nil
}

// jump moves the app's clock to a moment that shows reminders, then lets
// the reminders run.
func (s *Simulator) jump(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Preset string `json:"preset"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<10)).Decode(&req); err != nil {
		return errors.New("请求格式错误")
	}
	real := time.Now().In(clock.China)
	quarterEnd := supervision.CycleFor(supervision.PeriodQuarter, real).Due
	switch req.Preset {
	case "reset":
		s.Clock.Reset()
	case "t-7":
		s.Clock.Set(time.Date(quarterEnd.Year(), quarterEnd.Month(), quarterEnd.Day()-7, 9, 0, 0, 0, clock.China))
	case "overdue-1":
		s.Clock.Set(time.Date(quarterEnd.Year(), quarterEnd.Month(), quarterEnd.Day()+1, 9, 0, 0, 0, clock.China))
	case "overdue-3":
		s.Clock.Set(time.Date(quarterEnd.Year(), quarterEnd.Month(), quarterEnd.Day()+4, 9, 0, 0, 0, clock.China))
	default:
		return errors.New("unknown preset")
	}
	if s.AfterJump != nil {
		if err := s.AfterJump(r.Context()); err != nil {
			return err
		}
	}
	return writeJSON(w, map[string]string{"now": s.Clock.Now().In(clock.China).Format("2006-01-02 15:04")})
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	return json.NewEncoder(w).Encode(v)
}

func cadreOrder(l registry.CadreLevel) int {
	switch l {
	case registry.CadreVillage:
		return 0
	case registry.CadreTown:
		return 1
	}
	return 2
}
