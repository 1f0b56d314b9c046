package sim

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// --- WeCom ---

// webhookSend plays a WeCom group robot: text and markdown, 20 messages a
// minute per key (a sliding window), content length limits.
func (f *FakeAPI) webhookSend(r *http.Request, body []byte, c *Call) reply {
	key := r.URL.Query().Get("key")
	if key == "" {
		return errReply(93000)
	}
	var req struct {
		MsgType string `json:"msgtype"`
		Text    *struct {
			Content string `json:"content"`
		} `json:"text"`
		Markdown *struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	c.MsgType = req.MsgType
	limit := 0
	switch {
	case req.MsgType == "text" && req.Text != nil:
		c.Content, limit = req.Text.Content, robotTextMax
	case req.MsgType == "markdown" && req.Markdown != nil:
		c.Content, limit = req.Markdown.Content, robotMarkdownMax
	default:
		return errReply(40008)
	}
	if len(c.Content) > limit || !utf8.ValidString(c.Content) {
		return errReply(40058)
	}
	now := time.Now()
	recent := slices.DeleteFunc(f.robotSends[key], func(t time.Time) bool { return now.Sub(t) >= time.Minute })
	if len(recent) >= robotPerMinute {
		f.robotSends[key] = recent
		return errReply(45009)
	}
	f.robotSends[key] = append(recent, now)
	// The group a post went to, for the simulator's group pane (the fake
	// only ever runs in development, where robot keys are demo values).
	c.ToUser = "robot:" + key
	return okReply(nil)
}

// responseURL plays the smart robot's response_url: it records the reply.
func (f *FakeAPI) responseURL(_ *http.Request, body []byte, c *Call) reply {
	var req struct {
		MsgType  string `json:"msgtype"`
		Markdown *struct {
			Content string `json:"content"`
		} `json:"markdown"`
		Text *struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errReply(47001)
	}
	c.MsgType = req.MsgType
	switch {
	case req.Markdown != nil:
		c.Content = req.Markdown.Content
	case req.Text != nil:
		c.Content = req.Text.Content
	}
	return okReply(nil)
}
