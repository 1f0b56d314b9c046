package wechat

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/util"
)

// SetMenu replaces the account's custom menu with menuJSON (the platform's
// format: {"button": [...]}); ValidateMenu runs first.
func (c *Client) SetMenu(ctx context.Context, menuJSON []byte) error {
	const op = "menu create"
	if err := ValidateMenu(menuJSON); err != nil {
		return err
	}
	return c.withToken(ctx, op, func(ctx context.Context, token string) error {
		resp, err := util.HTTPPostContext(ctx, apiURL("/cgi-bin/menu/create", token), menuJSON,
			map[string]string{"Content-Type": "application/json; charset=utf-8"})
		if err != nil {
			return err
		}
		return decode(resp, op, nil)
	})
}

type menuButton struct {
	Type      string       `json:"type"`
	Name      string       `json:"name"`
	Key       string       `json:"key"`
	URL       string       `json:"url"`
	SubButton []menuButton `json:"sub_button"`
}

// ValidateMenu checks menuJSON against the platform's rules, so that
// `shianbao menu` fails with a readable message rather than an errcode: 1–3
// top-level buttons of at most 16 bytes (4 Chinese characters), 1–5
// sub-buttons of at most 60 bytes, click buttons with a key of at most 128
// bytes, view buttons with a URL.
func ValidateMenu(menuJSON []byte) error {
	const op = "menu create"
	var m struct {
		Button []menuButton `json:"button"`
	}
	if err := json.Unmarshal(menuJSON, &m); err != nil {
		return invalid(op, "menu is not valid JSON: "+err.Error())
	}
	if len(m.Button) < 1 || len(m.Button) > 3 {
		return invalid(op, fmt.Sprintf("menu needs 1 to 3 buttons, has %d", len(m.Button)))
	}
	for _, b := range m.Button {
		if err := validateButton(b, 16); err != nil {
			return invalid(op, err.Error())
		}
		if len(b.SubButton) > 5 {
			return invalid(op, fmt.Sprintf("button %q has %d sub-buttons, at most 5", b.Name, len(b.SubButton)))
		}
		for _, s := range b.SubButton {
			if len(s.SubButton) > 0 {
				return invalid(op, fmt.Sprintf("sub-button %q cannot have sub-buttons", s.Name))
			}
			if err := validateButton(s, 60); err != nil {
				return invalid(op, err.Error())
			}
		}
	}
	return nil
}

func validateButton(b menuButton, maxName int) error {
	if b.Name == "" || len(b.Name) > maxName || !utf8.ValidString(b.Name) {
		return fmt.Errorf("button name %q must be 1 to %d bytes of UTF-8", b.Name, maxName)
	}
	if len(b.SubButton) > 0 {
		return nil
	}
	switch b.Type {
	case "click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin", "location_select":
		if b.Key == "" || len(b.Key) > 128 {
			return fmt.Errorf("button %q needs a key of 1 to 128 bytes", b.Name)
		}
	case "view":
		if u, err := url.Parse(b.URL); err != nil || u.Host == "" {
			return fmt.Errorf("button %q needs an absolute url", b.Name)
		}
	case "":
		return fmt.Errorf("button %q has neither a type nor sub-buttons", b.Name)
	}
	return nil
}
