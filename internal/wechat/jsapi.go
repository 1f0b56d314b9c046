package wechat

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// JSConfig is what an H5 page passes to wx.config to use the JS-SDK
// (location, photos) inside WeChat: the signature covers the page's URL, so
// each page asks for its own.
type JSConfig struct {
	AppID     string `json:"appId"`
	Timestamp int64  `json:"timestamp"`
	NonceStr  string `json:"nonceStr"`
	Signature string `json:"signature"`
}

// JSSignature is the JS-SDK signature: SHA-1 of
// "jsapi_ticket=…&noncestr=…&timestamp=…&url=…" (keys in this order, which
// is the sorted order, values raw) in lower-case hex. The URL is the page's
// full address without the part after #.
func JSSignature(ticket, nonceStr string, timestamp int64, pageURL string) string {
	if i := strings.IndexByte(pageURL, '#'); i >= 0 {
		pageURL = pageURL[:i]
	}
	s := "jsapi_ticket=" + ticket + "&noncestr=" + nonceStr + "&timestamp=" + strconv.FormatInt(timestamp, 10) + "&url=" + pageURL
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// JSConfig signs pageURL for wx.config with the shared jsapi_ticket, at now.
func (c *Client) JSConfig(ctx context.Context, pageURL string, now time.Time) (JSConfig, error) {
	const op = "jsapi config"
	if pageURL == "" {
		return JSConfig{}, invalid(op, "page URL is required")
	}
	ticket, err := c.JSTicket(ctx)
	if err != nil {
		return JSConfig{}, err
	}
	nonce := rand.Text()[:16]
	ts := now.Unix()
	return JSConfig{AppID: c.appID, Timestamp: ts, NonceStr: nonce, Signature: JSSignature(ticket, nonce, ts, pageURL)}, nil
}

// JSTicket returns the jsapi_ticket, shared by every instance through kv
// as the access token is: the platform rate-limits getticket, and a ticket
// lasts 7200 s, so one instance fetches it under a kv lock and the others
// read what it stored.
func (c *Client) JSTicket(ctx context.Context) (string, error) {
	const op = "jsapi ticket"
	if err := c.checkBase(op); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*c.timeout)
	defer cancel()
	tok, err := c.ticketSource().Token(ctx)
	if err != nil {
		e := normalize(op, err, c.secret)
		e.Op = op
		return "", e
	}
	return tok, nil
}

// ticketSource is the ticket's share in kv: the access token's machinery
// under the ticket's own keys. It holds no state of its own but its
// in-process gate, so one per call costs nothing the kv lock does not
// already cover.
func (c *Client) ticketSource() *tokenSource {
	s := newTokenSource(c.tokens.store, c.appID, c.timeout, c.tokens.log, c.fetchTicket)
	s.key = "wechat:oa:" + c.appID + ":jsapi_ticket"
	s.lockKey = s.key + ":lock"
	return s
}

// fetchTicket asks the platform for a new jsapi_ticket.
func (c *Client) fetchTicket(ctx context.Context) (string, time.Duration, error) {
	const op = "jsapi ticket"
	var res struct {
		Ticket    string `json:"ticket"`
		ExpiresIn int64  `json:"expires_in"`
	}
	err := c.withToken(ctx, op, func(ctx context.Context, token string) error {
		resp, err := util.HTTPGetContext(ctx, apiURL("/cgi-bin/ticket/getticket", token)+"&type=jsapi")
		if err != nil {
			return err
		}
		return decode(resp, op, &res)
	})
	if err != nil {
		return "", 0, err
	}
	return res.Ticket, time.Duration(res.ExpiresIn) * time.Second, nil
}
