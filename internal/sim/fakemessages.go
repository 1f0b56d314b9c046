package sim

import (
	cryptorand "crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// --- access token ---

func (f *FakeAPI) checkApp(appID, secret string) (int, bool) {
	switch {
	case f.appID != "" && appID != f.appID:
		return 40013, false
	case f.secret != "" && secret != f.secret:
		return 40125, false
	}
	return 0, true
}

func (f *FakeAPI) issueToken() string {
	f.seq++
	tok := "FAKE_AT_" + strconv.FormatInt(f.seq, 10) + "_" + cryptorand.Text()
	f.tokens[tok] = time.Now().Add(f.tokenTTL)
	f.issued = append(f.issued, tok)
	return tok
}

func (f *FakeAPI) tokenReply(tok string) reply {
	left := time.Until(f.tokens[tok]).Round(time.Second)
	return jsonReply(0, map[string]any{"access_token": tok, "expires_in": int64(left / time.Second)})
}

// token is the classic endpoint: every call issues a new token. Older tokens
// stay valid (the platform keeps them for five minutes; the fake until
// InvalidateTokens).
func (f *FakeAPI) token(r *http.Request, _ []byte, _ *Call) reply {
	q := r.URL.Query()
	if code, ok := f.checkApp(q.Get("appid"), q.Get("secret")); !ok {
		return errReply(code)
	}
	return f.tokenReply(f.issueToken())
}

// stableToken returns the token in force unless force_refresh is set, so
// callers that do not share a cache still share the token.
func (f *FakeAPI) stableToken(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	redactedReq := req
	redactedReq.Secret = "REDACTED"
	c.Body, _ = json.Marshal(redactedReq)
	if code, ok := f.checkApp(req.AppID, req.Secret); !ok {
		return errReply(code)
	}
	if exp, ok := f.tokens[f.stable]; ok && !req.ForceRefresh && time.Now().Before(exp) {
		return f.tokenReply(f.stable)
	}
	f.stable = f.issueToken()
	return f.tokenReply(f.stable)
}

// --- messages ---

// reachable answers 43004 for a user who does not follow, 40003 for no user.
func (f *FakeAPI) reachable(openid string) (int, bool) {
	if openid == "" {
		return 40003, false
	}
	if following, known := f.users[openid]; known && !following {
		return 43004, false
	}
	return 0, true
}

type dataItem struct {
	Value string `json:"value"`
}

func dataContent(data map[string]dataItem) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(data)) {
		fmt.Fprintf(&b, "%s: %s\n", k, data[k].Value)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (f *FakeAPI) templateSend(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		ToUser      string              `json:"touser"`
		TemplateID  string              `json:"template_id"`
		URL         string              `json:"url"`
		Data        map[string]dataItem `json:"data"`
		ClientMsgID string              `json:"client_msg_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	c.ToUser, c.ClientMsgID, c.MsgType, c.Content = req.ToUser, req.ClientMsgID, "template", dataContent(req.Data)
	c.Template = templateCard(req.TemplateID, req.Data)
	if code, ok := f.reachable(req.ToUser); !ok {
		return errReply(code)
	}
	if req.TemplateID == "" {
		return errReply(40037)
	}
	if req.ClientMsgID != "" {
		if id, seen := f.templates[req.ClientMsgID]; seen {
			c.MsgID, c.Duplicate = id, true
			return okReply(map[string]any{"msgid": id})
		}
	}
	f.nextMsgID++
	c.MsgID = f.nextMsgID
	if req.ClientMsgID != "" {
		f.templates[req.ClientMsgID] = c.MsgID
	}
	return okReply(map[string]any{"msgid": c.MsgID})
}

func (f *FakeAPI) subscribeSend(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		ToUser     string              `json:"touser"`
		TemplateID string              `json:"template_id"`
		Page       string              `json:"page"`
		Data       map[string]dataItem `json:"data"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	c.ToUser, c.MsgType, c.Content = req.ToUser, "subscribe", dataContent(req.Data)
	c.Template = templateCard(req.TemplateID, req.Data)
	if code, ok := f.reachable(req.ToUser); !ok {
		return errReply(code)
	}
	if req.TemplateID == "" {
		return errReply(40037)
	}
	return okReply(nil)
}

func (f *FakeAPI) customSend(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		Text    *struct {
			Content string `json:"content"`
		} `json:"text"`
		News *struct {
			Articles []struct {
				Title string `json:"title"`
			} `json:"articles"`
		} `json:"news"`
		Msgmenu *MsgMenu `json:"msgmenu"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	c.ToUser, c.MsgType = req.ToUser, req.MsgType
	switch {
	case req.MsgType == "text" && req.Text != nil:
		c.Content = req.Text.Content
	case req.MsgType == "news" && req.News != nil && len(req.News.Articles) > 0:
		c.Content = req.News.Articles[0].Title
	case req.MsgType == "msgmenu" && req.Msgmenu != nil:
		if f.testAccount {
			return errReply(40200)
		}
		if code, ok := req.Msgmenu.check(); !ok {
			return errReply(code)
		}
		c.Menu, c.Content = req.Msgmenu, req.Msgmenu.text()
	default:
		return errReply(40008)
	}
	if code, ok := f.reachable(req.ToUser); !ok {
		return errReply(code)
	}
	return okReply(nil)
}

// MsgMenu is a customer-service msgmenu as posted: a question with up to
// ten tappable options.
type MsgMenu struct {
	Head    string       `json:"head_content"`
	Options []MenuOption `json:"list"`
	Tail    string       `json:"tail_content"`
}

// MenuOption is one option of a msgmenu: tapping it sends Content back as
// a text message with ID in bizmsgmenuid.
type MenuOption struct {
	ID      string `json:"id"`
	Content string `json:"content"`
}

// maxMenuOptions is the platform's limit on a msgmenu's options.
const maxMenuOptions = 10

// check answers what the platform would refuse: no options or too many
// (45004 is its "too long" answer), an option without text or id.
func (m *MsgMenu) check() (int, bool) {
	if len(m.Options) == 0 || len(m.Options) > maxMenuOptions {
		return 45004, false
	}
	for _, o := range m.Options {
		if o.ID == "" || o.Content == "" {
			return 47001, false
		}
	}
	return 0, true
}

// text is the menu as a call's Content: head, one option a line, tail.
func (m *MsgMenu) text() string {
	lines := []string{}
	if m.Head != "" {
		lines = append(lines, m.Head)
	}
	for _, o := range m.Options {
		lines = append(lines, "["+o.ID+"] "+o.Content)
	}
	if m.Tail != "" {
		lines = append(lines, m.Tail)
	}
	return strings.Join(lines, "\n")
}
