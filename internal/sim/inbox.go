package sim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/shianbao/shianbao/internal/clock"
)

// Push is a message the service pushed to someone (template, customer
// service, subscribe) or to a group, as the phone or the group pane shows it.
type Push struct {
	Seq  int    `json:"seq"`
	Time string `json:"time"`
	To   string `json:"to"`
	Kind string `json:"kind"`
	// Label names the kind of message in Chinese (模板消息, 客服消息, ...).
	Label   string `json:"label"`
	Content string `json:"content"`
	URL     string `json:"url,omitempty"`
	// Card is a template message's title, labelled fields and remark.
	Card *TemplateCard `json:"card,omitempty"`
	// Menu is a msgmenu's question and tappable options.
	Menu *MsgMenu `json:"menu,omitempty"`
}

// pushLabels name the kinds of push in Chinese.
var pushLabels = map[string]string{
	"template": "模板消息", "subscribe": "订阅通知", "text": "客服消息", "news": "图文消息",
	"msgmenu": "菜单消息", "markdown": "群机器人", "image": "图片",
}

// personal are the kinds of call that put a message in front of one user.
var personal = []string{"template", "text", "news", "subscribe", "msgmenu"}

func push(seq int, c Call) Push {
	p := Push{Seq: seq, Time: c.Time.In(clock.China).Format("15:04"), To: c.ToUser, Kind: c.MsgType,
		Label: pushLabels[c.MsgType], Content: c.Content, URL: pushURL(c.Body), Card: c.Template, Menu: c.Menu}
	if p.Label == "" {
		p.Label = "消息"
	}
	return p
}

// inbox returns the pushes for one persona and every group post after seq.
func (s *Simulator) inbox(w http.ResponseWriter, r *http.Request) error {
	openid := r.URL.Query().Get("openid")
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	calls := s.Fake.Calls()
	mine, groups := []Push{}, []Push{}
	for i, c := range calls {
		if i < after || !c.Delivered() {
			continue
		}
		p := push(i+1, c)
		switch {
		case strings.HasPrefix(c.ToUser, "robot:"):
			p.To = s.Groups[strings.TrimPrefix(c.ToUser, "robot:")]
			groups = append(groups, p)
		case c.ToUser == openid && slices.Contains(personal, c.MsgType):
			mine = append(mine, p)
		}
	}
	// The persona's menu: the one its user tag gives it on the platform.
	var menu json.RawMessage
	if m := s.Fake.MenuFor(openid); len(m) > 0 {
		menu = m
	}
	return writeJSON(w, map[string]any{"mine": mine, "groups": groups, "seq": len(calls), "menu": menu,
		"tags": s.Fake.UserTags(openid)})
}

// customSince returns the customer-service messages to openid delivered
// from call index from on: what the service sent besides its passive reply.
func (s *Simulator) customSince(from int, openid string) []Push {
	var out []Push
	for i, c := range s.Fake.Calls() {
		if i >= from && c.Delivered() && c.ToUser == openid && strings.HasSuffix(c.Path, "/message/custom/send") {
			out = append(out, push(i+1, c))
		}
	}
	return out
}

func pushURL(body []byte) string {
	var b struct {
		URL  string `json:"url"`
		Page string `json:"page"`
		News struct {
			Articles []struct {
				URL string `json:"url"`
			} `json:"articles"`
		} `json:"news"`
	}
	if json.Unmarshal(body, &b) != nil {
		return ""
	}
	switch {
	case b.URL != "":
		return b.URL
	case b.Page != "":
		return b.Page
	case len(b.News.Articles) > 0:
		return b.News.Articles[0].URL
	}
	return ""
}
